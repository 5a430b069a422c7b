// Byte encodings shared by every layer: standard base64, lowercase hex and UTF-8 well-formedness.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace isign::common {

// Standard base64 (RFC 4648 section 4) with padding, no line breaks.
// base64_encode(bytes) appended to out, without a temporary copy (payloads of tens of MB).
void base64_append(std::string& out, std::string_view bytes);
std::string base64_encode(std::string_view bytes);

// Strict standard base64 with padding; whitespace is not allowed. nullopt on any bad input.
std::optional<std::string> base64_decode(std::string_view text);

// Lowercase hex of the bytes.
std::string hex_encode(std::string_view bytes);

// True when s is exactly n lowercase hex characters.
bool is_lower_hex(std::string_view s, std::size_t n);

// Length (2 to 4) of the well-formed multi-byte UTF-8 sequence starting at s[i], or 0 when none
// starts there (an ASCII byte included). RFC 3629's rules, which are also Go's
// utf8.DecodeRuneInString's: no overlong forms, no surrogates, nothing above U+10FFFF. i <
// s.size().
std::size_t utf8_sequence_length(std::string_view s, std::size_t i);

// True when text is well-formed UTF-8 (RFC 3629).
bool is_valid_utf8(std::string_view text);

} // namespace isign::common

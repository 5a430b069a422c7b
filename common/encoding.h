// Byte encodings shared by every layer: standard base64 and lowercase hex.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace isign::common {

// Standard base64 (RFC 4648 section 4) with padding, no line breaks.
std::string base64_encode(std::string_view bytes);

// Strict standard base64 with padding; whitespace is not allowed. nullopt on any bad input.
std::optional<std::string> base64_decode(std::string_view text);

// Lowercase hex of the bytes.
std::string hex_encode(std::string_view bytes);

// True when s is exactly n lowercase hex characters.
bool is_lower_hex(std::string_view s, std::size_t n);

} // namespace isign::common

// The one strict JSON parser of isign (signature formats, policies, registry answers): it rejects
// what Go's decoder as used by cosign and containers/image rejects, and more: duplicate keys at any
// depth, a byte-order mark, a NUL byte, trailing data, invalid UTF-8, and nesting deeper than a
// bound. nlohmann's DOM parser silently keeps the last of duplicate keys,
// so the document is built through its SAX interface instead.
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "common/result.h"

namespace isign::common {

inline constexpr std::size_t kMaxJsonDepth = 64;

// The parsed value, or a verification error whose message says what is wrong (e.g.
// "duplicate key \"type\"", "syntax error ... unexpected ..."), without context: callers reading
// a registry's answer re-kind it.
common::Result<nlohmann::json> parse_strict_json(std::string_view text,
                                                 std::size_t max_depth = kMaxJsonDepth);

// nlohmann's parse error as one short printable line: its "[json.exception...] " prefix dropped,
// the input it quotes cut to 200 bytes, control and non-ASCII bytes as '?'. For SAX handlers.
std::string json_parse_error_message(const std::exception& e);

// What kind of JSON value v is, for messages: "an object", "an array", "a string", "a number",
// "a boolean" or "null".
const char* json_type_name(const nlohmann::json& v);

// s as a JSON string literal for messages (control bytes escaped, invalid UTF-8 replaced).
std::string quote_for_message(std::string_view s);

} // namespace isign::common

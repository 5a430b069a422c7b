// Internal to registry/: nlohmann's lenient parse of registry answers, refusing text with a NUL
// byte (nlohmann's lexer takes it for the end of input and would ignore what follows).
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

namespace isign::registry::detail {

// The document, or a discarded value when text is not JSON or holds a NUL byte.
inline nlohmann::json parse_json(std::string_view text) {
  if (text.find('\0') != std::string_view::npos)
    return nlohmann::json(nlohmann::json::value_t::discarded);
  return nlohmann::json::parse(text, nullptr, false);
}

} // namespace isign::registry::detail

// Internal to registry/: parsing a registry's JSON answers as strictly as the signature formats
// are parsed: no NUL byte (nlohmann's lexer takes it for the end of input and would ignore what
// follows), no byte-order mark, no duplicate key at any depth (nlohmann keeps the last one, other
// readers may keep the first: an index with two "manifests" lists means two things), and no
// nesting deeper than kMaxDepth.
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace isign::registry::detail {

inline constexpr int kMaxDepth = 64;

// The document, or a discarded value when text is not such JSON.
inline nlohmann::json parse_json(std::string_view text) {
  using Json = nlohmann::json;
  const Json discarded(Json::value_t::discarded);
  if (text.find('\0') != std::string_view::npos || text.substr(0, 3) == "\xEF\xBB\xBF")
    return discarded;
  std::vector<std::set<std::string>> keys;
  bool refused = false;
  auto check = [&](int depth, Json::parse_event_t event, Json& value) {
    if (depth > kMaxDepth) {
      refused = true;
      return false; // nothing that deep is kept
    }
    switch (event) {
    case Json::parse_event_t::object_start:
      keys.emplace_back();
      break;
    case Json::parse_event_t::key:
      if (!keys.empty() && value.is_string() && !keys.back().insert(value.get<std::string>()).second)
        refused = true;
      break;
    case Json::parse_event_t::object_end:
      if (!keys.empty())
        keys.pop_back();
      break;
    default:
      break;
    }
    return true;
  };
  Json doc = Json::parse(text, check, false);
  return refused ? discarded : doc;
}

} // namespace isign::registry::detail

// Internal to cosign/: the rules the strict readers of signed documents (the simple-signing
// payload, the in-toto statement, the bundle) state about a parsed JSON object, each broken rule
// a verification error naming where it broke.
#pragma once

#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "common/json.h"
#include "common/result.h"

namespace isign::cosign::detail {

inline common::Error broken(const std::string& rule) {
  return common::make_error(common::ErrorKind::verification, rule);
}

// object is an object without keys outside known (protojson and containers/image refuse them);
// with required, also holding every one of them.
inline common::Result<void> known_keys(const nlohmann::json& object, std::string_view where,
                                       std::initializer_list<std::string_view> known,
                                       bool required = false) {
  if (!object.is_object())
    return broken(std::string(where) + " is " + common::json_type_name(object) + ", not an object");
  for (const auto& item : object.items()) {
    bool ok = false;
    for (auto k : known)
      ok = ok || item.key() == k;
    if (!ok)
      return broken(std::string(where) + " has an unknown key " +
                    common::quote_for_message(item.key()));
  }
  if (required)
    for (auto k : known)
      if (!object.contains(k))
        return broken(std::string(where) + " is missing the key \"" + std::string(k) + "\"");
  return {};
}

// The string at object[key]; missing or of another type is a broken rule.
inline common::Result<std::string> string_at(const nlohmann::json& object, std::string_view where,
                                             const char* key) {
  auto it = object.find(key);
  if (it == object.end())
    return broken(std::string(where) + " is missing the key \"" + key + "\"");
  if (!it->is_string())
    return broken(std::string(where) + "." + key + " is " + common::json_type_name(*it) +
                  ", not a string");
  return it->get<std::string>();
}

} // namespace isign::cosign::detail

// Internal to cosign/: one strict pass over a file given to attest --type that builds no DOM
// (a report can be tens of MB): what kind of document it is, and the few values making its
// predicate needs (predicate.cpp).
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "common/json.h"

namespace isign::cosign::detail {

using nlohmann::json;

// What a document is, as far as making and describing predicates goes.
enum class Doc {
  empty,
  not_json,
  scalar,
  array,
  object,
  trivy,
  grype,
  cosign_vuln,
  cyclonedx,
  spdx,
  slsa02,
  slsa1,
  openvex,
  link,
  signed_metadata,
  statement,
  envelope,
};

// The statement embeds the predicate at depth 2 and a wrapped report at depth 4; the verifier
// parses statements with common::kMaxJsonDepth, so a file may nest only this deep.
constexpr std::size_t kMaxFileDepth = common::kMaxJsonDepth - 3;

// What one pass over a file found: whether it is strict JSON (as common::parse_strict_json
// judges it), the root's type, each top-level key's type and the tracked values.
struct Facts {
  bool parsed = false;
  std::string error; // why it is not JSON
  json::value_t root = json::value_t::discarded;
  std::map<std::string, json::value_t, std::less<>> top;
  std::map<std::string, json::value_t, std::less<>> types;
  std::map<std::string, std::string, std::less<>> strings;

  bool has(std::string_view key, json::value_t type) const {
    auto it = top.find(key);
    return it != top.end() && it->second == type;
  }
  bool has(std::string_view key) const { return top.find(key) != top.end(); }
  // The tracked string at path, or nullptr when absent or not a string.
  const std::string* string_at(std::string_view path) const {
    auto it = strings.find(path);
    return it == strings.end() ? nullptr : &it->second;
  }
  bool present(std::string_view path) const { return types.find(path) != types.end(); }
};

// One SAX pass over bytes: as strict as common::parse_strict_json, keeping only Facts.
Facts scan(std::string_view bytes);
// What bytes (scanned into f) are.
Doc classify(std::string_view bytes, const Facts& f);
// doc for messages: "a Trivy JSON report", "a CycloneDX SBOM", "not JSON"...
std::string describe(Doc doc, const Facts& f);

} // namespace isign::cosign::detail

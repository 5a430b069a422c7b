// cosign's --type table (docs/formats.md section 13).
#include <array>
#include <cctype>
#include <utility>

#include "common/json.h"
#include "cosign/predicate.h"

namespace isign::cosign {

namespace {

constexpr std::array<std::pair<std::string_view, std::string_view>, 10> kShorthands{{
    {"custom", kCustomPredicateType},
    {"slsaprovenance", kSlsa02PredicateType},
    {"slsaprovenance02", kSlsa02PredicateType},
    {"slsaprovenance1", kSlsa1PredicateType},
    {"spdx", kSpdxPredicateType},
    {"spdxjson", kSpdxPredicateType},
    {"cyclonedx", kCycloneDxPredicateType},
    {"link", kLinkPredicateType},
    {"vuln", kVulnPredicateType},
    {"openvex", kOpenVexPredicateType},
}};

// A URI as cosign's --type accepts one (url.ParseRequestURI then a scheme): "<scheme>:" followed
// by something, the scheme a letter then letters, digits, '+', '-' or '.'.
bool looks_like_uri(std::string_view s) {
  const auto colon = s.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 >= s.size())
    return false;
  if (!std::isalpha(static_cast<unsigned char>(s[0])))
    return false;
  for (std::size_t i = 1; i < colon; ++i) {
    const char c = s[i];
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.')
      return false;
  }
  for (const char c : s)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f)
      return false;
  return true;
}

} // namespace

common::Result<PredicateKind> predicate_kind(std::string_view type) {
  for (const auto& [name, uri] : kShorthands)
    if (type == name)
      return PredicateKind{std::string(name), std::string(uri)};
  if (looks_like_uri(type)) {
    PredicateKind kind{"", std::string(type)};
    // A table URI given in full makes the same predicate as its shorthand (spdx's URI: the JSON
    // document, as spdxjson).
    for (const auto& [name, uri] : kShorthands)
      if (type == uri && name != "spdx" && name != "slsaprovenance") {
        kind.shorthand = std::string(name);
        break;
      }
    return kind;
  }
  std::string names;
  for (const auto& [name, uri] : kShorthands)
    names += (names.empty() ? "" : ", ") + std::string(name);
  return common::make_error(common::ErrorKind::usage,
                            "unknown attestation type " + common::quote_for_message(type) +
                                ": give one of " + names + ", or a predicate type URI");
}

bool is_sbom_type(std::string_view predicate_type) {
  return predicate_type == kSpdxPredicateType || predicate_type == kCycloneDxPredicateType;
}

bool is_vuln_type(std::string_view predicate_type) {
  return predicate_type == kVulnPredicateType || predicate_type == kInTotoVulnsPredicateType;
}

bool is_slsa_type(std::string_view predicate_type) {
  return predicate_type == kSlsa02PredicateType || predicate_type == kSlsa1PredicateType;
}

} // namespace isign::cosign

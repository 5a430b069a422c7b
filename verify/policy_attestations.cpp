// A policy's "attestations" entries (and verify-attestation's flags, read as one entry): each
// parsed strictly into an AttestationRule of gates.h, with the field helpers the two policy
// languages share (policy_parse.h).
#include <cstdint>

#include "common/json.h"
#include "verify/gates.h"
#include "verify/policy.h"
#include "verify/policy_parse.h"

namespace isign::verify {

using common::format_duration;
using common::make_error;
using common::quote_for_message;
using common::Result;
using common::TimePoint;
using nlohmann::json;
using policy_parse::bad;
using policy_parse::member;

namespace {

// "threshold": a whole number of at least 1 and at most the distinct keys.
Result<std::size_t> parse_threshold(const json& t, const std::vector<keys::PublicKey>& keys,
                                    const std::string& at) {
  const bool positive = t.is_number_unsigned()
                            ? t.get<std::uint64_t>() >= 1
                            : t.is_number_integer() && t.get<std::int64_t>() >= 1;
  if (!positive)
    return bad(at, "must be a whole number of at least 1");
  const auto n = t.get<std::uint64_t>();
  const std::size_t distinct = distinct_keys(keys);
  if (n > distinct)
    return bad(at, std::to_string(n) + " is more than the " + std::to_string(distinct) +
                       " distinct key" + (distinct == 1 ? "" : "s"));
  return static_cast<std::size_t>(n);
}

Result<std::vector<Allowance>> parse_allow(const json& list, const std::string& at) {
  if (!list.is_array())
    return bad(at, std::string("must be a list of {\"id\": .., \"until\": ..} objects, not ") +
                       common::json_type_name(list));
  std::vector<Allowance> out;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string entry_at = at + "[" + std::to_string(i) + "]";
    const json& e = list[i];
    ISIGN_TRY(policy_parse::expect_object(e, entry_at));
    ISIGN_TRY(policy_parse::only_fields(e, {"id", "until"}, entry_at));
    if (!e.contains("id"))
      return bad(entry_at, "missing field \"id\" (the finding's ID, e.g. \"CVE-2023-1234\")");
    if (!e.contains("until"))
      return bad(entry_at, "missing field \"until\" (the date the exception ends, e.g. "
                           "\"2027-01-31\": every allow entry expires)");
    auto id = policy_parse::get_string(e, "id", entry_at);
    ISIGN_TRY(id);
    auto until_text = policy_parse::get_string(e, "until", entry_at);
    ISIGN_TRY(until_text);
    auto until = common::parse_expiry(*until_text);
    ISIGN_TRY_CONTEXT(until, member(entry_at, "until"));
    for (std::size_t j = 0; j < out.size(); ++j)
      if (same_id(out[j].id, *id) || same_id(*id, out[j].id))
        return bad(member(entry_at, "id"), quote_for_message(*id) + " is allowed by " + at + "[" +
                                               std::to_string(j) + "] already");
    out.push_back({std::move(*id), *until, std::move(*until_text)});
  }
  return out;
}

Result<PointerCheck> parse_pointer(const json& entry, const std::string& where) {
  PointerCheck check;
  auto pointer = policy_parse::get_string(entry, "pointer", where);
  ISIGN_TRY(pointer);
  // A pointer to the whole predicate ("") is valid RFC 6901 but always exists and never equals
  // anything short: refused as a mistake.
  if (pointer->front() != '/')
    return bad(member(where, "pointer"), quote_for_message(*pointer) +
                                             " is not a JSON pointer: it starts with '/' "
                                             "(\"/approved\")");
  ISIGN_TRY_CONTEXT(resolve_pointer(json(), *pointer), member(where, "pointer"));
  check.pointer = std::move(*pointer);
  const int ops =
      int(entry.contains("equals")) + int(entry.contains("oneOf")) + int(entry.contains("exists"));
  if (ops != 1)
    return bad(where, std::string("\"pointer\" needs exactly one of \"equals\", \"oneOf\" or "
                                  "\"exists\", not ") +
                          std::to_string(ops));
  if (entry.contains("equals")) {
    check.op = PointerCheck::Op::equals;
    check.value = entry.at("equals");
  } else if (entry.contains("oneOf")) {
    const json& values = entry.at("oneOf");
    if (!values.is_array() || values.empty())
      return bad(member(where, "oneOf"),
                 std::string("must be a non-empty list of values, not ") +
                     (values.is_array() ? "an empty one" : common::json_type_name(values)));
    check.op = PointerCheck::Op::one_of;
    check.value = values;
  } else {
    const json& exists = entry.at("exists");
    if (!exists.is_boolean())
      return bad(member(where, "exists"),
                 std::string("must be true or false, not ") + common::json_type_name(exists));
    check.op = PointerCheck::Op::exists;
    check.value = exists;
  }
  return check;
}

Result<std::chrono::seconds> parse_duration_field(const json& entry, const std::string& key,
                                                  const std::string& where) {
  auto text = policy_parse::get_string(entry, key, where);
  ISIGN_TRY(text);
  auto d = common::parse_duration(*text);
  ISIGN_TRY_CONTEXT(d, member(where, key));
  return d;
}

} // namespace

Result<AttestationRule> parse_attestation_rule(const json& entry, const std::string& where,
                                               const std::vector<keys::PublicKey>& scope_keys,
                                               const std::vector<std::string>& scope_key_files,
                                               const AttestationKeyLoader& load_key) {
  ISIGN_TRY(policy_parse::expect_object(entry, where));
  ISIGN_TRY(policy_parse::only_fields(entry,
                                      {"type", "keys", "threshold", "failOnSeverity", "maxScanAge",
                                       "allow", "maxAge", "builderId", "sourceUri", "pointer",
                                       "equals", "oneOf", "exists"},
                                      where));
  AttestationRule rule;
  if (!entry.contains("type"))
    return bad(where, "missing field \"type\" (a --type such as vuln, cyclonedx or "
                      "slsaprovenance1, \"sbom\" for any SBOM, or a predicate type URI)");
  auto type = policy_parse::get_string(entry, "type", where);
  ISIGN_TRY(type);
  rule.type = *type;
  if (rule.type == "sbom") {
    rule.predicate_types = {std::string(cosign::kSpdxPredicateType),
                            std::string(cosign::kCycloneDxPredicateType)};
  } else {
    auto kind = cosign::predicate_kind(rule.type);
    ISIGN_TRY_CONTEXT(kind, member(where, "type"));
    rule.predicate_types = {kind->uri};
  }

  // Checks on fields a predicate of the type does not have are refused rather than failing every
  // image later: the mistake is in the policy.
  const auto all = [&](bool (*pred)(std::string_view)) {
    return std::all_of(rule.predicate_types.begin(), rule.predicate_types.end(),
                       [&](const std::string& t) { return pred(t); });
  };
  const auto refuse_unless = [&](bool applies, std::initializer_list<const char*> fields,
                                 const char* what) -> Result<void> {
    for (const char* field : fields)
      if (entry.contains(field) && !applies)
        return bad(member(where, field), std::string("applies to ") + what + " only, not to " +
                                             quote_for_message(rule.type));
    return {};
  };
  ISIGN_TRY(
      refuse_unless(all(cosign::is_vuln_type), {"failOnSeverity", "maxScanAge", "allow"},
                    "vulnerability reports (vuln, https://in-toto.io/attestation/vulns/v0.2)"));
  ISIGN_TRY(refuse_unless(all(cosign::is_sbom_type), {"maxAge"},
                          "SBOMs (sbom, spdx, spdxjson, cyclonedx)"));
  ISIGN_TRY(refuse_unless(all(cosign::is_slsa_type), {"builderId", "sourceUri"},
                          "SLSA provenance (slsaprovenance, slsaprovenance02, slsaprovenance1)"));

  if (entry.contains("keys")) {
    auto files = policy_parse::get_strings(entry, "keys", where);
    ISIGN_TRY(files);
    for (std::size_t i = 0; i < files->size(); ++i) {
      const std::string& file = (*files)[i];
      auto key = load_key(file);
      ISIGN_TRY_CONTEXT(key, member(where, "keys") + "[" + std::to_string(i) + "]");
      rule.keys.push_back(std::move(*key));
      rule.key_files.push_back(file.rfind("-----BEGIN", 0) == 0 ? "an inline PEM key" : file);
    }
  } else {
    if (scope_keys.empty())
      return bad(where, "no keys: give \"keys\" (the key files whose attestations count)");
    rule.keys = scope_keys;
    rule.key_files = scope_key_files;
  }
  if (entry.contains("threshold")) {
    auto threshold = parse_threshold(entry.at("threshold"), rule.keys, member(where, "threshold"));
    ISIGN_TRY(threshold);
    rule.threshold = *threshold;
  }

  if (entry.contains("failOnSeverity")) {
    auto text = policy_parse::get_string(entry, "failOnSeverity", where);
    ISIGN_TRY(text);
    auto severity = parse_severity_threshold(*text);
    ISIGN_TRY_CONTEXT(severity, member(where, "failOnSeverity"));
    rule.fail_on_severity = *severity;
  }
  if (entry.contains("maxScanAge")) {
    auto d = parse_duration_field(entry, "maxScanAge", where);
    ISIGN_TRY(d);
    rule.max_scan_age = *d;
  }
  if (entry.contains("allow")) {
    if (!rule.fail_on_severity)
      return bad(member(where, "allow"),
                 "excuses findings from failOnSeverity only: add \"failOnSeverity\"");
    auto allow = parse_allow(entry.at("allow"), member(where, "allow"));
    ISIGN_TRY(allow);
    rule.allow = std::move(*allow);
  }
  if (entry.contains("maxAge")) {
    auto d = parse_duration_field(entry, "maxAge", where);
    ISIGN_TRY(d);
    rule.max_age = *d;
  }
  for (const char* field : {"builderId", "sourceUri"}) {
    if (!entry.contains(field))
      continue;
    auto text = policy_parse::get_string(entry, field, where);
    ISIGN_TRY(text);
    (std::string_view(field) == "builderId" ? rule.builder_id : rule.source_uri) = *text;
  }
  if (entry.contains("pointer")) {
    auto check = parse_pointer(entry, where);
    ISIGN_TRY(check);
    rule.pointers.push_back(std::move(*check));
  } else {
    for (const char* field : {"equals", "oneOf", "exists"})
      if (entry.contains(field))
        return bad(member(where, field), "only with \"pointer\" (the JSON pointer it checks)");
  }
  return rule;
}

} // namespace isign::verify

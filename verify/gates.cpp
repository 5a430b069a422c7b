// Gates, layer (a): severities, parsing an "attestations" entry, and the checks over plain facts.
// Nothing here reads a predicate's own format: gates_predicate.cpp does, through cosign/.
#include "verify/gates.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <utility>

#include "common/json.h"
#include "verify/policy_parse.h"
#include "verify/verifier.h"

namespace isign::verify {

using common::format_duration;
using common::format_rfc3339;
using common::make_error;
using common::quote_for_message;
using common::Result;
using common::TimePoint;
using nlohmann::json;
using policy_parse::bad;
using policy_parse::member;

namespace {

constexpr std::array<std::pair<Severity, std::string_view>, 6> kSeverityNames{{
    {Severity::unknown, "UNKNOWN"},
    {Severity::negligible, "NEGLIGIBLE"},
    {Severity::low, "LOW"},
    {Severity::medium, "MEDIUM"},
    {Severity::high, "HIGH"},
    {Severity::critical, "CRITICAL"},
}};

// How many failing findings or source URIs a message names before "and N more".
constexpr std::size_t kNamedInMessage = 3;

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

bool is_cve(std::string_view id) {
  return id.size() > 4 && iequals(id.substr(0, 4), "CVE-");
}

// CVE IDs are case-blind by definition (scanners and people write "cve-"); GHSA and distribution
// IDs have case-sensitive parts, so everything else compares exactly.
bool same_id(std::string_view allowed, std::string_view id) {
  return allowed == id || (is_cve(allowed) && is_cve(id) && iequals(allowed, id));
}

// Text from a predicate, made safe for a one-line message: control bytes would break the line (or
// forge another one), and a report can hold arbitrarily long strings.
std::string plain(std::string_view s) {
  constexpr std::size_t kMaxShown = 100;
  std::string out(s.substr(0, kMaxShown));
  for (char& c : out)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      c = '?';
  if (s.size() > kMaxShown)
    out += "...";
  return out;
}

// A JSON value as one short line, for messages.
std::string compact(const json& v) {
  constexpr std::size_t kMaxShown = 100;
  std::string out = v.dump(-1, ' ', false, json::error_handler_t::replace);
  if (out.size() > kMaxShown)
    out = out.substr(0, kMaxShown) + "...";
  return out;
}

// "a, b, c and 2 more".
std::string first_few(const std::vector<std::string>& items) {
  std::string out;
  for (std::size_t i = 0; i < items.size() && i < kNamedInMessage; ++i)
    out += (i == 0 ? "" : ", ") + items[i];
  if (items.size() > kNamedInMessage)
    out += " and " + std::to_string(items.size() - kNamedInMessage) + " more";
  return out;
}

// An age as a person reads it: whole hours past a day, whole minutes past an hour.
std::string rough_age(std::chrono::seconds age) {
  using std::chrono::duration_cast;
  if (age >= std::chrono::hours(24))
    return format_duration(duration_cast<std::chrono::hours>(age));
  if (age >= std::chrono::hours(1))
    return format_duration(duration_cast<std::chrono::minutes>(age));
  return format_duration(age);
}

bool is_vuln_type(std::string_view t) {
  return t == cosign::kVulnPredicateType || t == cosign::kInTotoVulnsPredicateType;
}
bool is_slsa_type(std::string_view t) {
  return t == cosign::kSlsa02PredicateType || t == cosign::kSlsa1PredicateType;
}

// The shared half of maxScanAge and maxAge: when (verb "scanned" or "created") against max_age.
GateOutcome check_age(GateOutcome out, std::string_view verb, std::string_view limit_name,
                      std::chrono::seconds max_age, TimePoint when, TimePoint now) {
  const std::string at = std::string(verb) + " " + format_rfc3339(when);
  if (when > now + kMaxClockSkew) {
    out.found = at + ", " + rough_age(when - now) + " in the future";
    out.message = out.found + ": a wrong clock or a forged date (more than " +
                  format_duration(kMaxClockSkew) + " ahead is refused)";
    return out;
  }
  const auto age = when < now ? now - when : std::chrono::seconds(0);
  out.found = at + ", " + (age.count() == 0 ? std::string("just now") : rough_age(age) + " ago");
  out.passed = age <= max_age;
  if (!out.passed) {
    // Rounded down, a failing age may read as the limit itself ("7d ago, more than 7d").
    if (rough_age(age) == format_duration(max_age))
      out.found = at + ", " + format_duration(age) + " ago";
    out.message =
        out.found + ", more than " + std::string(limit_name) + " " + format_duration(max_age);
  }
  return out;
}

std::string finding_text(const cosign::Finding& f, Severity severity) {
  std::string out = plain(f.id) + " " + std::string(severity_name(severity));
  if (!f.package.empty())
    out += " in " + plain(f.package) + (f.version.empty() ? "" : " " + plain(f.version));
  return out;
}

std::string scan_context(const cosign::VulnFacts& facts) {
  std::string out = facts.scan_finished ? "scanned " + format_rfc3339(*facts.scan_finished)
                                        : std::string("scanned at an unknown time");
  if (!facts.scanner.empty())
    out += " by " + plain(facts.scanner) +
           (facts.scanner_version.empty() ? "" : " " + plain(facts.scanner_version));
  return "(" + out + ")";
}

} // namespace

Severity severity_of(std::string_view text) {
  for (const auto& [severity, name] : kSeverityNames)
    if (iequals(text, name))
      return severity;
  return Severity::unknown;
}

std::string_view severity_name(Severity severity) {
  for (const auto& [s, name] : kSeverityNames)
    if (s == severity)
      return name;
  return "UNKNOWN";
}

Result<Severity> parse_severity_threshold(std::string_view text) {
  // NEGLIGIBLE and UNKNOWN are no thresholds: "fail on unknown" would fail on every finding a
  // scanner could not rate, which no one means.
  const Severity s = severity_of(text);
  if (s >= Severity::low)
    return s;
  return make_error(common::ErrorKind::usage,
                    quote_for_message(text) +
                        " is not a severity threshold: give LOW, MEDIUM, HIGH or CRITICAL");
}

bool AttestationRule::has_checks() const {
  return fail_on_severity || max_scan_age || max_age || builder_id || source_uri ||
         !pointers.empty();
}

GateOutcome check_fail_on_severity(Severity threshold, const std::vector<Allowance>& allow,
                                   const cosign::VulnFacts& facts, std::string_view predicate_type,
                                   TimePoint now) {
  (void)predicate_type; // both vuln predicates keep their findings in scanner.result
  GateOutcome out{"failOnSeverity", false, "scanner.result", "", ""};
  if (facts.report_format == "unknown") {
    out.found = "a report of an unknown shape";
    out.message = "the vuln predicate's scanner.result is neither a Trivy nor a Grype report: "
                  "findings cannot be read";
    return out;
  }
  struct Failing {
    const cosign::Finding* finding;
    Severity severity;
    const Allowance* expired; // the allowance that would have excused it
  };
  std::vector<Failing> failing;
  std::size_t excused = 0;
  for (const auto& f : facts.findings) {
    const Severity severity = severity_of(f.severity);
    if (severity < threshold)
      continue;
    const Allowance* expired = nullptr;
    bool excused_now = false;
    for (const auto& a : allow) {
      const bool names_it = same_id(a.id, f.id) ||
                            std::any_of(f.aliases.begin(), f.aliases.end(),
                                        [&](const auto& alias) { return same_id(a.id, alias); });
      if (!names_it)
        continue;
      // until is the first moment the entry no longer excuses (common::parse_expiry).
      if (!a.until || now < *a.until) {
        excused_now = true;
        break;
      }
      if (!expired)
        expired = &a;
    }
    if (excused_now)
      ++excused;
    else
      failing.push_back({&f, severity, expired});
  }
  const std::string above = std::string(severity_name(threshold));
  if (failing.empty()) {
    out.passed = true;
    out.found = std::to_string(facts.findings.size()) + " finding" +
                (facts.findings.size() == 1 ? "" : "s") + ", none at or above " + above +
                (excused ? " but " + std::to_string(excused) + " excused by the allow list" : "");
    return out;
  }
  // The worst first: the three named are the ones to fix first.
  std::stable_sort(failing.begin(), failing.end(),
                   [](const Failing& a, const Failing& b) { return a.severity > b.severity; });
  std::vector<std::string> texts;
  for (const auto& f : failing) {
    std::string text = finding_text(*f.finding, f.severity);
    if (f.expired)
      text += " (allow entry for " + plain(f.expired->id) + " expired " +
              (f.expired->until_text.empty() ? format_rfc3339(*f.expired->until)
                                             : f.expired->until_text) +
              ")";
    texts.push_back(std::move(text));
  }
  out.found = first_few(texts);
  out.message = out.found + " " + scan_context(facts);
  return out;
}

GateOutcome check_max_scan_age(std::chrono::seconds max_age, const cosign::VulnFacts& facts,
                               std::string_view predicate_type, TimePoint now) {
  (void)predicate_type; // both vuln predicates date the scan in metadata.scanFinishedOn
  GateOutcome out{"maxScanAge", false, "metadata.scanFinishedOn", "", ""};
  if (!facts.scan_finished) {
    out.found = "none";
    out.message = "the vuln predicate has no scan time (metadata.scanFinishedOn): its age "
                  "cannot be checked against maxScanAge " +
                  format_duration(max_age);
    return out;
  }
  return check_age(std::move(out), "scanned", "maxScanAge", max_age, *facts.scan_finished, now);
}

GateOutcome check_max_age(std::chrono::seconds max_age, const std::optional<TimePoint>& created,
                          std::string_view predicate_type, TimePoint now) {
  GateOutcome out{"maxAge", false,
                  predicate_type == cosign::kCycloneDxPredicateType ? "metadata.timestamp"
                  : predicate_type == cosign::kSpdxPredicateType    ? "creationInfo.created"
                                                                    : "creation time",
                  "", ""};
  if (!created) {
    out.found = "none";
    out.message = "the SBOM has no creation time (" + out.field +
                  "): its age cannot be checked against maxAge " + format_duration(max_age);
    return out;
  }
  return check_age(std::move(out), "created", "maxAge", max_age, *created, now);
}

bool uri_matches(std::string_view value, std::string_view prefix) {
  if (prefix.empty() || value.substr(0, prefix.size()) != prefix)
    return false;
  // A bare prefix match would let "https://github.com/example/builder-evil" pass as
  // ".../builder": only a path boundary or a version ('@') may follow.
  return value.size() == prefix.size() || prefix.back() == '/' || value[prefix.size()] == '/' ||
         value[prefix.size()] == '@';
}

GateOutcome check_builder_id(std::string_view prefix, const cosign::SlsaFacts& facts,
                             std::string_view predicate_type) {
  GateOutcome out{"builderId", false,
                  predicate_type == cosign::kSlsa1PredicateType ? "runDetails.builder.id"
                                                                : "builder.id",
                  plain(facts.builder_id), ""};
  out.passed = uri_matches(facts.builder_id, prefix);
  if (!out.passed)
    out.message = facts.builder_id.empty()
                      ? "the provenance names no builder (" + out.field + ")"
                      : "built by " + quote_for_message(facts.builder_id) + ", which is not " +
                            quote_for_message(prefix) + " or under it";
  return out;
}

GateOutcome check_source_uri(std::string_view prefix, const cosign::SlsaFacts& facts,
                             std::string_view predicate_type) {
  GateOutcome out{"sourceUri", false,
                  predicate_type == cosign::kSlsa1PredicateType
                      ? "buildDefinition.resolvedDependencies[].uri"
                      : "invocation.configSource.uri, materials[].uri",
                  "", ""};
  std::vector<std::string> quoted;
  for (const auto& uri : facts.source_uris) {
    quoted.push_back(quote_for_message(uri));
    if (uri_matches(uri, prefix)) {
      out.passed = true;
      out.found = plain(uri);
      return out;
    }
  }
  out.found = first_few(quoted);
  out.message = facts.source_uris.empty() ? "the provenance names no source (" + out.field + ")"
                                          : "no source is " + quote_for_message(prefix) +
                                                " or under it (" + out.found + ")";
  return out;
}

Result<const json*> resolve_pointer(const json& doc, std::string_view pointer) {
  if (pointer.empty())
    return &doc;
  if (pointer.front() != '/')
    return make_error(common::ErrorKind::usage,
                      quote_for_message(pointer) +
                          " is not a JSON pointer: it starts with '/' (\"/approved\")");
  // Every token is read before any is followed, so a malformed pointer fails whatever the
  // document holds.
  std::vector<std::string> tokens;
  for (std::size_t pos = 1;;) {
    const std::size_t end = std::min(pointer.find('/', pos), pointer.size());
    std::string token;
    for (std::size_t i = pos; i < end; ++i) {
      if (pointer[i] != '~') {
        token += pointer[i];
        continue;
      }
      if (i + 1 >= end || (pointer[i + 1] != '0' && pointer[i + 1] != '1'))
        return make_error(common::ErrorKind::usage,
                          quote_for_message(pointer) +
                              " is not a JSON pointer: '~' is followed by 0 ('~') or 1 ('/')");
      token += pointer[++i] == '0' ? '~' : '/';
    }
    tokens.push_back(std::move(token));
    if (end == pointer.size())
      break;
    pos = end + 1;
  }
  const json* at = &doc;
  for (const auto& token : tokens) {
    if (at->is_object()) {
      auto it = at->find(token);
      if (it == at->end())
        return static_cast<const json*>(nullptr);
      at = &*it;
    } else if (at->is_array()) {
      // RFC 6901: decimal, no leading zeros; "-" (past the end) and anything else name nothing.
      const bool index =
          !token.empty() && token.size() <= 18 &&
          std::all_of(token.begin(), token.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
          (token == "0" || token.front() != '0');
      if (!index)
        return static_cast<const json*>(nullptr);
      const auto i = std::stoull(token);
      if (i >= at->size())
        return static_cast<const json*>(nullptr);
      at = &(*at)[static_cast<std::size_t>(i)];
    } else {
      return static_cast<const json*>(nullptr);
    }
  }
  return at;
}

GateOutcome check_pointer(const PointerCheck& check, const json& predicate) {
  GateOutcome out{"pointer", false, check.pointer, "", ""};
  auto at = resolve_pointer(predicate, check.pointer);
  if (!at) {
    out.message = at.error().message();
    return out;
  }
  const json* v = *at;
  out.found = v ? compact(*v) : "nothing";
  const std::string where = quote_for_message(check.pointer);
  switch (check.op) {
  case PointerCheck::Op::equals:
    out.passed = v && *v == check.value;
    if (!out.passed)
      out.message = v ? where + " is " + out.found + ", not " + compact(check.value)
                      : "nothing at " + where + ", which must be " + compact(check.value);
    break;
  case PointerCheck::Op::one_of:
    out.passed = v && check.value.is_array() &&
                 std::any_of(check.value.begin(), check.value.end(),
                             [&](const json& candidate) { return *v == candidate; });
    if (!out.passed)
      out.message = v ? where + " is " + out.found + ", not one of " + compact(check.value)
                      : "nothing at " + where + ", which must be one of " + compact(check.value);
    break;
  case PointerCheck::Op::exists: {
    // Only a parsed rule builds checks, and it makes value a boolean; anything else asks for
    // presence, the stricter reading.
    const bool wanted = !check.value.is_boolean() || check.value.get<bool>();
    out.passed = (v != nullptr) == wanted;
    if (!out.passed)
      out.message = wanted ? "nothing at " + where + ", which must exist"
                           : where + " is " + out.found + ", which must be absent";
    break;
  }
  }
  return out;
}

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
                                               const KeyLoader& load_key) {
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
      refuse_unless(all(is_vuln_type), {"failOnSeverity", "maxScanAge", "allow"},
                    "vulnerability reports (vuln, https://in-toto.io/attestation/vulns/v0.2)"));
  ISIGN_TRY(refuse_unless(all(cosign::is_sbom_type), {"maxAge"},
                          "SBOMs (sbom, spdx, spdxjson, cyclonedx)"));
  ISIGN_TRY(refuse_unless(all(is_slsa_type), {"builderId", "sourceUri"},
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

// Gates, layer (a): severities, parsing an "attestations" entry, and the checks over plain facts.
// Nothing here reads a predicate's own format: gates_predicate.cpp does, through cosign/.
#include "verify/gates.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <utility>

#include "common/json.h"
#include "verify/verifier.h"

namespace isign::verify {

using common::format_duration;
using common::format_rfc3339;
using common::make_error;
using common::quote_for_message;
using common::Result;
using common::TimePoint;
using nlohmann::json;

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

bool same_id(std::string_view allowed, std::string_view id) {
  return allowed == id || (is_cve(allowed) && is_cve(id) && iequals(allowed, id));
}

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

} // namespace isign::verify

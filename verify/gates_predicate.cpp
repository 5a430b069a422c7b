// Gates, layer (b): reads the facts a rule's checks need from a verified predicate (cosign/'s
// readers know the formats) and judges them with gates.cpp's checks.
#include "common/json.h"
#include "cosign/predicate.h"
#include "verify/gates.h"

namespace isign::verify {

namespace {

// An outcome for a check that could not judge: the reader's error, or a type it does not fit.
GateOutcome unreadable(std::string check, std::string field, std::string message) {
  return GateOutcome{std::move(check), false, std::move(field), "", std::move(message)};
}

} // namespace

std::vector<GateOutcome> evaluate_gates(const AttestationRule& rule,
                                        std::string_view predicate_type,
                                        const nlohmann::json& predicate, common::TimePoint now) {
  std::vector<GateOutcome> out;
  const std::string type_text = common::quote_for_message(predicate_type);

  if (rule.fail_on_severity || rule.max_scan_age) {
    // A reader error (a severity that is not a string, a scan time that is not RFC 3339) fails
    // both checks: neither can trust a report that does not read.
    const bool vuln = predicate_type == cosign::kVulnPredicateType ||
                      predicate_type == cosign::kInTotoVulnsPredicateType;
    auto facts = vuln ? cosign::read_vuln_predicate(predicate_type, predicate)
                      : common::Result<cosign::VulnFacts>(common::make_error(
                            common::ErrorKind::verification,
                            "a predicate of type " + type_text + " is no vulnerability report"));
    if (rule.fail_on_severity)
      out.push_back(facts
                        ? check_fail_on_severity(*rule.fail_on_severity, rule.allow, *facts,
                                                 predicate_type, now)
                        : unreadable("failOnSeverity", "scanner.result", facts.error().message()));
    if (rule.max_scan_age)
      out.push_back(
          facts ? check_max_scan_age(*rule.max_scan_age, *facts, predicate_type, now)
                : unreadable("maxScanAge", "metadata.scanFinishedOn", facts.error().message()));
  }

  if (rule.max_age) {
    if (!cosign::is_sbom_type(predicate_type)) {
      out.push_back(unreadable("maxAge", "creation time",
                               "a predicate of type " + type_text + " is no SBOM"));
    } else if (auto created = cosign::sbom_created(predicate_type, predicate); !created) {
      out.push_back(unreadable("maxAge", "creation time", created.error().message()));
    } else {
      out.push_back(check_max_age(*rule.max_age, *created, predicate_type, now));
    }
  }

  if (rule.builder_id || rule.source_uri) {
    const bool slsa = predicate_type == cosign::kSlsa02PredicateType ||
                      predicate_type == cosign::kSlsa1PredicateType;
    auto facts = slsa ? cosign::read_slsa(predicate_type, predicate)
                      : common::Result<cosign::SlsaFacts>(common::make_error(
                            common::ErrorKind::verification,
                            "a predicate of type " + type_text + " is no SLSA provenance"));
    if (rule.builder_id)
      out.push_back(facts ? check_builder_id(*rule.builder_id, *facts, predicate_type)
                          : unreadable("builderId", "builder.id", facts.error().message()));
    if (rule.source_uri)
      out.push_back(facts ? check_source_uri(*rule.source_uri, *facts, predicate_type)
                          : unreadable("sourceUri", "source URIs", facts.error().message()));
  }

  for (const auto& pointer : rule.pointers)
    out.push_back(check_pointer(pointer, predicate));
  return out;
}

} // namespace isign::verify

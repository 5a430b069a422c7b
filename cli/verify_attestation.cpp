#include "cli/verify_attestation.h"

#include <algorithm>
#include <iostream>
#include <optional>
#include <utility>

#include "cli/cli.h"
#include "common/json.h"
#include "cosign/attestation.h"
#include "cosign/predicate.h"
#include "cosign/store.h"

namespace isign::cli {

void add_gate_options(cxxopts::Options& opts) {
  opts.add_options("Attestations")(
      "type", "count only attestations of this type (as attest's --type; default: custom)",
      cxxopts::value<std::string>(), "TYPE")(
      "max-predicate-size", "do not fetch attestations larger than BYTES",
      cxxopts::value<std::size_t>()->default_value(std::to_string(cosign::kMaxAttestationSize)),
      "BYTES")("fail-on-severity",
               "vuln: refuse images with a finding at or above LOW, MEDIUM, HIGH or CRITICAL",
               cxxopts::value<std::string>(),
               "SEVERITY")("max-scan-age", "vuln: refuse scans older than DURATION (7d, 36h)",
                           cxxopts::value<std::string>(), "DURATION")(
      "allow", "vuln: excuse this finding ID until DATE (repeatable)",
      cxxopts::value<std::vector<std::string>>(), "ID=YYYY-MM-DD")(
      "max-age", "SBOMs: refuse SBOMs made longer ago than DURATION", cxxopts::value<std::string>(),
      "DURATION")("builder-id", "SLSA provenance: the builder id must be this, or under it",
                  cxxopts::value<std::string>(),
                  "URI")("source-uri", "SLSA provenance: a source URI must be this, or under it",
                         cxxopts::value<std::string>(), "URI")(
      "pointer", "a JSON Pointer into the predicate, checked by --equals, --one-of or --exists",
      cxxopts::value<std::string>(), "POINTER")(
      "equals", "the value at --pointer must equal this JSON value", cxxopts::value<std::string>(),
      "JSON")("one-of", "the value at --pointer must be one of this JSON array's",
              cxxopts::value<std::string>(),
              "JSON")("exists", "whether --pointer must exist (true) or be absent (false)",
                      cxxopts::value<std::string>(), "BOOL");
}

// What the attestation rules found: "vuln: 2 valid (1 legacy, 1 bundle), 1 check passed".
std::string attestation_summary(const verify::TargetResult& r) {
  std::string out;
  for (const auto& a : r.attestations) {
    std::size_t legacy = 0, bundle = 0, checks = 0;
    for (auto i : a.report.valid())
      ++(a.report.attestations[i].layer.format == cosign::Format::bundle ? bundle : legacy);
    for (auto i : a.judged)
      checks += a.report.attestations[i].gates.size();
    out += (out.empty() ? "" : "; ") + (a.rule ? a.rule->type : std::string("attestation")) + ": " +
           std::to_string(legacy + bundle) + " valid (";
    if (legacy)
      out += std::to_string(legacy) + " legacy";
    if (bundle)
      out += std::string(legacy ? ", " : "") + std::to_string(bundle) + " bundle";
    out += ")";
    if (checks)
      out += ", " + std::to_string(checks) + (checks == 1 ? " check" : " checks") + " passed";
  }
  return out;
}

// verify-attestation's one attestation rule, made of --type and the gate flags over the keys
// rule_from_flags loaded (read by the policy's parser, so both say the same about bad values);
// the signature requirement is dropped: verify-attestation checks attestations only.
int attestation_rule_from_flags(const cxxopts::ParseResult& args, verify::Policy& policy) {
  constexpr std::string_view kName = "verify-attestation";
  verify::Rule& rule = policy.default_rule;
  verify::Requirement signed_by = std::move(rule.requirements.front());
  rule.requirements.clear();
  nlohmann::json entry = nlohmann::json::object();
  entry["type"] = args.count("type") ? args["type"].as<std::string>() : "custom";
  entry["threshold"] = signed_by.options.threshold;
  auto copy = [&](const char* flag, const char* field) {
    if (args.count(flag))
      entry[field] = args[flag].as<std::string>();
  };
  copy("fail-on-severity", "failOnSeverity");
  copy("max-scan-age", "maxScanAge");
  copy("max-age", "maxAge");
  copy("builder-id", "builderId");
  copy("source-uri", "sourceUri");
  copy("pointer", "pointer");
  if (args.count("allow")) {
    entry["allow"] = nlohmann::json::array();
    for (const auto& a : args["allow"].as<std::vector<std::string>>()) {
      const auto eq = a.find('=');
      if (eq == std::string::npos || eq == 0 || eq + 1 == a.size())
        return usage_error(kName, "--allow takes ID=YYYY-MM-DD (the date after which the ID is "
                                  "no longer excused), not '" +
                                      a + "'");
      entry["allow"].push_back({{"id", a.substr(0, eq)}, {"until", a.substr(eq + 1)}});
    }
  }
  const bool has_pointer = args.count("pointer") > 0;
  const int ops =
      static_cast<int>(args.count("equals") + args.count("one-of") + args.count("exists"));
  if (has_pointer != (ops > 0) || ops > 1)
    return usage_error(kName, "--pointer needs exactly one of --equals JSON, --one-of JSON or "
                              "--exists BOOL, and they need --pointer");
  for (const char* flag : {"equals", "one-of"})
    if (args.count(flag)) {
      auto value = common::parse_strict_json(args[flag].as<std::string>());
      if (!value)
        return usage_error(kName, std::string("--") + flag +
                                      " takes a JSON value (a string in "
                                      "quotes, a number, true, false, null, an array): " +
                                      value.error().message());
      entry[flag == std::string("equals") ? "equals" : "oneOf"] = std::move(*value);
    }
  if (args.count("exists")) {
    const std::string v = args["exists"].as<std::string>();
    if (v != "true" && v != "false")
      return usage_error(kName, "--exists takes true or false, not '" + v + "'");
    entry["exists"] = v == "true";
  }
  auto parsed = verify::parse_attestation_rule(
      entry, "flags", signed_by.keys, args["key"].as<std::vector<std::string>>(),
      [](const std::string&) -> common::Result<keys::PublicKey> {
        return common::make_error(common::ErrorKind::internal, "no key files from flags");
      });
  if (!parsed) {
    // The parser names policy fields; the user typed flags.
    std::string message = parsed.error().message();
    const std::pair<const char*, const char*> names[] = {
        {"flags.failOnSeverity", "--fail-on-severity"},
        {"flags.maxScanAge", "--max-scan-age"},
        {"flags.allow", "--allow"},
        {"flags.maxAge", "--max-age"},
        {"flags.builderId", "--builder-id"},
        {"flags.sourceUri", "--source-uri"},
        {"flags.pointer", "--pointer"},
        {"flags.equals", "--equals"},
        {"flags.oneOf", "--one-of"},
        {"flags.exists", "--exists"},
        {"flags.threshold", "--threshold"},
        {"flags.type", "--type"}};
    for (const auto& [field, flag] : names)
      if (message.rfind(field, 0) == 0) {
        message = flag + message.substr(std::string(field).size());
        break;
      }
    return report(common::Error(parsed.error().kind(), message));
  }
  rule.attestations.push_back(std::move(*parsed));
  signed_by.options.threshold = 1; // the rule's threshold counts; each attestation needs one key
  // cosign and text output print the envelopes: kept only for them (SBOMs run to tens of MB).
  signed_by.options.keep_envelopes = args["output"].as<std::string>() != "json";
  rule.attestation_options = signed_by.options;
  return kOk;
}

// verify-attestation --policy: each scope's attestation rules (those of --type when given), its
// signature requirements dropped (reject and unsupported ones stay: they refuse whatever is
// attested); a scope without such rules refuses its images with a usage error.
int attestation_rules_of_policy(const cxxopts::ParseResult& args, verify::Policy& policy) {
  if (policy.format != verify::PolicyFormat::isign)
    return report(common::Error(common::ErrorKind::usage,
                                "verify-attestation --policy takes an isign policy with "
                                "\"attestations\" rules; containers-policy.json has none"));
  std::optional<cosign::PredicateKind> only;
  if (args.count("type")) {
    auto kind = cosign::predicate_kind(args["type"].as<std::string>());
    if (!kind)
      return report(kind.error());
    only = std::move(*kind);
  }
  const bool keep_envelopes = args["output"].as<std::string>() != "json";
  auto narrow = [&](verify::Rule& rule) {
    // The scope's identity rule applies to the statements' subjects, as under verify.
    verify::VerifyOptions options;
    for (const auto& r : rule.requirements)
      if (r.type == verify::Requirement::Type::signed_by) {
        options = r.options;
        break;
      }
    options.required_annotations.clear();
    options.threshold = 1;
    options.keep_envelopes = keep_envelopes;
    rule.attestation_options = options;
    std::vector<verify::Requirement> kept;
    for (auto& r : rule.requirements)
      if (r.type == verify::Requirement::Type::reject ||
          r.type == verify::Requirement::Type::unsupported)
        kept.push_back(std::move(r));
    rule.requirements = std::move(kept);
    if (only) {
      std::vector<verify::AttestationRule> matching;
      for (auto& a : rule.attestations)
        if (std::find(a.predicate_types.begin(), a.predicate_types.end(), only->uri) !=
            a.predicate_types.end())
          matching.push_back(std::move(a));
      rule.attestations = std::move(matching);
    }
    if (rule.attestations.empty() && rule.requirements.empty()) {
      verify::Requirement none;
      none.type = verify::Requirement::Type::unsupported;
      none.unsupported_reason = "it has no attestation rules" +
                                (only ? " of type " + only->uri : std::string()) +
                                " for verify-attestation to check";
      rule.requirements.push_back(std::move(none));
    }
  };
  narrow(policy.default_rule);
  for (auto& [scope, rule] : policy.scopes)
    narrow(rule);
  return kOk;
}

// cosign verify-attestation's summary on stderr and each verified envelope of the types asked
// for on stdout, one JSON per line (--output cosign), or each one's statement (--output text).
void print_envelopes(const std::string& input, const verify::RefOutcome& o,
                     const std::string& output, bool from_policy) {
  std::cerr << "\nVerification for " << one_line(input) << " --\n"
            << "The following checks were performed on each of these attestations:\n"
            << "  - The statements were validated (type, subject digest)\n"
            << "  - The signatures were verified against the specified public key"
            << (from_policy ? "s of the policy" : "s") << "\n"
            << "  - The attestations' gates passed\n";
  for (const auto& r : o.results)
    for (const auto& rule : r.attestations)
      for (auto i : rule.report.valid()) {
        const auto& a = rule.report.attestations[i];
        if (output == "cosign") {
          std::cout << a.envelope << '\n';
        } else if (auto e = cosign::parse_envelope_document(a.envelope)) {
          std::cout << e->payload << '\n';
        }
      }
}

} // namespace isign::cli

#include "verify/attestation.h"

#include <algorithm>
#include <map>

#include "common/digest.h"
#include "common/json.h"
#include "cosign/attestation.h"
#include "cosign/predicate.h"
#include "verify/verifier_layer.h"

namespace isign::verify {

using common::Error;
using common::ErrorKind;
using common::make_error;
using common::Result;
using cosign::StoredLayer;
using verifier_layer::fail;

namespace {

bool is_wanted(const std::vector<std::string>& wanted, std::string_view type) {
  // An image signature in a bundle is a statement too: never an attestation.
  if (type == cosign::kSignPredicateType)
    return false;
  return wanted.empty() || std::find(wanted.begin(), wanted.end(), type) != wanted.end();
}

// The envelope of a fetched attestation blob: an .att layer is the envelope itself, a bundle
// wraps it.
Result<cosign::Envelope> envelope_of(const StoredLayer& layer, const std::string& blob) {
  if (layer.format == cosign::Format::legacy)
    return cosign::parse_envelope_document(blob);
  auto bundle = cosign::parse_bundle(blob);
  ISIGN_TRY(bundle);
  if (!bundle->envelope)
    return make_error(ErrorKind::verification,
                      "the bundle signs a blob (messageSignature), not an attestation");
  return std::move(*bundle->envelope);
}

// Statements already read in this report, by the digest of their bytes: one statement is stored
// in both formats (and may be signed by several keys), and its predicate, tens of MB for an SBOM,
// is parsed and kept once.
using Parsed = std::map<std::string, std::shared_ptr<const cosign::AttestationStatement>>;

void verify_one(Attestation& a, const StoredLayer& layer, const verifier_layer::Check& check,
                const std::vector<std::string>& wanted, Parsed& parsed) {
  LayerResult& r = a.layer;
  r.index = layer.index;
  r.format = layer.format;
  r.where = layer.where;
  // The descriptor's predicateType is unsigned: trusted to skip a layer unread (an SBOM of tens
  // of MB when a vuln scan is asked for), never to accept one.
  if (!layer.predicate_type.empty() && !is_wanted(wanted, layer.predicate_type)) {
    a.predicate_type = layer.predicate_type;
    a.other_type = true;
    r.payload_digest = layer.digest.value_or("");
    return;
  }
  if (!verifier_layer::fetch_layer(r, layer, check, nullptr))
    return;
  auto envelope = envelope_of(layer, r.payload_bytes);
  if (!envelope)
    return fail(r, Failure::payload_invalid,
                std::string(layer.format == cosign::Format::bundle ? "bundle" : "envelope") +
                    " rule broken: " + envelope.error().message());
  // What cosign verify-attestation prints: the .att layer as stored, a bundle's envelope (made
  // again once the bundle's bytes are gone: attestations run to tens of MB).
  std::string printed;
  if (layer.format == cosign::Format::legacy)
    printed = std::move(r.payload_bytes);
  r.payload_bytes = std::string();
  const std::string head = cosign::dsse_pae_head(envelope->payload_type, envelope->payload.size());
  if (!verifier_layer::find_key(r, check, [&](const keys::PublicKey& k) {
        return k.verify_parts({head, envelope->payload}, envelope->signature,
                              keys::default_hash(k.algorithm()));
      }))
    return;
  std::shared_ptr<const cosign::AttestationStatement> statement;
  const std::string statement_digest = common::sha256_digest(envelope->payload);
  if (auto seen = parsed.find(statement_digest); seen != parsed.end()) {
    statement = seen->second;
  } else {
    auto read = cosign::parse_attestation_statement(envelope->payload);
    if (!read)
      return fail(r, Failure::payload_invalid, "statement rule broken: " + read.error().message());
    statement = std::make_shared<const cosign::AttestationStatement>(std::move(*read));
    parsed.emplace(statement_digest, statement);
  }
  a.predicate_type = statement->statement.predicate_type;
  if (!is_wanted(wanted, a.predicate_type)) {
    a.other_type = true;
    return;
  }
  const std::string hex(check.image_digest.substr(7));
  const cosign::StatementSubject* subject = nullptr;
  for (const auto& s : statement->statement.subjects) {
    auto it = s.digest.find("sha256");
    if (it != s.digest.end() && it->second == hex) {
      subject = &s;
      break;
    }
  }
  cosign::Payload claims;
  if (!subject) {
    const auto& first = statement->statement.subjects.front();
    auto it = first.digest.find("sha256");
    claims.manifest_digest =
        it != first.digest.end() ? "sha256:" + it->second : std::string("another digest");
    r.payload = std::move(claims);
    return fail(r, Failure::digest_mismatch,
                "the statement is about " + r.payload->manifest_digest + ", not " +
                    std::string(check.image_digest));
  }
  claims.manifest_digest = std::string(check.image_digest);
  claims.docker_reference = subject->name.value_or("");
  claims.optional_null = false;
  claims.annotations = subject->annotations;
  r.identity_unbound = !subject->name;
  r.payload = std::move(claims);
  verifier_layer::check_claims(r, check, "the statement");
  if (!r.ok())
    return;
  a.predicate = std::shared_ptr<const nlohmann::json>(statement, &statement->predicate);
  if (check.options.keep_envelopes)
    a.envelope =
        layer.format == cosign::Format::legacy
            ? std::move(printed)
            : cosign::make_envelope(envelope->payload_type, envelope->payload, envelope->signature);
}

std::string join(const std::set<std::string>& items) {
  std::string out;
  for (const auto& i : items)
    out += (out.empty() ? "" : ", ") + i;
  return out;
}

std::string rule_name(const AttestationRule& rule) {
  return rule.type.empty() ? std::string("attestation") : rule.type;
}

// The attestation as messages name it: its type and where it is stored.
std::string attestation_name(const Attestation& a) {
  return "the " + std::string(cosign::format_name(a.layer.format)) + " attestation " +
         (a.layer.where.empty() ? a.layer.payload_digest : a.layer.where);
}

// How many failed attestations or checks a message names before "and N more": one bounded line
// whatever the number of stored attestations.
constexpr std::size_t kMaxReasonsListed = 10;

// A fetch error that leaves an attestation unread: the registry's or the network's (as for a
// signature), or a limit that kept it unfetched; neither "none" nor "invalid" can be concluded.
bool is_unread_error(const Error& e) {
  return is_transport_error(e) || e.kind() == ErrorKind::limit;
}

// A vuln attestation's scan time, for picking each key's newest (none: unknown).
std::optional<common::TimePoint> scan_time(const Attestation& a) {
  if (!a.predicate)
    return std::nullopt;
  auto facts = cosign::read_vuln_predicate(a.predicate_type, *a.predicate);
  if (!facts)
    return std::nullopt;
  return facts->scan_finished;
}

} // namespace

bool judges_newest(const AttestationRule& rule) {
  // Without a check there is nothing to judge: any valid scan settles the rule.
  return rule.has_checks() && !rule.predicate_types.empty() &&
         std::all_of(rule.predicate_types.begin(), rule.predicate_types.end(),
                     [](const std::string& t) { return cosign::is_vuln_type(t); });
}

std::vector<std::size_t> AttestationReport::valid() const {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < attestations.size(); ++i)
    if (attestations[i].layer.ok() && !attestations[i].other_type)
      out.push_back(i);
  return out;
}

Result<AttestationReport>
verify_attestations(const std::vector<StoredLayer>& layers, const BlobFetcher& fetch,
                    std::string_view image_digest, const registry::Reference& named,
                    const std::vector<keys::PublicKey>& keys, const VerifyOptions& options,
                    const std::vector<std::string>& wanted) {
  if (keys.empty())
    return make_error(ErrorKind::usage, "no public key to verify attestations with");
  ISIGN_TRY(common::validate_sha256_digest(image_digest));
  if (layers.size() > options.limits.max_layers)
    return make_error(ErrorKind::limit,
                      std::to_string(layers.size()) +
                          " attestations are stored (.att layers and bundles), more than the "
                          "limit of " +
                          std::to_string(options.limits.max_layers) + " (--max-signature-layers)");
  std::vector<std::string> key_ids;
  for (const auto& k : keys)
    key_ids.push_back(key_id(k));
  const verifier_layer::Check check{fetch, image_digest, named, keys, key_ids, options};
  AttestationReport report;
  report.wanted = wanted;
  report.threshold = options.threshold == 0 ? 1 : options.threshold;
  Parsed parsed;
  for (const auto& layer : layers) {
    if (!layer.is_object)
      return make_error(ErrorKind::registry, "the attestation manifest layer " +
                                                 std::to_string(layer.index) +
                                                 " is not a JSON object");
    if (!layer.is_signature())
      continue; // another media type in the .att: not an attestation
    Attestation a;
    verify_one(a, layer, check, wanted, parsed);
    if (!a.predicate_type.empty() && a.predicate_type != cosign::kSignPredicateType)
      report.found_types.insert(a.predicate_type);
    report.attestations.push_back(std::move(a));
  }
  return report;
}

AttestationRuleResult judge_attestation_rule(const AttestationRule& rule, AttestationReport report,
                                             common::TimePoint now) {
  AttestationRuleResult out;
  out.rule = &rule;
  out.report = std::move(report);
  auto& atts = out.report.attestations;
  const std::string name = rule_name(rule);
  const std::vector<std::size_t> valid = out.report.valid();
  if (valid.empty()) {
    // Invalid attestations of the type (or ones that could not be fetched) are not "none".
    std::string reasons;
    std::size_t failed = 0;
    std::optional<Error> fetch_error;
    const Attestation* too_large = nullptr;
    for (const auto& a : atts) {
      if (a.other_type)
        continue;
      if (a.layer.fetch_error && !fetch_error && is_unread_error(*a.layer.fetch_error))
        fetch_error = a.layer.fetch_error;
      if (a.layer.failure == Failure::too_large && !too_large)
        too_large = &a;
      if (++failed <= kMaxReasonsListed)
        reasons += (reasons.empty() ? "" : "; ") + attestation_name(a) + ": " + a.layer.reason;
    }
    if (failed > kMaxReasonsListed)
      reasons += "; and " + std::to_string(failed - kMaxReasonsListed) + " more";
    // As for signatures: a blob the registry lists but does not have is the registry's fault
    // (exit 7), and an attestation left unread by a size limit could have been the valid one
    // (exit 11): neither is "invalid".
    if (fetch_error)
      out.error = Error(fetch_error->kind() == ErrorKind::not_found ? ErrorKind::registry
                                                                    : fetch_error->kind(),
                        "reading a " + name + " attestation: " + fetch_error->message());
    else if (too_large)
      out.error = make_error(ErrorKind::limit, "no valid " + name + " attestation, and " +
                                                   attestation_name(*too_large) +
                                                   " was not checked: " + too_large->layer.reason);
    else if (!reasons.empty())
      out.error =
          make_error(ErrorKind::verification, "no valid " + name + " attestation: " + reasons);
    else
      out.error = make_error(ErrorKind::no_signature,
                             "none of the attestations matched the predicate type " + name +
                                 (out.report.found_types.empty()
                                      ? " (no attestations are stored)"
                                      : ", found: " + join(out.report.found_types)));
    return out;
  }

  // Which attestations decide: a vuln rule judges each key's newest scan (a newer scan that
  // found a vulnerability is not outvoted by an older clean one); others any of each key's.
  const bool vuln = judges_newest(rule);
  std::map<std::string, std::vector<std::size_t>> by_key;
  for (auto i : valid)
    by_key[atts[i].layer.key_id].push_back(i);
  std::set<std::string> passing_keys;
  std::string failures;
  std::size_t failed_checks = 0;
  for (auto& [key, indices] : by_key) {
    std::vector<std::size_t> judged = indices;
    if (vuln) {
      // The newest by a scan time that can be believed. A scan whose time is unknown (absent,
      // unreadable) or more than the clock skew ahead cannot be placed: it is judged too, or an
      // older clean scan would outvote it (and a clean scan dated years ahead would stay the
      // newest for ever). Scans of the same newest time are all judged.
      std::vector<std::optional<common::TimePoint>> times;
      std::optional<common::TimePoint> newest;
      for (auto i : indices) {
        auto t = scan_time(atts[i]);
        if (t && *t > now + kMaxClockSkew)
          t.reset();
        if (t && (!newest || *newest < *t))
          newest = t;
        times.push_back(t);
      }
      judged.clear();
      for (std::size_t j = 0; j < indices.size(); ++j)
        if (!times[j] || times[j] == newest)
          judged.push_back(indices[j]);
    }
    bool any_passed = false, all_passed = true;
    // One statement stored in both formats shares its parsed predicate: judged once, said once.
    std::map<const nlohmann::json*, std::size_t> seen;
    for (auto i : judged) {
      Attestation& a = atts[i];
      out.judged.push_back(i);
      if (auto same = seen.find(a.predicate.get()); same != seen.end()) {
        a.gates = atts[same->second].gates;
        continue;
      }
      seen.emplace(a.predicate.get(), i);
      a.gates = evaluate_gates(rule, a.predicate_type, *a.predicate, now);
      bool passed = true;
      for (const auto& g : a.gates) {
        if (g.passed)
          continue;
        passed = false;
        if (++failed_checks <= kMaxReasonsListed)
          failures += (failures.empty() ? "" : "; ") + attestation_name(a) + ": " + g.check + ": " +
                      g.message;
      }
      any_passed = any_passed || passed;
      all_passed = all_passed && passed;
    }
    // A vuln rule: every scan that may be the newest must pass; others: any attestation.
    if (vuln ? all_passed : any_passed)
      passing_keys.insert(key);
  }
  if (failed_checks > kMaxReasonsListed)
    failures += "; and " + std::to_string(failed_checks - kMaxReasonsListed) + " more";
  std::sort(out.judged.begin(), out.judged.end());
  if (passing_keys.size() >= out.report.threshold)
    return out;
  if (!failures.empty())
    out.error = make_error(ErrorKind::verification, name + " rule: " + failures);
  else
    out.error = make_error(ErrorKind::verification,
                           name + " attestations pass from " + std::to_string(passing_keys.size()) +
                               " distinct keys, fewer than the threshold of " +
                               std::to_string(out.report.threshold));
  return out;
}

} // namespace isign::verify

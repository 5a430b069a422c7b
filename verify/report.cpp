#include "verify/report.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "common/exit_codes.h"

namespace isign::verify {

using nlohmann::ordered_json;

namespace {

// A layer's outcome across requirements: valid under one if any, else as the first judged it.
const LayerResult* layer_view(const TargetResult& r, std::size_t layer) {
  const LayerResult* first = nullptr;
  for (const auto& report : r.reports) {
    if (layer >= report.signatures.size())
      continue;
    const auto& s = report.signatures[layer];
    if (s.ok())
      return &s;
    if (!first)
      first = &s;
  }
  return first;
}

ordered_json requirements_json(const TargetResult& r, const Rule& rule) {
  ordered_json reqs = ordered_json::array();
  for (std::size_t i = 0; i < rule.requirements.size(); ++i) {
    const auto& req = rule.requirements[i];
    ordered_json q;
    q["type"] = requirement_type_name(req);
    if (req.type == Requirement::Type::signed_by) {
      const auto& rep = r.reports[i];
      q["threshold"] = req.options.threshold == 0 ? 1 : req.options.threshold;
      q["identity"] = identity_rule_name(req.options.identity);
      q["validKeys"] = rep.valid_keys();
      q["satisfied"] = rep.verified();
    }
    reqs.push_back(std::move(q));
  }
  return reqs;
}

ordered_json signatures_json(const TargetResult& r) {
  std::size_t layers = 0;
  for (const auto& rep : r.reports)
    layers = std::max(layers, rep.signatures.size());
  ordered_json sigs = ordered_json::array();
  for (std::size_t l = 0; l < layers; ++l) {
    const auto* s = layer_view(r, l);
    if (!s)
      continue;
    ordered_json j;
    j["index"] = s->index;
    j["format"] = std::string(cosign::format_name(s->format));
    j["where"] = s->where.empty() ? ordered_json() : ordered_json(s->where);
    j["payloadDigest"] =
        s->payload_digest.empty() ? ordered_json() : ordered_json(s->payload_digest);
    j["status"] = s->ok() ? "valid" : "invalid";
    j["reason"] = s->ok() ? ordered_json() : ordered_json(failure_name(s->failure));
    j["message"] = s->ok() ? ordered_json() : ordered_json(s->reason);
    j["keyId"] = s->key_id.empty() ? ordered_json() : ordered_json(s->key_id);
    // A valid bundle whose statement names no repository: its identity was not checked.
    j["identityChecked"] = s->ok() ? ordered_json(!s->identity_unbound) : ordered_json();
    // The signed payload of a valid signature, as JSON (verified: the strict parser read it).
    j["payload"] = s->ok() ? ordered_json::parse(s->payload_bytes, nullptr, false) : ordered_json();
    sigs.push_back(std::move(j));
  }
  return sigs;
}

ordered_json gates_json(const std::vector<GateOutcome>& gates) {
  ordered_json out = ordered_json::array();
  for (const auto& g : gates)
    out.push_back({{"check", g.check},
                   {"passed", g.passed},
                   {"field", g.field},
                   {"found", g.found},
                   {"message", g.passed ? ordered_json() : ordered_json(g.message)}});
  return out;
}

// Each attestation rule: what it asked, whether it passed, and every attestation it read.
ordered_json attestations_json(const TargetResult& r) {
  ordered_json rules = ordered_json::array();
  for (const auto& a : r.attestations) {
    ordered_json j;
    j["type"] = a.rule ? a.rule->type : std::string();
    j["predicateTypes"] = a.rule ? a.rule->predicate_types : std::vector<std::string>();
    j["threshold"] = a.rule ? a.rule->threshold : 1;
    j["satisfied"] = !a.error;
    j["error"] = a.error ? ordered_json(a.error->message()) : ordered_json();
    ordered_json checked = ordered_json::array();
    for (std::size_t i = 0; i < a.report.attestations.size(); ++i) {
      const auto& at = a.report.attestations[i];
      const auto& s = at.layer;
      ordered_json c;
      c["index"] = s.index;
      c["format"] = std::string(cosign::format_name(s.format));
      c["where"] = s.where.empty() ? ordered_json() : ordered_json(s.where);
      c["digest"] = s.payload_digest.empty() ? ordered_json() : ordered_json(s.payload_digest);
      c["predicateType"] =
          at.predicate_type.empty() ? ordered_json() : ordered_json(at.predicate_type);
      c["status"] = at.other_type ? "other-type" : s.ok() ? "valid" : "invalid";
      c["reason"] = s.ok() ? ordered_json() : ordered_json(failure_name(s.failure));
      c["message"] = s.ok() ? ordered_json() : ordered_json(s.reason);
      c["keyId"] = s.key_id.empty() ? ordered_json() : ordered_json(s.key_id);
      c["judged"] = std::find(a.judged.begin(), a.judged.end(), i) != a.judged.end();
      c["gates"] = gates_json(at.gates);
      checked.push_back(std::move(c));
    }
    j["attestations"] = std::move(checked);
    rules.push_back(std::move(j));
  }
  return rules;
}

ordered_json target_json(const TargetResult& r, const Rule& rule) {
  ordered_json t;
  t["digest"] = r.target.digest.empty() ? ordered_json() : ordered_json(r.target.digest);
  t["mediaType"] = r.target.media_type.empty() ? ordered_json() : ordered_json(r.target.media_type);
  t["role"] = role_name(r.target.role);
  if (r.target.platform)
    t["platform"] = {{"os", r.target.platform->os},
                     {"architecture", r.target.platform->architecture},
                     {"variant", r.target.platform->variant}};
  else
    t["platform"] = nullptr;
  t["status"] = r.error ? status_name(*r.error, r.rejected_by_policy)
                        : (r.accepted_unsigned ? "accepted" : "verified");
  t["exitCode"] = r.error ? common::exit_code_for(r.error->kind()) : common::kOk;
  t["error"] = r.error ? ordered_json(r.error->message()) : ordered_json();
  t["requirements"] = requirements_json(r, rule);
  t["signatures"] = signatures_json(r);
  t["attestations"] = attestations_json(r);
  return t;
}

ordered_json result_json(const std::string& reference, const RefOutcome& o) {
  ordered_json r;
  r["reference"] = reference;
  r["scope"] = o.rule->scope;
  r["digest"] = o.resolution ? ordered_json(o.resolution->digest) : ordered_json();
  // Null when unknown: not resolved, or a digest verified without reading its manifest.
  r["mediaType"] = o.resolution && !o.resolution->media_type.empty()
                       ? ordered_json(o.resolution->media_type)
                       : ordered_json();
  bool rejected = false;
  const common::Error* e = o.failure(&rejected);
  bool accepted = !o.results.empty();
  for (const auto& t : o.results)
    accepted = accepted && t.accepted_unsigned;
  r["status"] = e ? status_name(*e, rejected) : (accepted ? "accepted" : "verified");
  r["exitCode"] = e ? common::exit_code_for(e->kind()) : common::kOk;
  r["error"] = e ? ordered_json(e->message()) : ordered_json();
  ordered_json manifests = ordered_json::array();
  for (const auto& t : o.results)
    manifests.push_back(target_json(t, *o.rule));
  r["manifests"] = std::move(manifests);
  return r;
}

} // namespace

std::string status_name(const common::Error& error, bool rejected_by_policy) {
  using common::ErrorKind;
  switch (error.kind()) {
  case ErrorKind::verification:
    return rejected_by_policy ? "rejected" : "invalid";
  case ErrorKind::no_signature:
    return "no-signature";
  case ErrorKind::not_found:
    return "not-found";
  case ErrorKind::network:
    return "network-error";
  case ErrorKind::registry:
    return "registry-error";
  case ErrorKind::throttled:
    return "throttled";
  case ErrorKind::limit:
    return "limit";
  case ErrorKind::usage:
    return "usage";
  default:
    return "error";
  }
}

std::string role_name(registry::Target::Role role) {
  switch (role) {
  case registry::Target::Role::index:
    return "index";
  case registry::Target::Role::child:
    return "child";
  default:
    return "image";
  }
}

std::string report_document(const std::vector<std::string>& references,
                            const std::vector<RefOutcome>& outcomes, int exit_code) {
  ordered_json doc;
  doc["schemaVersion"] = kReportSchemaVersion;
  doc["exitCode"] = exit_code;
  ordered_json results = ordered_json::array();
  for (std::size_t i = 0; i < references.size(); ++i)
    results.push_back(result_json(references[i], outcomes[i]));
  doc["results"] = std::move(results);
  // error_handler replace: registry text in messages may not be UTF-8.
  return doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
}

} // namespace isign::verify

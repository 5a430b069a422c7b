// isign's own policy format (README.md, "Policies"): {"version": 1, "default": RULE, "scopes":
// {SCOPE: RULE}}, a rule being one requirement and, for sigstoreSigned, the attestation gates
// (verify/gates.h) its images must pass as well.
#include <nlohmann/json.hpp>

#include "common/json.h"
#include "verify/policy_parse.h"

namespace isign::verify::policy_parse {

using common::json_type_name;
using common::quote_for_message;
using common::Result;
using nlohmann::json;

namespace {

// A rule's "attestations": a list of gates (verify/gates.h), each entry's keys loaded like the
// rule's own (paths relative to the policy's directory, or PEM text) and defaulting to them.
Result<std::vector<AttestationRule>> parse_attestations(const json& v, const std::string& where,
                                                        const std::vector<keys::PublicKey>& keys,
                                                        const std::vector<std::string>& key_files,
                                                        KeyLoader& loader) {
  if (!v.is_array())
    return bad(where, std::string("must be a list of attestation rules, not ") + json_type_name(v));
  const verify::AttestationKeyLoader load = [&loader](const std::string& entry) {
    return entry.rfind("-----BEGIN", 0) == 0 ? loader.from_pem(entry, "")
                                             : loader.from_path(entry, "");
  };
  // PEM text would make messages naming a rule's keys unreadable.
  std::vector<std::string> names;
  for (const auto& file : key_files)
    names.push_back(file.rfind("-----BEGIN", 0) == 0 ? "an inline PEM key" : file);
  std::vector<AttestationRule> out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    auto rule =
        parse_attestation_rule(v[i], where + "[" + std::to_string(i) + "]", keys, names, load);
    ISIGN_TRY(rule);
    out.push_back(std::move(*rule));
  }
  return out;
}

Result<Rule> parse_isign_rule(const json& v, const std::string& where, const std::string& scope,
                              KeyLoader& loader) {
  if (auto ok = expect_object(v, where); !ok)
    return ok.error();
  Rule rule;
  rule.scope = scope;
  std::string type = "sigstoreSigned";
  if (v.contains("type")) {
    auto t = get_string(v, "type", where);
    ISIGN_TRY(t);
    type = *t;
  }
  if (type == "reject" || type == "insecureAcceptAnything") {
    // Gates under a rule that decides without the registry would never be checked.
    if (v.contains("attestations"))
      return bad(member(where, "attestations"),
                 "only with a sigstoreSigned rule (" + type + " checks nothing in the registry)");
    auto plain = parse_plain_requirement(v, type, where);
    ISIGN_TRY(plain);
    rule.requirements.push_back(std::move(*plain));
    return rule;
  }
  if (type != "sigstoreSigned")
    return bad(member(where, "type"),
               "unknown rule type " + quote_for_message(type) +
                   " (sigstoreSigned, the default; reject; insecureAcceptAnything)");
  Requirement req;
  if (auto ok = only_fields(v,
                            {"type", "keys", "threshold", "annotations", "identity",
                             "requireIdentity", "attestations"},
                            where);
      !ok)
    return ok.error();
  if (v.contains("requireIdentity")) {
    if (!v.at("requireIdentity").is_boolean())
      return bad(member(where, "requireIdentity"), "must be true or false");
    req.options.require_identity = v.at("requireIdentity").get<bool>();
  }
  // Attestations add to the image's own signatures, they do not replace them: a scope always
  // names the keys that sign its images, and its gates default to them.
  if (!v.contains("keys"))
    return bad(where, v.contains("attestations")
                          ? "missing field \"keys\" (public key files or PEM text: attestations "
                            "add to the image's signatures, they do not replace them)"
                          : "missing field \"keys\" (public key files or PEM text)");
  auto entries = get_strings(v, "keys", where);
  ISIGN_TRY(entries);
  for (std::size_t i = 0; i < entries->size(); ++i) {
    const std::string& e = (*entries)[i];
    const std::string at = member(where, "keys") + "[" + std::to_string(i) + "]";
    auto key = e.rfind("-----BEGIN", 0) == 0 ? loader.from_pem(e, at) : loader.from_path(e, at);
    ISIGN_TRY(key);
    req.keys.push_back(std::move(*key));
  }
  if (v.contains("threshold")) {
    const json& t = v.at("threshold");
    const std::size_t distinct = distinct_keys(req.keys);
    if (!t.is_number_integer() || t.get<long long>() < 1)
      return bad(member(where, "threshold"), "must be a whole number of at least 1");
    if (static_cast<unsigned long long>(t.get<long long>()) > distinct)
      return bad(member(where, "threshold"), std::to_string(t.get<long long>()) +
                                                 " is more than the " + std::to_string(distinct) +
                                                 " distinct key" + (distinct == 1 ? "" : "s"));
    req.options.threshold = static_cast<std::size_t>(t.get<long long>());
  }
  if (v.contains("annotations")) {
    const json& a = v.at("annotations");
    const std::string at = member(where, "annotations");
    if (!a.is_object())
      return bad(at, std::string("must be an object of strings, not ") + json_type_name(a));
    for (const auto& [key, value] : a.items()) {
      if (!value.is_string())
        return bad(quoted_member(at, key),
                   std::string("must be a string, not ") + json_type_name(value));
      req.options.required_annotations[key] = value.get<std::string>();
    }
  }
  if (v.contains("identity")) {
    std::string unsupported;
    if (auto ok = parse_identity(v.at("identity"), member(where, "identity"), false, req.options,
                                 &unsupported);
        !ok)
      return ok.error();
  }
  if (v.contains("attestations")) {
    auto attestations = parse_attestations(v.at("attestations"), member(where, "attestations"),
                                           req.keys, *entries, loader);
    ISIGN_TRY(attestations);
    rule.attestations = std::move(*attestations);
  }
  rule.requirements.push_back(std::move(req));
  return rule;
}

// "admission": {"exemptNamespaces": [...], "exemptImages": [...]}: what isign serve lets through
// unchecked. Image exemptions are scopes, written and matched as the policy's own.
Result<AdmissionExemptions> parse_admission(const json& v) {
  const std::string where = "admission";
  if (auto ok = expect_object(v, where); !ok)
    return ok.error();
  if (auto ok = only_fields(v, {"exemptNamespaces", "exemptImages"}, where); !ok)
    return ok.error();
  AdmissionExemptions exemptions;
  if (v.contains("exemptNamespaces")) {
    auto names = get_strings(v, "exemptNamespaces", where);
    ISIGN_TRY(names);
    for (const auto& name : *names) {
      // A Kubernetes namespace is a DNS label: lowercase letters, digits and '-', at most 63.
      const bool label =
          name.size() <= 63 &&
          name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") == std::string::npos &&
          name.front() != '-' && name.back() != '-';
      if (!label)
        return bad(member(where, "exemptNamespaces"),
                   "\"" + name.substr(0, 64) + "\" is not a namespace name (a DNS label)");
    }
    exemptions.namespaces = std::move(*names);
  }
  if (v.contains("exemptImages")) {
    auto images = get_strings(v, "exemptImages", where);
    ISIGN_TRY(images);
    for (const auto& image : *images) {
      auto normalized = normalize_scope(image, member(where, "exemptImages"));
      ISIGN_TRY(normalized);
      exemptions.images.push_back(std::move(*normalized));
    }
  }
  return exemptions;
}

} // namespace

Result<Policy> parse_isign(const json& doc, KeyLoader& loader) {
  if (auto ok = only_fields(doc, {"version", "default", "scopes", "admission"}, ""); !ok)
    return ok.error();
  if (!doc.contains("version"))
    return bad("", "missing field \"version\" (an isign policy starts with \"version\": 1; a "
                   "containers-policy.json has \"default\" as a list)");
  if (!doc.at("version").is_number_integer() || doc.at("version").get<long long>() != 1)
    return bad("version", "must be 1 (the only version of the isign policy format)");
  if (!doc.contains("default"))
    return bad("", "missing field \"default\" (the rule for images no scope matches; "
                   "{\"type\": \"reject\"} refuses them)");
  Policy policy;
  policy.format = PolicyFormat::isign;
  auto def = parse_isign_rule(doc.at("default"), "default", "default", loader);
  ISIGN_TRY(def);
  policy.default_rule = std::move(*def);
  if (doc.contains("admission")) {
    auto admission = parse_admission(doc.at("admission"));
    ISIGN_TRY(admission);
    policy.admission = std::move(*admission);
  }
  if (doc.contains("scopes")) {
    const json& scopes = doc.at("scopes");
    if (auto ok = expect_object(scopes, "scopes"); !ok)
      return ok.error();
    for (const auto& [scope, value] : scopes.items()) {
      auto normalized = normalize_scope(scope, "scopes");
      ISIGN_TRY(normalized);
      auto rule = parse_isign_rule(value, quoted_member("scopes", scope), scope, loader);
      ISIGN_TRY(rule);
      if (auto added =
              add_scope(policy, *normalized, std::move(*rule), quoted_member("scopes", scope));
          !added)
        return added.error();
    }
  }
  return policy;
}

} // namespace isign::verify::policy_parse

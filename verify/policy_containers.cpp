// The sigstoreSigned parts of containers-policy.json (podman, CRI-O; containers-policy.json(5)):
// {"default": [REQUIREMENT...], "transports": {"docker": {SCOPE: [REQUIREMENT...]}}}. What isign
// cannot check is kept as an unsupported requirement, so that images in its scope fail.
#include <nlohmann/json.hpp>

#include "common/encoding.h"
#include "common/json.h"
#include "verify/policy_parse.h"

namespace isign::verify::policy_parse {

using common::json_type_name;
using common::quote_for_message;
using common::Result;
using nlohmann::json;

namespace {

// The requirement types of containers-policy.json other than sigstoreSigned: accepted when
// isign can honour them (insecureAcceptAnything, reject), unsupported otherwise.
Result<Requirement> parse_other_requirement(const json& v, const std::string& type,
                                            const std::string& where) {
  if (type == "insecureAcceptAnything" || type == "reject")
    return parse_plain_requirement(v, type, where);
  Requirement req;
  if (type == "signedBy") {
    if (auto ok = only_fields(
            v, {"type", "keyType", "keyPath", "keyPaths", "keyData", "signedIdentity"}, where);
        !ok)
      return ok.error();
    req.type = Requirement::Type::unsupported;
    req.unsupported_reason = "signedBy (GPG simple signing) is not supported by isign";
    return req;
  }
  if (type == "signedBaseLayer") {
    if (auto ok = only_fields(v, {"type", "baseLayerIdentity"}, where); !ok)
      return ok.error();
    req.type = Requirement::Type::unsupported;
    req.unsupported_reason = "signedBaseLayer is not supported by isign";
    return req;
  }
  return bad(member(where, "type"), "unknown requirement type " + quote_for_message(type));
}

// The keys of a sigstoreSigned requirement (keyPath, keyPaths, keyData or keyDatas) into req.
Result<void> load_sigstore_keys(const json& v, const std::string& where, KeyLoader& loader,
                                Requirement& req) {
  if (v.contains("keyPath")) {
    auto path = get_string(v, "keyPath", where);
    ISIGN_TRY(path);
    auto key = loader.from_path(*path, member(where, "keyPath"));
    ISIGN_TRY(key);
    req.keys.push_back(std::move(*key));
  }
  if (v.contains("keyPaths")) {
    auto paths = get_strings(v, "keyPaths", where);
    ISIGN_TRY(paths);
    for (std::size_t i = 0; i < paths->size(); ++i) {
      auto key =
          loader.from_path((*paths)[i], member(where, "keyPaths") + "[" + std::to_string(i) + "]");
      ISIGN_TRY(key);
      req.keys.push_back(std::move(*key));
    }
  }
  // keyData/keyDatas are Go []byte: base64 of the PEM text.
  auto from_data = [&](const std::string& b64, const std::string& at) -> Result<void> {
    auto pem = common::base64_decode(b64);
    if (!pem)
      return bad(at, "is not base64 (keyData holds the PEM public key, base64-encoded)");
    auto key = loader.from_pem(*pem, at);
    ISIGN_TRY(key);
    req.keys.push_back(std::move(*key));
    return {};
  };
  if (v.contains("keyData")) {
    auto data = get_string(v, "keyData", where);
    ISIGN_TRY(data);
    if (auto ok = from_data(*data, member(where, "keyData")); !ok)
      return ok.error();
  }
  if (v.contains("keyDatas")) {
    auto datas = get_strings(v, "keyDatas", where);
    ISIGN_TRY(datas);
    for (std::size_t i = 0; i < datas->size(); ++i)
      if (auto ok =
              from_data((*datas)[i], member(where, "keyDatas") + "[" + std::to_string(i) + "]");
          !ok)
        return ok.error();
  }
  return {};
}

Result<Requirement> parse_containers_requirement(const json& v, const std::string& where,
                                                 KeyLoader& loader) {
  auto type = object_type(v, where);
  ISIGN_TRY(type);
  if (*type != "sigstoreSigned")
    return parse_other_requirement(v, *type, where);
  Requirement req;

  if (auto ok = only_fields(v,
                            {"type", "keyPath", "keyPaths", "keyData", "keyDatas", "fulcio", "pki",
                             "rekorPublicKeyPath", "rekorPublicKeyPaths", "rekorPublicKeyData",
                             "rekorPublicKeyDatas", "signedIdentity"},
                            where);
      !ok)
    return ok.error();
  int sources = 0;
  for (const char* f : {"keyPath", "keyPaths", "keyData", "keyDatas", "fulcio", "pki"})
    sources += v.contains(f) ? 1 : 0;
  if (sources != 1)
    return bad(where, "exactly one of keyPath, keyPaths, keyData, keyDatas, fulcio and pki must "
                      "be given");
  // containers/image's default identity rule when signedIdentity is absent.
  req.options.identity = IdentityRule::repo_digest_or_exact;
  std::string unsupported;
  if (v.contains("signedIdentity"))
    if (auto ok = parse_identity(v.at("signedIdentity"), member(where, "signedIdentity"), true,
                                 req.options, &unsupported);
        !ok)
      return ok.error();
  for (const char* f : {"fulcio", "pki"})
    if (v.contains(f))
      unsupported = std::string(f) + " certificates are not supported by isign (keys only)";
  for (const char* f :
       {"rekorPublicKeyPath", "rekorPublicKeyPaths", "rekorPublicKeyData", "rekorPublicKeyDatas"})
    if (v.contains(f))
      unsupported = std::string(f) + ": isign has no transparency log support";
  if (!unsupported.empty()) {
    req.type = Requirement::Type::unsupported;
    req.unsupported_reason = "sigstoreSigned: " + unsupported;
    req.keys.clear();
    return req;
  }

  if (auto loaded = load_sigstore_keys(v, where, loader, req); !loaded)
    return loaded.error();
  return req;
}

Result<Rule> parse_containers_requirements(const json& v, const std::string& where,
                                           const std::string& scope, KeyLoader& loader) {
  if (!v.is_array())
    return bad(where, std::string("must be a list of requirements, not ") + json_type_name(v));
  if (v.empty())
    return bad(where, "the list of requirements must not be empty");
  Rule rule;
  rule.scope = scope;
  for (std::size_t i = 0; i < v.size(); ++i) {
    auto req = parse_containers_requirement(v[i], where + "[" + std::to_string(i) + "]", loader);
    ISIGN_TRY(req);
    rule.requirements.push_back(std::move(*req));
  }
  return rule;
}

} // namespace

Result<Policy> parse_containers(const json& doc, KeyLoader& loader) {
  if (auto ok = only_fields(doc, {"default", "transports"}, ""); !ok)
    return ok.error();
  if (!doc.contains("default"))
    return bad("", "missing field \"default\"");
  Policy policy;
  policy.format = PolicyFormat::containers;
  auto def = parse_containers_requirements(doc.at("default"), "default", "default", loader);
  ISIGN_TRY(def);
  policy.default_rule = std::move(*def);
  if (!doc.contains("transports"))
    return policy;
  const json& transports = doc.at("transports");
  if (auto ok = expect_object(transports, "transports"); !ok)
    return ok.error();
  for (const auto& [transport, scopes] : transports.items()) {
    const std::string where = quoted_member("transports", transport);
    if (auto ok = expect_object(scopes, where); !ok)
      return ok.error();
    for (const auto& [scope, value] : scopes.items()) {
      const std::string at = quoted_member(where, scope);
      // Other transports (docker-daemon, containers-storage, ...) are checked but not used:
      // isign verifies images in registries only. Their scopes are not registry names.
      auto rule = parse_containers_requirements(value, at, scope, loader);
      ISIGN_TRY(rule);
      if (transport != "docker")
        continue;
      std::string normalized;
      if (!scope.empty()) {
        auto n = normalize_scope(scope, where);
        ISIGN_TRY(n);
        normalized = *n;
      }
      if (auto added = add_scope(policy, normalized, std::move(*rule), at); !added)
        return added.error();
    }
  }
  return policy;
}

} // namespace isign::verify::policy_parse

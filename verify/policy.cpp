#include "verify/policy.h"

#include <algorithm>
#include <cctype>
#include <initializer_list>
#include <nlohmann/json.hpp>

#include "common/encoding.h"
#include "common/file.h"
#include "common/json.h"

namespace isign::verify {

using common::Error;
using common::ErrorKind;
using common::json_type_name;
using common::make_error;
using common::quote_for_message;
using common::Result;
using nlohmann::json;

namespace {

constexpr std::size_t kMaxPolicySize = 1u << 20;
constexpr std::size_t kMaxKeyFileSize = 1u << 20;

Error bad(const std::string& where, const std::string& problem) {
  return make_error(ErrorKind::usage, where.empty() ? problem : where + ": " + problem);
}

std::string member(const std::string& where, const std::string& key) {
  return where.empty() ? key : where + "." + key;
}

// A scope or key as it appears in a path: "scopes.\"ghcr.io/team\"".
std::string quoted_member(const std::string& where, const std::string& key) {
  return where + "." + quote_for_message(key);
}

Result<void> expect_object(const json& v, const std::string& where) {
  if (!v.is_object())
    return bad(where, std::string("must be an object, not ") + json_type_name(v));
  return {};
}

// Every member of obj must be one of allowed; the first unknown one is named.
Result<void> only_fields(const json& obj, std::initializer_list<std::string_view> allowed,
                         const std::string& where) {
  for (const auto& [key, value] : obj.items()) {
    (void)value;
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      std::string list;
      for (auto a : allowed)
        list += (list.empty() ? "" : ", ") + std::string(a);
      return bad(where.empty() ? "the top level" : where,
                 "unknown field " + quote_for_message(key) + " (allowed: " + list + ")");
    }
  }
  return {};
}

Result<std::string> get_string(const json& obj, const std::string& key, const std::string& where,
                               bool allow_empty = false) {
  const json& v = obj.at(key);
  if (!v.is_string())
    return bad(member(where, key), std::string("must be a string, not ") + json_type_name(v));
  auto s = v.get<std::string>();
  if (s.empty() && !allow_empty)
    return bad(member(where, key), "must not be empty");
  return s;
}

Result<std::vector<std::string>> get_strings(const json& obj, const std::string& key,
                                             const std::string& where) {
  const json& v = obj.at(key);
  if (!v.is_array())
    return bad(member(where, key),
               std::string("must be a list of strings, not ") + json_type_name(v));
  if (v.empty())
    return bad(member(where, key), "must not be empty");
  std::vector<std::string> out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const std::string at = member(where, key) + "[" + std::to_string(i) + "]";
    if (!v[i].is_string())
      return bad(at, std::string("must be a string, not ") + json_type_name(v[i]));
    if (v[i].get<std::string>().empty())
      return bad(at, "must not be empty");
    out.push_back(v[i].get<std::string>());
  }
  return out;
}

bool is_host(std::string_view host) {
  if (host.empty())
    return false;
  for (char c : host)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':' ||
          c == '[' || c == ']'))
      return false;
  return host == "localhost" || host.find('.') != std::string_view::npos ||
         host.find(':') != std::string_view::npos;
}

bool is_path_component(std::string_view c) {
  if (c.empty())
    return false;
  for (char ch : c)
    if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' ||
          ch == '-'))
      return false;
  return true;
}

std::string normalize_host(std::string host) {
  if (host == registry::kDockerHubPrinted || host == registry::kDockerHubApiHost)
    return std::string(registry::kDockerHub);
  return host;
}

// "host[:port]" or "host[:port]/path/components", docker.io aliases normalized; "" if invalid.
std::string normalize_prefix(std::string_view text) {
  auto slash = text.find('/');
  std::string host(text.substr(0, slash));
  if (!is_host(host))
    return "";
  std::string out = normalize_host(host);
  if (slash == std::string_view::npos)
    return out;
  std::string_view rest = text.substr(slash + 1);
  while (true) {
    auto next = rest.find('/');
    auto component = rest.substr(0, next);
    if (!is_path_component(component))
      return "";
    out += "/" + std::string(component);
    if (next == std::string_view::npos)
      break;
    rest = rest.substr(next + 1);
  }
  return out;
}

// A scope: a wildcard host "*.example.com", a prefix (see normalize_prefix) or an exact reference
// "host/repo:tag" / "host/repo@digest". Returns the normalized form, or a usage error.
Result<std::string> normalize_scope(const std::string& scope, const std::string& where) {
  const std::string at = quoted_member(where, scope);
  if (scope.rfind("*.", 0) == 0) {
    std::string_view host = std::string_view(scope).substr(2);
    if (!is_host(host) || host.find(':') != std::string_view::npos ||
        host.find('.') == std::string_view::npos)
      return bad(at, "a wildcard scope is \"*.\" and a host name without port, e.g. "
                     "\"*.example.com\"");
    return scope;
  }
  const auto slash = scope.find('/');
  const std::string host = scope.substr(0, slash);
  if (!is_host(host))
    return bad(at, "a scope starts with a registry host (\"ghcr.io\", \"localhost:5000\", "
                   "\"docker.io/library/ubuntu\"), not " +
                       quote_for_message(host));
  const std::string last = slash == std::string::npos ? "" : scope.substr(scope.rfind('/'));
  if (last.find(':') != std::string::npos || last.find('@') != std::string::npos) {
    auto ref = registry::Reference::parse(scope);
    if (!ref)
      return bad(at, "not a valid image reference: " + ref.error().message());
    std::string out = normalize_host(ref->repository.registry) + "/" + ref->repository.name;
    if (!ref->tag.empty())
      out += ":" + ref->tag;
    if (!ref->digest.empty())
      out += "@" + ref->digest;
    return out;
  }
  std::string out = normalize_prefix(scope);
  if (out.empty())
    return bad(at, "not a registry, namespace or repository (path components are lowercase "
                   "letters, digits, '.', '_' and '-')");
  return out;
}

// Loads keys once per path or text, however many scopes name them.
class KeyLoader {
public:
  explicit KeyLoader(const PolicyLoadOptions& options) : options_(options) {}

  Result<keys::PublicKey> from_pem(const std::string& pem, const std::string& where) {
    auto key = keys::PublicKey::from_pem(pem);
    if (!key)
      return std::move(key).error().context(where);
    return key;
  }

  Result<keys::PublicKey> from_path(const std::string& path, const std::string& where) {
    std::string full = path;
    if (!path.empty() && path.front() != '/' && !options_.base_dir.empty())
      full = options_.base_dir + "/" + path;
    if (auto it = cache_.find(full); it != cache_.end())
      return it->second;
    auto text = options_.read_key_file ? options_.read_key_file(full)
                                       : common::read_file(full, kMaxKeyFileSize);
    if (!text)
      return std::move(text).error().context(where + ": reading key '" + full + "'");
    auto key = keys::PublicKey::from_pem(*text);
    if (!key)
      return std::move(key).error().context(where + ": key '" + full + "'");
    cache_.emplace(full, *key);
    return key;
  }

private:
  const PolicyLoadOptions& options_;
  std::map<std::string, keys::PublicKey> cache_;
};

Result<void> validate_remap_prefix(const std::string& value, const std::string& where) {
  if (normalize_prefix(value) != value)
    return bad(where, quote_for_message(value) +
                          " is not a registry host or host/namespace prefix in normalized form "
                          "(e.g. \"mirror.local:5000/team\", \"docker.io/library\")");
  return {};
}

// signedIdentity / identity: {"type": ...} with remapIdentity's prefix and signedPrefix.
// containers' exactReference and exactRepository are recognized but not supported.
Result<void> parse_identity(const json& v, const std::string& where, bool containers,
                            VerifyOptions& out, std::string* unsupported) {
  if (auto ok = expect_object(v, where); !ok)
    return ok;
  if (!v.contains("type"))
    return bad(where, "missing field \"type\"");
  auto type = get_string(v, "type", where);
  if (!type)
    return std::move(type).error();
  if (*type == "remapIdentity") {
    if (auto ok = only_fields(v, {"type", "prefix", "signedPrefix"}, where); !ok)
      return ok;
    for (const char* f : {"prefix", "signedPrefix"})
      if (!v.contains(f))
        return bad(where, std::string("missing field \"") + f + "\"");
    auto prefix = get_string(v, "prefix", where);
    if (!prefix)
      return std::move(prefix).error();
    auto signed_prefix = get_string(v, "signedPrefix", where);
    if (!signed_prefix)
      return std::move(signed_prefix).error();
    if (auto ok = validate_remap_prefix(*prefix, member(where, "prefix")); !ok)
      return ok;
    if (auto ok = validate_remap_prefix(*signed_prefix, member(where, "signedPrefix")); !ok)
      return ok;
    out.identity = IdentityRule::remap;
    // cosign's docker-reference has no tag, which containers/image's rule after remapping
    // (matchRepoDigestOrExact) never accepts; isign's own format compares repositories instead.
    out.remap_then =
        containers ? IdentityRule::repo_digest_or_exact : IdentityRule::same_repository;
    out.remap_prefix = *prefix;
    out.remap_signed_prefix = *signed_prefix;
    return {};
  }
  if (containers && (*type == "exactReference" || *type == "exactRepository")) {
    const char* field = *type == "exactReference" ? "dockerReference" : "dockerRepository";
    if (auto ok = only_fields(v, {"type", field}, where); !ok)
      return ok;
    *unsupported = "signedIdentity " + *type + " is not supported by isign";
    return {};
  }
  if (auto ok = only_fields(v, {"type"}, where); !ok)
    return ok;
  if (*type == "matchRepository")
    out.identity = IdentityRule::same_repository;
  else if (*type == "matchExact")
    out.identity = IdentityRule::exact;
  else if (*type == "matchRepoDigestOrExact")
    out.identity = IdentityRule::repo_digest_or_exact;
  else if (*type == "none" && !containers)
    out.identity = IdentityRule::none;
  else
    return bad(member(where, "type"),
               "unknown identity type " + quote_for_message(*type) +
                   (containers ? " (matchExact, matchRepoDigestOrExact, matchRepository, "
                                 "exactReference, exactRepository, remapIdentity)"
                               : " (matchRepository, matchExact, matchRepoDigestOrExact, "
                                 "remapIdentity, none)"));
  return {};
}

// --- isign's format -------------------------------------------------------------------------

Result<Rule> parse_isign_rule(const json& v, const std::string& where, const std::string& scope,
                              KeyLoader& loader) {
  if (auto ok = expect_object(v, where); !ok)
    return ok.error();
  Rule rule;
  rule.scope = scope;
  Requirement req;
  std::string type = "sigstoreSigned";
  if (v.contains("type")) {
    auto t = get_string(v, "type", where);
    if (!t)
      return std::move(t).error();
    type = *t;
  }
  if (type == "reject" || type == "insecureAcceptAnything") {
    if (auto ok = only_fields(v, {"type"}, where); !ok)
      return ok.error();
    req.type = type == "reject" ? Requirement::Type::reject : Requirement::Type::accept_anything;
    rule.requirements.push_back(std::move(req));
    return rule;
  }
  if (type != "sigstoreSigned")
    return bad(member(where, "type"),
               "unknown rule type " + quote_for_message(type) +
                   " (sigstoreSigned, the default; reject; insecureAcceptAnything)");
  if (auto ok = only_fields(
          v, {"type", "keys", "threshold", "annotations", "identity", "requireIdentity"}, where);
      !ok)
    return ok.error();
  if (v.contains("requireIdentity")) {
    if (!v.at("requireIdentity").is_boolean())
      return bad(member(where, "requireIdentity"), "must be true or false");
    req.options.require_identity = v.at("requireIdentity").get<bool>();
  }
  if (!v.contains("keys"))
    return bad(where, "missing field \"keys\" (public key files or PEM text)");
  auto entries = get_strings(v, "keys", where);
  if (!entries)
    return std::move(entries).error();
  for (std::size_t i = 0; i < entries->size(); ++i) {
    const std::string& e = (*entries)[i];
    const std::string at = member(where, "keys") + "[" + std::to_string(i) + "]";
    auto key = e.rfind("-----BEGIN", 0) == 0 ? loader.from_pem(e, at) : loader.from_path(e, at);
    if (!key)
      return std::move(key).error();
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
  rule.requirements.push_back(std::move(req));
  return rule;
}

Result<Policy> parse_isign(const json& doc, KeyLoader& loader) {
  if (auto ok = only_fields(doc, {"version", "default", "scopes"}, ""); !ok)
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
  if (!def)
    return std::move(def).error();
  policy.default_rule = std::move(*def);
  if (doc.contains("scopes")) {
    const json& scopes = doc.at("scopes");
    if (auto ok = expect_object(scopes, "scopes"); !ok)
      return ok.error();
    for (const auto& [scope, value] : scopes.items()) {
      auto normalized = normalize_scope(scope, "scopes");
      if (!normalized)
        return std::move(normalized).error();
      auto rule = parse_isign_rule(value, quoted_member("scopes", scope), scope, loader);
      if (!rule)
        return std::move(rule).error();
      if (!policy.scopes.emplace(*normalized, std::move(*rule)).second)
        return bad(quoted_member("scopes", scope),
                   "the same scope as another one (" + quote_for_message(*normalized) + ")");
    }
  }
  return policy;
}

// --- containers-policy.json -------------------------------------------------------------------

// The requirement types of containers-policy.json other than sigstoreSigned: accepted when
// isign can honour them (insecureAcceptAnything, reject), unsupported otherwise.
Result<Requirement> parse_other_requirement(const json& v, const std::string& type,
                                            const std::string& where) {
  Requirement req;
  if (type == "insecureAcceptAnything" || type == "reject") {
    if (auto ok = only_fields(v, {"type"}, where); !ok)
      return ok.error();
    req.type = type == "reject" ? Requirement::Type::reject : Requirement::Type::accept_anything;
    return req;
  }
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
    if (!path)
      return std::move(path).error();
    auto key = loader.from_path(*path, member(where, "keyPath"));
    if (!key)
      return std::move(key).error();
    req.keys.push_back(std::move(*key));
  }
  if (v.contains("keyPaths")) {
    auto paths = get_strings(v, "keyPaths", where);
    if (!paths)
      return std::move(paths).error();
    for (std::size_t i = 0; i < paths->size(); ++i) {
      auto key =
          loader.from_path((*paths)[i], member(where, "keyPaths") + "[" + std::to_string(i) + "]");
      if (!key)
        return std::move(key).error();
      req.keys.push_back(std::move(*key));
    }
  }
  // keyData/keyDatas are Go []byte: base64 of the PEM text.
  auto from_data = [&](const std::string& b64, const std::string& at) -> Result<void> {
    auto pem = common::base64_decode(b64);
    if (!pem)
      return bad(at, "is not base64 (keyData holds the PEM public key, base64-encoded)");
    auto key = loader.from_pem(*pem, at);
    if (!key)
      return std::move(key).error();
    req.keys.push_back(std::move(*key));
    return {};
  };
  if (v.contains("keyData")) {
    auto data = get_string(v, "keyData", where);
    if (!data)
      return std::move(data).error();
    if (auto ok = from_data(*data, member(where, "keyData")); !ok)
      return ok.error();
  }
  if (v.contains("keyDatas")) {
    auto datas = get_strings(v, "keyDatas", where);
    if (!datas)
      return std::move(datas).error();
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
  if (auto ok = expect_object(v, where); !ok)
    return ok.error();
  if (!v.contains("type"))
    return bad(where, "missing field \"type\"");
  auto type = get_string(v, "type", where);
  if (!type)
    return std::move(type).error();
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
    if (!req)
      return std::move(req).error();
    rule.requirements.push_back(std::move(*req));
  }
  return rule;
}

Result<Policy> parse_containers(const json& doc, KeyLoader& loader) {
  if (auto ok = only_fields(doc, {"default", "transports"}, ""); !ok)
    return ok.error();
  if (!doc.contains("default"))
    return bad("", "missing field \"default\"");
  Policy policy;
  policy.format = PolicyFormat::containers;
  auto def = parse_containers_requirements(doc.at("default"), "default", "default", loader);
  if (!def)
    return std::move(def).error();
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
      if (!rule)
        return std::move(rule).error();
      if (transport != "docker")
        continue;
      std::string normalized;
      if (!scope.empty()) {
        auto n = normalize_scope(scope, where);
        if (!n)
          return std::move(n).error();
        normalized = *n;
      }
      if (!policy.scopes.emplace(normalized, std::move(*rule)).second)
        return bad(at, "the same scope as another one (" + quote_for_message(normalized) + ")");
    }
  }
  return policy;
}

} // namespace

std::string requirement_type_name(const Requirement& requirement) {
  switch (requirement.type) {
  case Requirement::Type::signed_by:
    return "sigstoreSigned";
  case Requirement::Type::reject:
    return "reject";
  case Requirement::Type::accept_anything:
    return "insecureAcceptAnything";
  case Requirement::Type::unsupported:
    return "unsupported";
  }
  return "unknown";
}

std::vector<std::string> scope_candidates(const registry::Reference& ref) {
  const std::string name = ref.repository.registry + "/" + ref.repository.name;
  std::vector<std::string> out;
  if (!ref.tag.empty() && !ref.digest.empty())
    out.push_back(name + ":" + ref.tag + "@" + ref.digest);
  if (!ref.digest.empty())
    out.push_back(name + "@" + ref.digest);
  // With a digest, what is pulled is that digest whatever the tag says: a tag scope
  // ("repo:legacy") must not admit "repo:legacy@sha256:<any>".
  if (!ref.tag.empty() && ref.digest.empty())
    out.push_back(name + ":" + ref.tag);
  if (ref.tag.empty() && ref.digest.empty())
    out.push_back(name + ":latest");
  for (std::string prefix = name;;) {
    out.push_back(prefix);
    auto slash = prefix.rfind('/');
    if (slash == std::string::npos)
      break;
    prefix.resize(slash);
  }
  // Wildcards name host names (no port): a.b.example.com -> *.b.example.com, *.example.com, *.com.
  const std::string& host = ref.repository.registry;
  if (host.find(':') == std::string::npos)
    for (auto dot = host.find('.'); dot != std::string::npos; dot = host.find('.', dot + 1))
      out.push_back("*" + host.substr(dot));
  return out;
}

const Rule& Policy::rule_for(const registry::Reference& ref) const {
  for (const auto& candidate : scope_candidates(ref))
    if (auto it = scopes.find(candidate); it != scopes.end())
      return it->second;
  if (auto it = scopes.find(""); it != scopes.end())
    return it->second;
  return default_rule;
}

Result<Policy> parse_policy(std::string_view text, const PolicyLoadOptions& options) {
  if (text.size() > kMaxPolicySize)
    return make_error(ErrorKind::limit,
                      "the policy is larger than " + std::to_string(kMaxPolicySize) + " bytes");
  auto doc = common::parse_strict_json(text);
  if (!doc)
    return bad("", "not valid JSON: " + doc.error().message());
  if (!doc->is_object())
    return bad("", "the policy must be a JSON object");
  KeyLoader loader(options);
  const bool containers =
      doc->contains("transports") || (doc->contains("default") && doc->at("default").is_array());
  return containers ? parse_containers(*doc, loader) : parse_isign(*doc, loader);
}

Result<Policy> load_policy_file(const std::string& path) {
  auto text = common::read_file(path, kMaxPolicySize);
  if (!text)
    return std::move(text).error();
  PolicyLoadOptions options;
  auto slash = path.rfind('/');
  options.base_dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  return parse_policy(*text, options);
}

} // namespace isign::verify

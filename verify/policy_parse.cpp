#include "verify/policy_parse.h"

#include <algorithm>

#include "common/file.h"
#include "common/json.h"

namespace isign::verify::policy_parse {

using common::Error;
using common::ErrorKind;
using common::json_type_name;
using common::make_error;
using common::quote_for_message;
using common::Result;
using nlohmann::json;

namespace {

constexpr std::size_t kMaxKeyFileSize = 1u << 20;

} // namespace

Error bad(const std::string& where, const std::string& problem) {
  return make_error(ErrorKind::usage, where.empty() ? problem : where + ": " + problem);
}

std::string member(const std::string& where, const std::string& key) {
  return where.empty() ? key : where + "." + key;
}

std::string quoted_member(const std::string& where, const std::string& key) {
  return where + "." + quote_for_message(key);
}

Result<void> expect_object(const json& v, const std::string& where) {
  if (!v.is_object())
    return bad(where, std::string("must be an object, not ") + json_type_name(v));
  return {};
}

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
                               bool allow_empty) {
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

Result<std::string> object_type(const json& v, const std::string& where) {
  if (auto ok = expect_object(v, where); !ok)
    return ok.error();
  if (!v.contains("type"))
    return bad(where, "missing field \"type\"");
  return get_string(v, "type", where);
}

Result<keys::PublicKey> KeyLoader::from_pem(const std::string& pem, const std::string& where) {
  auto key = keys::PublicKey::from_pem(pem);
  if (!key && !where.empty())
    return std::move(key).error().context(where);
  return key;
}

Result<keys::PublicKey> KeyLoader::from_path(const std::string& path, const std::string& where) {
  std::string full = path;
  if (!path.empty() && path.front() != '/' && !options_.base_dir.empty())
    full = options_.base_dir + "/" + path;
  if (auto it = cache_.find(full); it != cache_.end())
    return it->second;
  auto text = options_.read_key_file ? options_.read_key_file(full)
                                     : common::read_file(full, kMaxKeyFileSize);
  const std::string at = where.empty() ? "" : where + ": ";
  ISIGN_TRY_CONTEXT(text, at + "reading key '" + full + "'");
  auto key = keys::PublicKey::from_pem(*text);
  ISIGN_TRY_CONTEXT(key, at + "key '" + full + "'");
  cache_.emplace(full, *key);
  return key;
}

namespace {

Result<void> validate_remap_prefix(const std::string& value, const std::string& where) {
  if (normalize_prefix(value) != value)
    return bad(where, quote_for_message(value) +
                          " is not a registry host or host/namespace prefix in normalized form "
                          "(e.g. \"mirror.local:5000/team\", \"docker.io/library\")");
  return {};
}

} // namespace

Result<void> parse_identity(const json& v, const std::string& where, bool containers,
                            VerifyOptions& out, std::string* unsupported) {
  auto type = object_type(v, where);
  ISIGN_TRY(type);
  if (*type == "remapIdentity") {
    if (auto ok = only_fields(v, {"type", "prefix", "signedPrefix"}, where); !ok)
      return ok;
    for (const char* f : {"prefix", "signedPrefix"})
      if (!v.contains(f))
        return bad(where, std::string("missing field \"") + f + "\"");
    auto prefix = get_string(v, "prefix", where);
    ISIGN_TRY(prefix);
    auto signed_prefix = get_string(v, "signedPrefix", where);
    ISIGN_TRY(signed_prefix);
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

Result<Requirement> parse_plain_requirement(const json& v, const std::string& type,
                                            const std::string& where) {
  if (auto ok = only_fields(v, {"type"}, where); !ok)
    return ok.error();
  Requirement req;
  req.type = type == "reject" ? Requirement::Type::reject : Requirement::Type::accept_anything;
  return req;
}

Result<void> add_scope(Policy& policy, const std::string& normalized, Rule rule,
                       const std::string& where) {
  if (!policy.scopes.emplace(normalized, std::move(rule)).second)
    return bad(where, "the same scope as another one (" + quote_for_message(normalized) + ")");
  return {};
}

} // namespace isign::verify::policy_parse

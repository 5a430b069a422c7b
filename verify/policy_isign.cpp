// isign's own policy format (README.md, "Policies"): {"version": 1, "default": RULE, "scopes":
// {SCOPE: RULE}}, a rule being one requirement.
#include <nlohmann/json.hpp>

#include "common/json.h"
#include "verify/policy_parse.h"

namespace isign::verify::policy_parse {

using common::json_type_name;
using common::quote_for_message;
using common::Result;
using nlohmann::json;

namespace {

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
  rule.requirements.push_back(std::move(req));
  return rule;
}

} // namespace

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
  ISIGN_TRY(def);
  policy.default_rule = std::move(*def);
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

// A policy as containers-policy.json(5) and containers-registries.d(5), for the containers/image
// that Debian 12 ships (5.23: skopeo 1.9, podman 4.3, CRI-O): sigstoreSigned with one key each
// (keyDatas and any-of lists came in later releases), so a list of requirements, which it ANDs,
// says "every key" and nothing else.
#include "verify/containers_writer.h"

#include <set>

#include <nlohmann/json.hpp>

#include "common/encoding.h"

namespace isign::verify {

using common::ErrorKind;
using common::make_error;
using common::Result;
using nlohmann::ordered_json;

namespace {

// How messages name a rule's scope: as the policy wrote it.
std::string scope_name(const Rule& rule) {
  if (rule.scope.empty())
    return "scope \"\" (the docker transport's default)";
  if (rule.scope == "default")
    return "the default rule";
  return "scope \"" + rule.scope + "\"";
}

common::Error refuse(const Rule& rule, const std::string& problem) {
  return make_error(ErrorKind::usage, scope_name(rule) + ": " + problem);
}

Result<ordered_json> signed_identity(const Rule& rule, const VerifyOptions& options) {
  switch (options.identity) {
  case IdentityRule::same_repository:
    return ordered_json{{"type", "matchRepository"}};
  case IdentityRule::exact:
    return ordered_json{{"type", "matchExact"}};
  case IdentityRule::repo_digest_or_exact:
    return ordered_json{{"type", "matchRepoDigestOrExact"}};
  case IdentityRule::remap:
    return ordered_json{{"type", "remapIdentity"},
                        {"prefix", options.remap_prefix},
                        {"signedPrefix", options.remap_signed_prefix}};
  case IdentityRule::none:
    break;
  }
  return refuse(rule, "identity \"none\" cannot be written: containers/image always checks the "
                      "signature's docker-reference (use matchRepository, or remapIdentity for "
                      "a mirror)");
}

// One sigstoreSigned requirement per distinct key: containers/image 5.23 ANDs a list, so the
// list says "all of these keys", which is isign's threshold equal to the number of keys.
Result<void> add_signed(const Rule& rule, const Requirement& req, ordered_json& out) {
  if (!req.options.required_annotations.empty())
    return refuse(rule, "annotations cannot be written: containers-policy.json does not check "
                        "a signature's annotations (drop \"annotations\" from this scope, or "
                        "leave the scope to isign verify)");
  std::vector<const keys::PublicKey*> distinct;
  std::set<std::string> seen;
  for (const auto& key : req.keys)
    if (seen.insert(key_id(key)).second)
      distinct.push_back(&key);
  const std::size_t threshold = req.options.threshold == 0 ? 1 : req.options.threshold;
  if (threshold != distinct.size())
    return refuse(rule, "a threshold of " + std::to_string(threshold) + " of " +
                            std::to_string(distinct.size()) +
                            " distinct keys cannot be written for containers/image 5.23 "
                            "(Debian 12's podman, skopeo and CRI-O), which requires a signature "
                            "by every key it lists: set the threshold to " +
                            std::to_string(distinct.size()) + " or list one key");
  auto identity = signed_identity(rule, req.options);
  ISIGN_TRY(identity);
  for (const auto* key : distinct)
    out.push_back(ordered_json{{"type", "sigstoreSigned"},
                               {"keyData", common::base64_encode(key->pem())},
                               {"signedIdentity", *identity}});
  return {};
}

Result<ordered_json> requirements(const Rule& rule, std::vector<std::string>& warnings) {
  ordered_json out = ordered_json::array();
  for (const auto& req : rule.requirements) {
    switch (req.type) {
    case Requirement::Type::reject:
      out.push_back(ordered_json{{"type", "reject"}});
      break;
    case Requirement::Type::accept_anything:
      out.push_back(ordered_json{{"type", "insecureAcceptAnything"}});
      break;
    case Requirement::Type::unsupported:
      return refuse(rule, req.unsupported_reason + ", so it cannot be written either");
    case Requirement::Type::signed_by:
      if (auto ok = add_signed(rule, req, out); !ok)
        return ok.error();
      // containers/image compares a remapped reference with matchRepoDigestOrExact, which never
      // accepts a docker-reference naming the repository alone (what isign and cosign sign).
      if (req.options.identity == IdentityRule::remap &&
          req.options.remap_then != IdentityRule::repo_digest_or_exact)
        warnings.push_back(scope_name(rule) +
                           ": nodes check remapIdentity more strictly than isign: after "
                           "remapping, containers/image wants the signature to name a tag or "
                           "digest (matchRepoDigestOrExact), and isign and cosign name the "
                           "repository alone, so nodes will refuse the images they signed");
      break;
    }
  }
  if (!rule.attestations.empty())
    warnings.push_back(scope_name(rule) + ": nodes will not check its " +
                       std::to_string(rule.attestations.size()) + " attestation rule" +
                       (rule.attestations.size() == 1 ? "" : "s") +
                       " (containers-policy.json has none): check them at admission, with "
                       "isign verify --policy or the admission webhook");
  return out;
}

bool has_signed(const Rule& rule) {
  for (const auto& req : rule.requirements)
    if (req.type == Requirement::Type::signed_by)
      return true;
  return false;
}

// The repository or namespace of a normalized scope: its tag or digest dropped (a port stays).
std::string scope_namespace(const std::string& scope) {
  std::string out = scope.substr(0, scope.find('@'));
  const auto slash = out.rfind('/');
  if (slash != std::string::npos)
    if (auto colon = out.find(':', slash); colon != std::string::npos)
      out.resize(colon);
  return out;
}

bool has_tag_and_digest(const std::string& scope) {
  const auto at = scope.find('@');
  const auto slash = scope.rfind('/', at);
  return at != std::string::npos && slash != std::string::npos && scope.find(':', slash) < at;
}

// A YAML double-quoted scalar; scopes hold neither quotes nor backslashes, escaped all the same.
std::string yaml_quote(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\')
      out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string registries_yaml(const std::set<std::string>& namespaces, bool default_docker) {
  std::string out = "# Written by isign policy containers: containers/image reads the sigstore "
                    "signatures (.sig)\n# of the scopes policy.json checks them in.\n";
  if (!namespaces.empty()) {
    out += "docker:\n";
    for (const auto& ns : namespaces)
      out += "  " + yaml_quote(ns) + ":\n    use-sigstore-attachments: true\n";
  }
  if (default_docker)
    out += "default-docker:\n  use-sigstore-attachments: true\n";
  return out;
}

} // namespace

Result<ContainersFiles> write_containers_policy(const Policy& policy) {
  ContainersFiles files;
  ordered_json doc;
  auto def = requirements(policy.default_rule, files.warnings);
  ISIGN_TRY(def);
  doc["default"] = std::move(*def);
  bool default_docker = has_signed(policy.default_rule);
  std::set<std::string> namespaces;
  ordered_json docker = ordered_json::object();
  // policy.scopes is keyed by the normalized scope, the fully expanded form containers/image
  // wants (docker.io/library/ubuntu, not ubuntu).
  for (const auto& [scope, rule] : policy.scopes) {
    // containers/image does not name an image by a tag and a digest at once: such a scope would
    // never match there, leaving its images to a broader scope.
    if (has_tag_and_digest(scope))
      return refuse(rule, "containers/image names an image by its digest alone, so a scope with "
                          "both a tag and a digest would never match on a node: name it "
                          "\"repository@sha256:...\"");
    auto reqs = requirements(rule, files.warnings);
    ISIGN_TRY(reqs);
    docker[scope] = std::move(*reqs);
    if (!has_signed(rule))
      continue;
    if (scope.empty())
      default_docker = true;
    else
      namespaces.insert(scope_namespace(scope));
  }
  if (!docker.empty())
    doc["transports"] = ordered_json{{"docker", std::move(docker)}};
  files.policy_json = doc.dump(2) + "\n";
  files.registries_yaml = registries_yaml(namespaces, default_docker);
  return files;
}

} // namespace isign::verify

#include "verify/policy.h"

#include <algorithm>
#include <cctype>

#include "common/file.h"
#include "common/json.h"
#include "verify/policy_parse.h"

namespace isign::verify {

using common::ErrorKind;
using common::make_error;
using common::Result;
using policy_parse::bad;

namespace policy_parse {

using common::quote_for_message;

// Scopes, in both languages: registry hosts, namespaces, repositories and references.

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

// "host[:port]" or "host[:port]/path/components", docker.io aliases normalized; "" if invalid.
std::string normalize_prefix(std::string_view text) {
  auto slash = text.find('/');
  std::string host(text.substr(0, slash));
  if (!is_host(host))
    return "";
  std::string out = registry::canonical_registry_host(host);
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
    std::string out =
        registry::canonical_registry_host(ref->repository.registry) + "/" + ref->repository.name;
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

} // namespace policy_parse

namespace {

constexpr std::size_t kMaxPolicySize = 1u << 20;

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
  // A layout's "oci:/abs/dir" and its parent directories: no scope of a policy names one (a scope
  // starts with a registry host), so a layout takes the default rule.
  const std::string name = ref.repository.is_layout()
                               ? ref.repository.str()
                               : ref.repository.registry + "/" + ref.repository.name;
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
  policy_parse::KeyLoader loader(options);
  const bool containers =
      doc->contains("transports") || (doc->contains("default") && doc->at("default").is_array());
  return containers ? policy_parse::parse_containers(*doc, loader)
                    : policy_parse::parse_isign(*doc, loader);
}

Result<Policy> load_policy_file(const std::string& path) {
  auto text = common::read_file(path, kMaxPolicySize);
  ISIGN_TRY(text);
  PolicyLoadOptions options;
  auto slash = path.rfind('/');
  options.base_dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  return parse_policy(*text, options);
}

bool AdmissionExemptions::exempts_namespace(std::string_view ns) const {
  return std::find(namespaces.begin(), namespaces.end(), ns) != namespaces.end();
}

bool AdmissionExemptions::exempts_image(const registry::Reference& ref) const {
  if (images.empty())
    return false;
  for (const auto& candidate : scope_candidates(ref))
    if (std::find(images.begin(), images.end(), candidate) != images.end())
      return true;
  return false;
}

} // namespace isign::verify

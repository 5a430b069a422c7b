// Verification policies: which keys, threshold, annotations and identity rule apply to an image,
// by registry and repository scope. Reads isign's own policy format and the sigstoreSigned parts
// of containers-policy.json (podman, CRI-O), both strictly: an unknown or duplicate field rejects
// the whole file, naming the field. README.md ("Policies") documents both.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "keys/keys.h"
#include "registry/reference.h"
#include "verify/gates.h"
#include "verify/verifier.h"

namespace isign::verify {

// One check an image must pass.
struct Requirement {
  enum class Type {
    signed_by, // valid signatures by `keys` under `options` (threshold, annotations, identity)
    reject,    // every image is refused
    accept_anything, // every image passes, signed or not (containers' insecureAcceptAnything)
    unsupported,     // a containers-policy requirement isign cannot check (signedBy with GPG keys,
                     // fulcio, ...): images in its scope fail with `unsupported_reason`
  };
  Type type = Type::signed_by;
  std::vector<keys::PublicKey> keys;
  VerifyOptions options; // limits are left at their defaults: the caller sets them
  std::string unsupported_reason;
};

// The name a policy uses for a requirement type: "sigstoreSigned", "reject",
// "insecureAcceptAnything", or the unsupported type's own name.
std::string requirement_type_name(const Requirement& requirement);

// What applies to the images of one scope: all requirements must pass.
struct Rule {
  std::string scope; // the scope as written in the policy, or "default"
  std::vector<Requirement> requirements;
  // What the image's attestations must show (isign policies only): each rule met as well.
  std::vector<AttestationRule> attestations{};
  // The claims checked on attestations' statements (verify-attestation's -a and identity
  // flags); unset: the identity rule of the scope's first signed_by requirement, no annotations.
  std::optional<VerifyOptions> attestation_options{};
};

enum class PolicyFormat { isign, containers };

// What the admission webhook (isign serve) admits without checking: an isign policy's
// "admission" block. The CLI's commands ignore it.
struct AdmissionExemptions {
  std::vector<std::string> namespaces; // Kubernetes namespaces, exact names
  std::vector<std::string> images;     // scopes, normalized and matched as the policy's scopes

  bool exempts_namespace(std::string_view ns) const;
  // Whether any scope_candidates(ref) entry is an exempt image scope.
  bool exempts_image(const registry::Reference& ref) const;
};

struct Policy {
  PolicyFormat format = PolicyFormat::isign;
  Rule default_rule;
  std::map<std::string, Rule> scopes; // by normalized scope
  AdmissionExemptions admission{};

  // The rule of the most specific scope that matches ref, else the default: an exact reference
  // ("host/repo:tag", "host/repo@digest"), then the repository, then each parent namespace up to
  // the registry host, then wildcard hosts ("*.example.com", narrowest first), then (containers
  // format) the docker transport's "" scope, then the default. A reference with a digest never
  // matches a tag-only scope ("host/repo:tag"): the digest is what is pulled, whatever the tag.
  const Rule& rule_for(const registry::Reference& ref) const;
};

struct PolicyLoadOptions {
  // Relative key paths are resolved against this directory (the policy file's own directory).
  std::string base_dir = ".";
  // Reads a key file; unset: common::read_file with a 1 MiB cap.
  std::function<common::Result<std::string>(const std::string& path)> read_key_file;
};

// Parses a policy (the format is recognized by its shape: a "transports" member or a "default"
// list make it containers-policy.json) and loads every key it names. Errors: usage for anything
// wrong in the text, naming where (e.g. `scopes."ghcr.io/team".threshold: 3 is more than the 2
// distinct keys`); io/key for a key file that cannot be read or parsed, naming it.
common::Result<Policy> parse_policy(std::string_view text, const PolicyLoadOptions& options = {});

// Reads and parses the policy file at path (at most 1 MiB), relative keys against its directory.
common::Result<Policy> load_policy_file(const std::string& path);

// Loads a key named by a policy entry: a file (a path relative to the policy's directory
// resolved by the loader) or, as the policy allows, PEM text.
using AttestationKeyLoader =
    std::function<common::Result<keys::PublicKey>(const std::string& path)>;

// Parses one entry of a scope's "attestations" list, strictly: "type" (required: a --type
// shorthand, a predicate type URI, or "sbom" for SPDX and CycloneDX), "keys" (a list of key
// files; absent: scope_keys, the scope's), "threshold" (distinct keys, at most their number),
// "failOnSeverity" (LOW..CRITICAL), "maxScanAge" and "maxAge" (durations, "7d"), "allow"
// ([{"id":..,"until":"2027-01-31"}], until required, only with failOnSeverity), "builderId",
// "sourceUri", "pointer" with exactly one of "equals", "oneOf" (a non-empty array) or "exists"
// (a boolean). A check that does not apply to the type is refused: failOnSeverity, maxScanAge
// and allow are for vuln types, maxAge for SBOM types, builderId and sourceUri for SLSA
// provenance. Usage error naming where ("<where>.failOnSeverity: ...") for anything unknown,
// ill-typed or missing (no "keys" and no scope keys); duplicate fields are the JSON parser's to
// refuse (common/json.h). A key that fails to load keeps its error's kind, in
// "<where>.keys[i]"'s context.
common::Result<AttestationRule>
parse_attestation_rule(const nlohmann::json& entry, const std::string& where,
                       const std::vector<keys::PublicKey>& scope_keys,
                       const std::vector<std::string>& scope_key_files,
                       const AttestationKeyLoader& load_key);

// The scope strings an image reference is looked up under, most specific first (see rule_for),
// without the transport default and the global default.
std::vector<std::string> scope_candidates(const registry::Reference& ref);

} // namespace isign::verify

// The parts the two policy languages share (policy_isign.cpp, policy_containers.cpp): strict field
// access with error paths ("scopes.\"ghcr.io/team\".threshold"), scope normalization, key loading
// and identity rules. Internal to verify/: only policy*.cpp and gates.cpp (a policy's
// "attestations" entries) include it.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "keys/keys.h"
#include "verify/policy.h"
#include "verify/verifier.h"

namespace isign::verify::policy_parse {

// A usage error "where: problem" (the problem alone at the top level).
common::Error bad(const std::string& where, const std::string& problem);

// The path of a member: "where.key" ("key" at the top level).
std::string member(const std::string& where, const std::string& key);

// A scope or key as it appears in a path: "scopes.\"ghcr.io/team\"".
std::string quoted_member(const std::string& where, const std::string& key);

// Usage error unless v is an object.
common::Result<void> expect_object(const nlohmann::json& v, const std::string& where);

// Every member of obj must be one of allowed; the first unknown one is named.
common::Result<void> only_fields(const nlohmann::json& obj,
                                 std::initializer_list<std::string_view> allowed,
                                 const std::string& where);

// obj[key] (which must exist) as a string, not empty unless allow_empty.
common::Result<std::string> get_string(const nlohmann::json& obj, const std::string& key,
                                       const std::string& where, bool allow_empty = false);

// obj[key] (which must exist) as a non-empty list of non-empty strings.
common::Result<std::vector<std::string>>
get_strings(const nlohmann::json& obj, const std::string& key, const std::string& where);

// The "type" of v, which must be an object with a non-empty string "type" (the shape of a
// requirement and an identity rule).
common::Result<std::string> object_type(const nlohmann::json& v, const std::string& where);

// "host[:port]" or "host[:port]/path/components", docker.io aliases normalized; "" if invalid.
std::string normalize_prefix(std::string_view text);

// A scope: a wildcard host "*.example.com", a prefix (see normalize_prefix) or an exact reference
// "host/repo:tag" / "host/repo@digest". Returns the normalized form, or a usage error naming
// where.
common::Result<std::string> normalize_scope(const std::string& scope, const std::string& where);

// Loads keys once per path or text, however many scopes name them. Borrows options, which must
// outlive it.
class KeyLoader {
public:
  explicit KeyLoader(const PolicyLoadOptions& options) : options_(options) {}

  // The PEM public key text; its error in where's context (none when where is "").
  common::Result<keys::PublicKey> from_pem(const std::string& pem, const std::string& where);
  // The key file at path (relative to the options' base_dir), read once however often named;
  // its error names the file, in where's context (none when where is "").
  common::Result<keys::PublicKey> from_path(const std::string& path, const std::string& where);

private:
  const PolicyLoadOptions& options_;
  std::map<std::string, keys::PublicKey> cache_;
};

// signedIdentity (containers) / identity (isign): {"type": ...} with remapIdentity's prefix and
// signedPrefix, into out. containers' exactReference and exactRepository are recognized but not
// supported: *unsupported says so.
common::Result<void> parse_identity(const nlohmann::json& v, const std::string& where,
                                    bool containers, VerifyOptions& out, std::string* unsupported);

// A requirement of type "reject" or "insecureAcceptAnything", the same in both languages: no other
// field.
common::Result<Requirement>
parse_plain_requirement(const nlohmann::json& v, const std::string& type, const std::string& where);

// Adds rule under its normalized scope; usage error (at where) when another scope normalized to
// the same.
common::Result<void> add_scope(Policy& policy, const std::string& normalized, Rule rule,
                               const std::string& where);

// The two languages (policy.h: parse_policy tells them apart).
common::Result<Policy> parse_isign(const nlohmann::json& doc, KeyLoader& loader);
common::Result<Policy> parse_containers(const nlohmann::json& doc, KeyLoader& loader);

} // namespace isign::verify::policy_parse

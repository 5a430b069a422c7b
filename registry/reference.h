// Image references: [registry[:port]/]repo[:tag][@sha256:<hex>] with docker's normalization.
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "common/result.h"

namespace isign::registry {

// Docker Hub as stored in Repository::registry (docker's canonical name), the name cosign prints
// for it, and the host that serves its API.
inline constexpr std::string_view kDockerHub = "docker.io";
inline constexpr std::string_view kDockerHubPrinted = "index.docker.io";
inline constexpr std::string_view kDockerHubApiHost = "registry-1.docker.io";
// Every host name Docker Hub goes by, kDockerHub first.
inline constexpr std::array<std::string_view, 3> kDockerHubHosts{kDockerHub, kDockerHubPrinted,
                                                                 kDockerHubApiHost};

// Repository::registry of an OCI image layout on disk ("oci:DIR"). No registry reference parses
// to it (a host's port is never empty), so it marks a layout unambiguously.
inline constexpr std::string_view kLayoutScheme = "oci:";

// host as Repository::registry stores it: kDockerHub for each of kDockerHubHosts (as docker writes
// them, lowercase), any other host as given. The Docker Hub aliasing of login, auth file keys
// (docker's "https://index.docker.io/v1/" once its scheme and path are off) and policy scopes. An
// image reference keeps registry-1.docker.io as written, as docker does (Reference::parse).
std::string canonical_registry_host(std::string_view host);

// A repository in a registry: "registry/name"; or an OCI image layout on disk: registry
// kLayoutScheme and name the directory, absolute and lexically normal, without a trailing '/'.
struct Repository {
  std::string registry; // "docker.io", "ghcr.io", "127.0.0.1:5000", "localhost:5000", "oci:"
  std::string name;     // "library/ubuntu", "team/app", "/srv/images/app" (a layout)

  // Parses "[registry[:port]/]repo" (no tag, no digest) with the normalization of
  // Reference::parse, or "oci:DIR"; usage error that quotes the input and says what is wrong.
  static common::Result<Repository> parse(std::string_view text);

  // Whether this is an OCI image layout directory rather than a registry's repository.
  bool is_layout() const noexcept { return registry == kLayoutScheme; }
  // The host[:port] that serves the API: registry-1.docker.io for docker.io, else registry.
  // Meaningless for a layout.
  std::string api_host() const;
  // "registry/name", docker.io normalized as cosign prints it ("index.docker.io/library/x");
  // "oci:/abs/dir" for a layout.
  std::string str() const;
  bool operator==(const Repository&) const = default;
};

struct Reference {
  Repository repository;
  std::string tag;    // empty when not given (and "latest" is implied when digest is empty too)
  std::string digest; // "sha256:<hex>" or empty

  // Parses the reference, "[registry[:port]/]repo[:tag][@digest]" or an OCI layout's
  // "oci:DIR[:tag][@digest]" (DIR ends at the first ':'; a relative DIR is made absolute); usage
  // error that quotes the input and says what is wrong.
  static common::Result<Reference> parse(std::string_view text);

  // The tag or digest to ask the registry for: digest if present, else tag, else "latest".
  std::string identifier() const;
  bool by_digest() const noexcept { return !digest.empty(); }
  // "repo:tag", "repo@digest" or "repo:tag@digest" with repo as Repository::str(); "repo:latest"
  // when neither is given (as cosign prints an untagged reference).
  std::string str() const;
};

// text with the user-info of a reference pasted from a URL ("user:password@host/app") shown as
// "user:***@", so that it can be echoed in a message; other text is returned as it is. Every
// parser here refuses such a reference with a usage error that never shows the password.
std::string redact_credentials(std::string_view text);

// A registry as users name it to login/logout: "host[:port]", also docker's URL forms
// ("https://host/v1/", "http://host"). Returns the canonical host[:port], "docker.io" for every
// Docker Hub alias (index.docker.io, registry-1.docker.io). Usage error on anything else.
common::Result<std::string> parse_registry_host(std::string_view text);

} // namespace isign::registry

// Reference parsing and normalization: docker's rules, cosign's printing, and every malformed form
// we could think of, each with an error that quotes the input and names the problem.
#include <catch2/catch.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "registry/reference.h"

using namespace isign;
using common::ErrorKind;
using registry::Reference;
using registry::Repository;

namespace {

const std::string kHex = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const std::string kDigest = "sha256:" + kHex;

struct Valid {
  std::string input;
  std::string registry;
  std::string name;
  std::string tag;
  std::string digest;
  std::string printed; // Reference::str()
  std::string api_host;
};

struct Invalid {
  std::string input;
  std::string problem; // must appear in the message after the quoted input
};

} // namespace

TEST_CASE("valid references normalize as docker does and print as cosign does") {
  const std::vector<Valid> cases = {
      {"ubuntu", "docker.io", "library/ubuntu", "", "", "index.docker.io/library/ubuntu:latest",
       "registry-1.docker.io"},
      {"ubuntu:22.04", "docker.io", "library/ubuntu", "22.04", "",
       "index.docker.io/library/ubuntu:22.04", "registry-1.docker.io"},
      {"docker.io/ubuntu", "docker.io", "library/ubuntu", "", "",
       "index.docker.io/library/ubuntu:latest", "registry-1.docker.io"},
      {"docker.io/library/ubuntu", "docker.io", "library/ubuntu", "", "",
       "index.docker.io/library/ubuntu:latest", "registry-1.docker.io"},
      {"index.docker.io/ubuntu", "docker.io", "library/ubuntu", "", "",
       "index.docker.io/library/ubuntu:latest", "registry-1.docker.io"},
      {"index.docker.io/library/ubuntu:jammy", "docker.io", "library/ubuntu", "jammy", "",
       "index.docker.io/library/ubuntu:jammy", "registry-1.docker.io"},
      {"team/app", "docker.io", "team/app", "", "", "index.docker.io/team/app:latest",
       "registry-1.docker.io"},
      {"team/sub/app:v1", "docker.io", "team/sub/app", "v1", "", "index.docker.io/team/sub/app:v1",
       "registry-1.docker.io"},
      {"ubuntu@" + kDigest, "docker.io", "library/ubuntu", "", kDigest,
       "index.docker.io/library/ubuntu@" + kDigest, "registry-1.docker.io"},
      {"ubuntu:22.04@" + kDigest, "docker.io", "library/ubuntu", "22.04", kDigest,
       "index.docker.io/library/ubuntu:22.04@" + kDigest, "registry-1.docker.io"},
      {"ghcr.io/org/app:v1.2.3", "ghcr.io", "org/app", "v1.2.3", "", "ghcr.io/org/app:v1.2.3",
       "ghcr.io"},
      {"ghcr.io/app", "ghcr.io", "app", "", "", "ghcr.io/app:latest", "ghcr.io"},
      {"localhost/app", "localhost", "app", "", "", "localhost/app:latest", "localhost"},
      {"localhost:5000/app", "localhost:5000", "app", "", "", "localhost:5000/app:latest",
       "localhost:5000"},
      {"localhost:5000/team/app:v1", "localhost:5000", "team/app", "v1", "",
       "localhost:5000/team/app:v1", "localhost:5000"},
      {"127.0.0.1:5000/app:v1", "127.0.0.1:5000", "app", "v1", "", "127.0.0.1:5000/app:v1",
       "127.0.0.1:5000"},
      {"127.0.0.1:5000/app@" + kDigest, "127.0.0.1:5000", "app", "", kDigest,
       "127.0.0.1:5000/app@" + kDigest, "127.0.0.1:5000"},
      {"[::1]:5000/app:v1", "[::1]:5000", "app", "v1", "", "[::1]:5000/app:v1", "[::1]:5000"},
      {"registry:5000/app", "registry:5000", "app", "", "", "registry:5000/app:latest",
       "registry:5000"},
      {"Registry.Example.com/app", "Registry.Example.com", "app", "", "",
       "Registry.Example.com/app:latest", "Registry.Example.com"},
      {"registry-1.docker.io/library/ubuntu", "registry-1.docker.io", "library/ubuntu", "", "",
       "registry-1.docker.io/library/ubuntu:latest", "registry-1.docker.io"},
      // A single component with host:port shape is docker's "name:tag" (docker does the same).
      {"localhost:5000", "docker.io", "library/localhost", "5000", "",
       "index.docker.io/library/localhost:5000", "registry-1.docker.io"},
      {"example.com", "docker.io", "library/example.com", "", "",
       "index.docker.io/library/example.com:latest", "registry-1.docker.io"},
      // Separators: '.', '_', '__', and any run of '-'.
      {"ns/a.b_c__d---e/f-g", "docker.io", "ns/a.b_c__d---e/f-g", "", "",
       "index.docker.io/ns/a.b_c__d---e/f-g:latest", "registry-1.docker.io"},
      {"x", "docker.io", "library/x", "", "", "index.docker.io/library/x:latest",
       "registry-1.docker.io"},
      {"app:_", "docker.io", "library/app", "_", "", "index.docker.io/library/app:_",
       "registry-1.docker.io"},
      {"app:V1.0-rc_1", "docker.io", "library/app", "V1.0-rc_1", "",
       "index.docker.io/library/app:V1.0-rc_1", "registry-1.docker.io"},
      {"app:" + std::string(128, 't'), "docker.io", "library/app", std::string(128, 't'), "",
       "index.docker.io/library/app:" + std::string(128, 't'), "registry-1.docker.io"},
      {"my-registry.internal:443/a/b/c/d:latest", "my-registry.internal:443", "a/b/c/d", "latest",
       "", "my-registry.internal:443/a/b/c/d:latest", "my-registry.internal:443"},
  };
  for (const auto& c : cases) {
    INFO("input: " << c.input);
    auto ref = Reference::parse(c.input);
    REQUIRE(ref.ok());
    CHECK(ref->repository.registry == c.registry);
    CHECK(ref->repository.name == c.name);
    CHECK(ref->tag == c.tag);
    CHECK(ref->digest == c.digest);
    CHECK(ref->str() == c.printed);
    CHECK(ref->repository.api_host() == c.api_host);
    // What we print parses back to the same thing (triangulate output is reusable input).
    auto again = Reference::parse(ref->str());
    REQUIRE(again.ok());
    CHECK(again->repository == ref->repository);
    CHECK(again->str() == ref->str());
  }
}

TEST_CASE("invalid references are usage errors quoting the input and naming the problem") {
  const std::vector<Invalid> cases = {
      {"", "it is empty"},
      {"Foo/bar", "repository must be lowercase"},
      {"Ubuntu", "repository must be lowercase"},
      {"ghcr.io/Org/app", "repository must be lowercase"},
      {"ubuntu/", "empty path component"},
      {"/ubuntu", "empty path component"},
      {"team//app", "empty path component"},
      {"ghcr.io/", "repository name after the registry is missing"},
      {"ghcr.io/org/", "empty path component"},
      {"ghcr.io//app", "empty path component"},
      {"ubuntu:", "':' must be followed by a tag"},
      {"ghcr.io/app:", "':' must be followed by a tag"},
      // A '/' after the ':' makes "ubuntu:bad" a host:port.
      {"ubuntu:bad/tag", "registry port must be a number from 1 to 65535"},
      // A first component with a '.' is a registry, as in docker.
      {"a.b_c/app", "'_' is not allowed in a registry host name"},
      {"ubuntu:ta g", "' ' is not allowed in a tag"},
      {"ubuntu:tag!", "'!' is not allowed in a tag"},
      {"ubuntu:.hidden", "tag must start with a letter, digit or '_'"},
      {"ubuntu:-x", "tag must start with a letter, digit or '_'"},
      {"ubuntu:" + std::string(129, 't'), "tag is 129 characters long, the limit is 128"},
      {"ubuntu@", "'@' must be followed by a digest"},
      {"ubuntu@sha256", "digest must have the form sha256:<64 hex characters>"},
      {"ubuntu@sha256:", "sha256 digest must have 64 hex characters, not 0"},
      {"ubuntu@sha256:abc", "sha256 digest must have 64 hex characters, not 3"},
      {"ubuntu@sha256:" + kHex + "0", "sha256 digest must have 64 hex characters, not 65"},
      {"ubuntu@sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef",
       "digest must be lowercase hex"},
      {"ubuntu@sha256:z123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
       "'z' is not a hex digit"},
      {"ubuntu@sha512:" + kHex + kHex, "unsupported digest algorithm 'sha512'"},
      {"ubuntu@md5:0123456789abcdef0123456789abcdef", "unsupported digest algorithm 'md5'"},
      {"ubuntu@" + kDigest + "@" + kDigest, "'@' is not a hex digit"},
      {"@" + kDigest, "the repository name is missing"},
      {":tag", "the repository name is missing"},
      {"-app", "must start and end with a letter or digit"},
      {"app-", "must start and end with a letter or digit"},
      {"a..b", "must start and end with a letter or digit"},
      {"a___b", "must start and end with a letter or digit"},
      {"a._b", "must start and end with a letter or digit"},
      {"team/.app", "must start and end with a letter or digit"},
      {"app name", "' ' is not allowed in a repository name"},
      {"app\tname", "byte 0x09 is not allowed in a repository name"},
      {"app\xc3\xa9", "byte 0xc3 is not allowed in a repository name"},
      {"ghcr.io/app+x", "'+' is not allowed in a repository name"},
      {"https://ghcr.io/app", "remove the 'https://' scheme"},
      {"http://localhost:5000/app", "remove the 'http://' scheme"},
      {kHex, "a 64-character hex string is an image ID"},
      {"localhost:/app", "registry port is empty"},
      {"localhost:0/app", "registry port must be a number from 1 to 65535"},
      {"localhost:65536/app", "registry port must be a number from 1 to 65535"},
      {"localhost:50a/app", "registry port must be a number from 1 to 65535"},
      {"ex_ample.com/app", "'_' is not allowed in a registry host name"},
      {"-ex.com/app", "registry host labels must not start or end with '-'"},
      {"ex..com/app", "registry host has an empty label"},
      {".com/app", "registry host has an empty label"},
      {":5000/app", "registry host name is empty"},
      {"[::1/app", "IPv6 registry address is missing its ']'"},
      {"[]:5000/app", "IPv6 registry address is empty"},
      {"[::g]:5000/app", "'g' is not allowed in an IPv6 registry address"},
      {"[::1]x/app", "unexpected text after the IPv6 registry address"},
  };
  for (const auto& c : cases) {
    INFO("input: " << c.input);
    auto ref = Reference::parse(c.input);
    REQUIRE_FALSE(ref.ok());
    CHECK(ref.error().kind() == ErrorKind::usage);
    const std::string& msg = ref.error().message();
    CHECK(msg.rfind("invalid reference '", 0) == 0);
    CHECK(msg.find(c.problem) != std::string::npos);
    CHECK(msg.find('\n') == std::string::npos);
  }
}

TEST_CASE("the error message quotes the input exactly") {
  auto ref = Reference::parse("Foo/bar");
  REQUIRE_FALSE(ref.ok());
  CHECK(ref.error().message() == "invalid reference 'Foo/bar': repository must be lowercase");
  auto tag = Reference::parse("ubuntu:");
  REQUIRE_FALSE(tag.ok());
  CHECK(tag.error().message() == "invalid reference 'ubuntu:': ':' must be followed by a tag");
}

TEST_CASE("names are limited to 255 characters, registry included, as docker limits them") {
  // "ghcr.io/" is 8 characters: 8 + 247 = 255 is accepted, one more is refused.
  CHECK(Reference::parse("ghcr.io/" + std::string(247, 'a') + ":v1").ok());
  auto longer = Reference::parse("ghcr.io/" + std::string(248, 'a'));
  REQUIRE_FALSE(longer.ok());
  CHECK(longer.error().message().find("the name is 256 characters long, the limit is 255") !=
        std::string::npos);
}

TEST_CASE("the limit on Docker Hub names counts docker.io/library/") {
  // docker.io/library/ = 18 characters; 18 + 237 = 255.
  CHECK(Reference::parse(std::string(237, 'a')).ok());
  CHECK_FALSE(Reference::parse(std::string(238, 'a')).ok());
}

TEST_CASE("messages never carry control characters and long input is shortened") {
  std::string evil = "app\n\x1b[31mred" + std::string(1000, 'x');
  auto ref = Reference::parse(evil);
  REQUIRE_FALSE(ref.ok());
  const std::string& msg = ref.error().message();
  CHECK(msg.find('\n') == std::string::npos);
  CHECK(msg.find('\x1b') == std::string::npos);
  CHECK(msg.size() < 500);
  CHECK(msg.find("...'") != std::string::npos);
}

TEST_CASE("identifier is the digest, else the tag, else latest") {
  CHECK(Reference::parse("app")->identifier() == "latest");
  CHECK(Reference::parse("app:v1")->identifier() == "v1");
  CHECK(Reference::parse("app@" + kDigest)->identifier() == kDigest);
  CHECK(Reference::parse("app:v1@" + kDigest)->identifier() == kDigest);
  CHECK(Reference::parse("app@" + kDigest)->by_digest());
  CHECK_FALSE(Reference::parse("app:v1")->by_digest());
}

TEST_CASE("Repository::str prints Docker Hub as index.docker.io like go-containerregistry") {
  CHECK(Repository{"docker.io", "library/ubuntu"}.str() == "index.docker.io/library/ubuntu");
  CHECK(Repository{"ghcr.io", "org/app"}.str() == "ghcr.io/org/app");
  CHECK(Repository{"localhost:5000", "app"}.str() == "localhost:5000/app");
}

TEST_CASE("Repository::parse takes a repository without tag or digest") {
  auto repo = Repository::parse("ubuntu");
  REQUIRE(repo.ok());
  CHECK(*repo == Repository{"docker.io", "library/ubuntu"});
  auto local = Repository::parse("127.0.0.1:5000/team/app");
  REQUIRE(local.ok());
  CHECK(*local == Repository{"127.0.0.1:5000", "team/app"});

  for (const std::string& bad : {std::string("ubuntu:22.04"), "ubuntu@" + kDigest}) {
    INFO(bad);
    auto r = Repository::parse(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().kind() == ErrorKind::usage);
    CHECK(r.error().message() ==
          "invalid repository '" + bad + "': a repository takes no tag or digest");
  }
  auto upper = Repository::parse("Foo/bar");
  REQUIRE_FALSE(upper.ok());
  CHECK(upper.error().message() == "invalid repository 'Foo/bar': repository must be lowercase");
}

TEST_CASE("canonical_registry_host names Docker Hub docker.io, every other host as given") {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"docker.io", "docker.io"},
      {"index.docker.io", "docker.io"},
      {"registry-1.docker.io", "docker.io"},
      {"ghcr.io", "ghcr.io"},
      {"localhost:5000", "localhost:5000"},
      {"Registry.Example.com", "Registry.Example.com"},
      // Docker Hub's names only as docker writes them: another case, a port, another docker.io
      // host or a URL is some other registry (callers take a URL apart and lowercase first).
      {"Index.Docker.IO", "Index.Docker.IO"},
      {"docker.io:443", "docker.io:443"},
      {"hub.docker.com", "hub.docker.com"},
      {"https://index.docker.io/v1/", "https://index.docker.io/v1/"},
      {"", ""},
  };
  for (const auto& [host, want] : cases) {
    INFO(host);
    CHECK(registry::canonical_registry_host(host) == want);
  }
  for (auto host : registry::kDockerHubHosts)
    CHECK(registry::canonical_registry_host(host) == registry::kDockerHub);
  CHECK(registry::kDockerHubHosts.front() == registry::kDockerHub);
}

TEST_CASE("Docker Hub's names: a reference keeps registry-1.docker.io, login and keys do not") {
  CHECK(Reference::parse("index.docker.io/library/ubuntu")->repository.registry == "docker.io");
  CHECK(Reference::parse("registry-1.docker.io/library/ubuntu")->repository.registry ==
        "registry-1.docker.io");
  for (auto host : registry::kDockerHubHosts)
    CHECK(*registry::parse_registry_host(host) == "docker.io");
}

TEST_CASE("parse_registry_host accepts what docker login accepts") {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"ghcr.io", "ghcr.io"},
      {"localhost:5000", "localhost:5000"},
      {"127.0.0.1:5000", "127.0.0.1:5000"},
      {"[::1]:5000", "[::1]:5000"},
      {"docker.io", "docker.io"},
      {"index.docker.io", "docker.io"},
      {"registry-1.docker.io", "docker.io"},
      {"https://index.docker.io/v1/", "docker.io"},
      {"https://ghcr.io", "ghcr.io"},
      {"http://localhost:5000/v2/", "localhost:5000"},
      {"Index.Docker.IO", "docker.io"},
      {"registry", "registry"},
  };
  for (const auto& [input, want] : cases) {
    INFO(input);
    auto host = registry::parse_registry_host(input);
    REQUIRE(host.ok());
    CHECK(*host == want);
  }
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"", "it is empty"},
      {"https://", "it is empty"},
      {"ghcr.io/org", "without a repository path"},
      {"ghcr.io:99999", "registry port must be a number from 1 to 65535"},
      {"bad host", "' ' is not allowed in a registry host name"},
  };
  for (const auto& [input, problem] : bad) {
    INFO(input);
    auto host = registry::parse_registry_host(input);
    REQUIRE_FALSE(host.ok());
    CHECK(host.error().kind() == ErrorKind::usage);
    CHECK(host.error().message().rfind("invalid registry '" + input + "': ", 0) == 0);
    CHECK(host.error().message().find(problem) != std::string::npos);
  }
}

TEST_CASE("oci:DIR references name an OCI layout directory, made absolute and normal") {
  const std::string cwd = std::filesystem::current_path().lexically_normal().string();
  struct Layout {
    std::string input, dir, tag, digest, printed;
  };
  const std::vector<Layout> cases = {
      {"oci:/srv/app", "/srv/app", "", "", "oci:/srv/app:latest"},
      {"oci:/srv/app/", "/srv/app", "", "", "oci:/srv/app:latest"},
      {"oci:/srv/./x/../app:v1", "/srv/app", "v1", "", "oci:/srv/app:v1"},
      {"oci:/srv/app@" + kDigest, "/srv/app", "", kDigest, "oci:/srv/app@" + kDigest},
      {"oci:/srv/app:v1@" + kDigest, "/srv/app", "v1", kDigest, "oci:/srv/app:v1@" + kDigest},
      {"oci:/srv/App_Dir v2:V1.0", "/srv/App_Dir v2", "V1.0", "", "oci:/srv/App_Dir v2:V1.0"},
      {"oci:/", "/", "", "", "oci:/:latest"},
      {"oci:rel/dir:t", cwd + "/rel/dir", "t", "", "oci:" + cwd + "/rel/dir:t"},
      {"oci:.", cwd, "", "", "oci:" + cwd + ":latest"},
      // "oci" with a port would be a registry host; as in containers/image, it is the scheme.
      {"oci:5000/app", cwd + "/5000/app", "", "", "oci:" + cwd + "/5000/app:latest"},
  };
  for (const auto& c : cases) {
    INFO("input: " << c.input);
    auto ref = Reference::parse(c.input);
    REQUIRE(ref.ok());
    CHECK(ref->repository.is_layout());
    CHECK(ref->repository.registry == registry::kLayoutScheme);
    CHECK(ref->repository.name == c.dir);
    CHECK(ref->tag == c.tag);
    CHECK(ref->digest == c.digest);
    CHECK(ref->identifier() == (!c.digest.empty() ? c.digest : c.tag.empty() ? "latest" : c.tag));
    CHECK(ref->str() == c.printed);
    CHECK(ref->repository.str() == "oci:" + c.dir);
    auto again = Reference::parse(ref->str());
    REQUIRE(again.ok());
    CHECK(again->repository == ref->repository);
    auto repo = Repository::parse(ref->repository.str());
    REQUIRE(repo.ok());
    CHECK(*repo == ref->repository);
  }
  CHECK_FALSE(Reference::parse("ghcr.io/app")->repository.is_layout());
}

TEST_CASE("malformed oci: references are usage errors saying what to write") {
  const std::vector<Invalid> cases = {
      {"oci:", "the layout directory is missing: write oci:DIR"},
      {"oci::v1", "the layout directory is missing"},
      {"oci:@" + kDigest, "the layout directory is missing"},
      {"oci:/srv/app:", "':' must be followed by a tag"},
      {"oci:/srv/app:v1:v2", "':' is not allowed in a tag"},
      {"oci:/srv/app:.v1", "tag must start with a letter, digit or '_'"},
      {"oci:/srv/app:" + std::string(129, 't'), "tag is 129 characters long"},
      {"oci:/srv/app@", "'@' must be followed by a digest"},
      {"oci:/srv/app@sha256:abc", "sha256 digest must have 64 hex characters, not 3"},
      {"oci:/srv/app@sha512:" + kHex, "unsupported digest algorithm 'sha512'"},
      {"oci:/srv/a\tb", "byte 0x09 is not allowed in a layout directory"},
  };
  for (const auto& c : cases) {
    INFO("input: " << c.input);
    auto ref = Reference::parse(c.input);
    REQUIRE_FALSE(ref.ok());
    CHECK(ref.error().kind() == ErrorKind::usage);
    const std::string& msg = ref.error().message();
    CHECK(msg.rfind("invalid reference '", 0) == 0);
    CHECK(msg.find(c.problem) != std::string::npos);
    CHECK(msg.find('\n') == std::string::npos);
  }
  auto repo = Repository::parse("oci:/srv/app:v1");
  REQUIRE_FALSE(repo.ok());
  CHECK(repo.error().message() ==
        "invalid repository 'oci:/srv/app:v1': a repository takes no tag or digest");
}

// isign inspect against a real registry: digest, media type and size of OCI and Docker manifests
// and indexes, --format '{{.Digest}}' (checked against skopeo), and missing images.
#include <catch2/catch.hpp>

#include "cli/cli.h"
#include "tests/e2e/registry_cli.h"
#include "tests/support/images.h"

using namespace isign::testing;
using isign::cli::kNotFound;
using isign::cli::kOk;

namespace {

// The size appears as a number of its own (not as part of a longer number or a digest).
bool mentions_size(const std::string& out, std::size_t size) {
  std::string s = std::to_string(size);
  for (auto pos = out.find(s); pos != std::string::npos; pos = out.find(s, pos + 1)) {
    bool left = pos == 0 || !std::isalnum(static_cast<unsigned char>(out[pos - 1]));
    bool right = pos + s.size() == out.size() ||
                 !std::isalnum(static_cast<unsigned char>(out[pos + s.size()]));
    if (left && right)
      return true;
  }
  return false;
}

} // namespace

TEST_CASE("inspect: an OCI image by tag and by digest shows digest, media type and size",
          "[e2e][registry]") {
  RegistryFixture reg;
  PushedImage img = push_image(reg, "app", "v1");
  for (const std::string& ref : {reg.ref("app:v1"), reg.ref("app@" + img.digest)}) {
    INFO("ref " << ref);
    auto r = isign_cmd("inspect", reg.tls_flags(), {ref});
    CHECK(r.exit_code == kOk);
    CHECK(contains(r.out, img.digest));
    CHECK(contains(r.out, kOciManifestType));
    CHECK(mentions_size(r.out, img.manifest.size()));
  }
}

TEST_CASE("inspect: a Docker schema2 image and an index", "[e2e][registry]") {
  RegistryFixture reg;
  ImageSpec docker;
  docker.docker_media_types = true;
  PushedImage d = push_image(reg, "app", "docker", docker);
  auto r = isign_cmd("inspect", reg.tls_flags(), {reg.ref("app:docker")});
  CHECK(r.exit_code == kOk);
  CHECK(contains(r.out, d.digest));
  CHECK(contains(r.out, kDockerManifestType));
  CHECK(mentions_size(r.out, d.manifest.size()));

  std::string child = push_random_image(reg, "app", "");
  std::string index = push_index(reg, "app", "multi", {{child, {}}});
  std::string index_bytes = get_manifest(reg, "app", index).body;
  auto i = isign_cmd("inspect", reg.tls_flags(), {reg.ref("app:multi")});
  CHECK(i.exit_code == kOk);
  CHECK(contains(i.out, index));
  CHECK(contains(i.out, kOciIndexType));
  CHECK(mentions_size(i.out, index_bytes.size()));
}

TEST_CASE("inspect: --format '{{.Digest}}' prints the digest alone, as skopeo does",
          "[e2e][registry]") {
  RegistryFixture reg;
  std::string digest = push_random_image(reg, "app", "v1");
  auto r =
      isign_cmd("inspect", with(reg.tls_flags(), {"--format", "{{.Digest}}"}), {reg.ref("app:v1")});
  CHECK(r.exit_code == kOk);
  CHECK(r.out == digest + "\n");

  // skopeo (containers/image) is an independent reader of the same registry.
  auto s = run({"skopeo", "inspect", "--tls-verify=false", "--format", "{{.Digest}}",
                "docker://" + reg.ref("app:v1")},
               RunOptions{{{"HOME", reg.dir()}}, {}, {}, {}, 60});
  INFO("skopeo: " << s.err);
  CHECK(s.exit_code == 0);
  CHECK(r.out == s.out);
}

TEST_CASE("inspect: works over TLS and with every auth mode", "[e2e][registry]") {
  auto name = GENERATE(as<std::string>{}, "tls", "tls+htpasswd", "htpasswd", "token");
  INFO("variant " << name);
  RegistryOptions o;
  o.tls = contains(name, "tls");
  o.auth = contains(name, "htpasswd") ? RegistryAuth::htpasswd
           : contains(name, "token")  ? RegistryAuth::token
                                      : RegistryAuth::none;
  RegistryFixture reg(o);
  std::string digest = push_random_image(reg, "app", "v1");
  auto r = isign_cmd("inspect", with(reg.client_flags(), {"--format", "{{.Digest}}"}),
                     {reg.ref("app:v1")});
  CHECK(r.exit_code == kOk);
  CHECK(r.out == digest + "\n");
  if (!reg.password().empty()) CHECK_FALSE(contains(all_output(r), reg.password()));
}

TEST_CASE("inspect: missing tag, digest or repository exits 8 with the 404", "[e2e][registry]") {
  RegistryFixture reg;
  std::string digest = push_random_image(reg, "app", "v1");
  std::string absent = "sha256:" + std::string(64, 'a');
  for (const std::string& ref :
       {reg.ref("app:v2"), reg.ref("app@" + absent), reg.ref("nothing-here:v1")}) {
    INFO("ref " << ref);
    auto r = isign_cmd("inspect", reg.tls_flags(), {ref});
    CHECK(r.exit_code == kNotFound);
    CHECK(r.out.empty());
    CHECK(contains(r.err, "404"));
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
  }
}

TEST_CASE("inspect: a deleted manifest is gone", "[e2e][registry]") {
  RegistryFixture reg;
  std::string digest = push_random_image(reg, "app", "v1");
  REQUIRE(delete_manifest(reg, "app", digest) == 202);
  auto r = isign_cmd("inspect", reg.tls_flags(), {reg.ref("app@" + digest)});
  CHECK(r.exit_code == kNotFound);
}

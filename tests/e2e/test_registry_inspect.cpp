// isign inspect against a real registry: digest, media type and size of OCI and Docker manifests
// and indexes, --format '{{.Digest}}' (checked against skopeo), and missing images.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "tests/e2e/registry_cli.h"
#include "tests/support/images.h"

using namespace isign::testing;
using isign::cli::kNotFound;
using isign::cli::kOk;

namespace {

// inspect prints skopeo-style JSON: Name, Tag (when the reference has one), Digest, MediaType,
// Size. Checks every field and that there are no others.
void check_inspect_json(const std::string& out, const std::string& name, const std::string& tag,
                        const std::string& digest, const std::string& media_type,
                        std::size_t size) {
  auto json = nlohmann::json::parse(out, nullptr, false);
  REQUIRE(json.is_object());
  CHECK(json["Name"] == name);
  if (tag.empty())
    CHECK_FALSE(json.contains("Tag"));
  else
    CHECK(json["Tag"] == tag);
  CHECK(json["Digest"] == digest);
  CHECK(json["MediaType"] == media_type);
  CHECK(json["Size"] == size);
  CHECK(json.size() == (tag.empty() ? 4u : 5u));
}

} // namespace

TEST_CASE("inspect: an OCI image by tag and by digest shows digest, media type and size",
          "[e2e][registry]") {
  RegistryFixture reg;
  PushedImage img = push_image(reg, "app", "v1");
  auto by_tag = isign_cmd("inspect", reg.tls_flags(), {reg.ref("app:v1")});
  CHECK(by_tag.exit_code == kOk);
  check_inspect_json(by_tag.out, reg.ref("app"), "v1", img.digest, kOciManifestType,
                     img.manifest.size());
  auto by_digest = isign_cmd("inspect", reg.tls_flags(), {reg.ref("app@" + img.digest)});
  CHECK(by_digest.exit_code == kOk);
  check_inspect_json(by_digest.out, reg.ref("app"), "", img.digest, kOciManifestType,
                     img.manifest.size());
}

TEST_CASE("inspect: a Docker schema2 image and an index", "[e2e][registry]") {
  RegistryFixture reg;
  ImageSpec docker;
  docker.docker_media_types = true;
  PushedImage d = push_image(reg, "app", "docker", docker);
  auto r = isign_cmd("inspect", reg.tls_flags(), {reg.ref("app:docker")});
  CHECK(r.exit_code == kOk);
  check_inspect_json(r.out, reg.ref("app"), "docker", d.digest, kDockerManifestType,
                     d.manifest.size());

  std::string child = push_random_image(reg, "app", "");
  std::string index = push_index(reg, "app", "multi", {{child, {}}});
  std::string index_bytes = get_manifest(reg, "app", index).body;
  auto i = isign_cmd("inspect", reg.tls_flags(), {reg.ref("app:multi")});
  CHECK(i.exit_code == kOk);
  check_inspect_json(i.out, reg.ref("app"), "multi", index, kOciIndexType, index_bytes.size());
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
  if (!reg.password().empty())
    CHECK_FALSE(contains(all_output(r), reg.password()));
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

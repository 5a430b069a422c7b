// A manifest reference goes into the request path: one that is neither a tag nor a sha256 digest
// (a hostile layout's ref.name that isign load pushes under, "../../other/manifests/v1") must be
// refused before any request, or dot segments would address another repository.
#include <catch2/catch.hpp>

#include <vector>

#include "registry/client.h"
#include "tests/unit/registry/scripted_client.h"

using namespace isign;
using namespace isign::registry;
using namespace isign::testing;
using common::ErrorKind;

namespace {
const Repository kRepo{"reg.example:5000", "team/app"};
const std::string kBody = R"({"schemaVersion":2})";
} // namespace

TEST_CASE("manifest refs that are neither tag nor digest make no request", "[client]") {
  for (const std::string& bad : std::vector<std::string>{
           "../../victim/manifests/v1", "v1/../../x", "v1?x=y", "a b", "v1#f", "", ".hidden",
           "sha256:../../etc", "docker.io/library/alpine:latest"}) {
    CAPTURE(bad);
    Harness h;
    auto put = h.client->put_manifest(kRepo, bad, kBody, std::string(kOciManifest));
    REQUIRE_FALSE(put);
    CHECK(put.error().kind() == ErrorKind::usage);
    CHECK_FALSE(h.client->get_manifest(kRepo, bad));
    CHECK_FALSE(h.client->head_manifest(kRepo, bad));
    CHECK_FALSE(h.client->delete_manifest(kRepo, bad));
    CHECK(h.log.empty());
  }
}

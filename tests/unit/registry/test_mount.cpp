// Cross-repository blob mounts (Client::mount_blob) over the scripted transport: 201 mounted, 202
// finished as an upload with the fetched bytes, another host never asked.
#include <catch2/catch.hpp>

#include "common/digest.h"
#include "tests/unit/registry/scripted_client.h"

using namespace isign;
using namespace isign::testing;

namespace {

const registry::Repository kTo{"reg.example:5000", "team/app2"};
const registry::Repository kFrom{"reg.example:5000", "team/app"};

} // namespace

TEST_CASE("blob mount: mounted, started as an upload, or not asked", "[client][mount]") {
  const std::string blob = "layer bytes";
  const std::string digest = common::sha256_digest(blob);
  int fetched = 0;
  auto fetch = [&]() -> common::Result<std::string> {
    ++fetched;
    return blob;
  };
  SECTION("201: mounted, no bytes sent") {
    Harness h;
    h.reply(resp(201));
    auto r = h.client->mount_blob(kTo, digest, kFrom, fetch);
    REQUIRE(r);
    CHECK(*r == registry::MountOutcome::mounted);
    REQUIRE(h.log.size() == 1);
    CHECK(h.log[0].method == "POST");
    CHECK(h.log[0].url == "https://reg.example:5000/v2/team/app2/blobs/uploads/?mount=sha256%3A" +
                              digest.substr(7) + "&from=team%2Fapp");
    CHECK(fetched == 0);
  }
  SECTION("202: the upload the registry started is finished with the bytes") {
    Harness h;
    h.reply(resp(202, "", {{"location", "/v2/team/app2/blobs/uploads/u1"}}));
    h.reply(resp(201));
    auto r = h.client->mount_blob(kTo, digest, kFrom, fetch);
    REQUIRE(r);
    CHECK(*r == registry::MountOutcome::uploaded);
    REQUIRE(h.log.size() == 2);
    CHECK(h.log[1].method == "PUT");
    CHECK(h.log[1].url ==
          "https://reg.example:5000/v2/team/app2/blobs/uploads/u1?digest=sha256%3A" +
              digest.substr(7));
    CHECK(h.log[1].body == blob);
    CHECK(fetched == 1);
  }
  SECTION("another host, or the same repository: nothing asked") {
    Harness h;
    registry::Repository elsewhere{"other.example", "team/app"};
    auto r = h.client->mount_blob(kTo, digest, elsewhere, fetch);
    REQUIRE(r);
    CHECK(*r == registry::MountOutcome::unsupported);
    auto same = h.client->mount_blob(kTo, digest, kTo, fetch);
    REQUIRE(same);
    CHECK(*same == registry::MountOutcome::unsupported);
    CHECK(h.log.empty());
  }
  SECTION("a refusal is the registry's error") {
    Harness h;
    h.reply(resp(403, R"({"errors":[{"code":"DENIED","message":"no"}]})"));
    auto r = h.client->mount_blob(kTo, digest, kFrom, fetch);
    REQUIRE_FALSE(r);
    CHECK(r.error().http_status() == 403);
  }
}

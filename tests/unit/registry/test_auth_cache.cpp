// The auth cache over time (a clock the tests move on): bearer tokens for their stated life, Basic
// and stored credentials for kCredentialTtl, so that a long-running server sees rotated ones.
#include <catch2/catch.hpp>

#include "common/digest.h"
#include "common/encoding.h"
#include "registry/auth.h"
#include "registry/client.h"
#include "tests/unit/registry/scripted_client.h"

using namespace isign;
using namespace isign::registry;
using namespace isign::testing;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

namespace {

const Repository kRepo{"reg.example:5000", "team/app"};
const std::string kDigest = common::sha256_digest("{}");
const std::string kChallenge = R"(Bearer realm="https://auth.example/token",service="svc")";

HttpResponse found() {
  return resp(200, "", {{"docker-content-digest", kDigest}});
}

struct FakeClock {
  Clock::time_point now = Clock::now();
};

ClientOptions options_with(FakeClock& clock) {
  ClientOptions o;
  o.now = [&clock] { return clock.now; };
  return o;
}

bool is_token_request(const Recorded& r) {
  return r.url.rfind("https://auth.example/token", 0) == 0;
}

} // namespace

TEST_CASE("a bearer token is used within its life and fetched again after it", "[auth][ttl]") {
  struct Case {
    std::string token_answer;
    seconds still_used; // a request this long after the token was fetched sends it
    seconds replaced;   // one this long after sends none, and a new one is fetched
  };
  const std::vector<Case> cases = {
      {R"({"token":"T1","expires_in":60})", seconds(50), seconds(55)},
      {R"({"token":"T1"})", seconds(50), seconds(55)},                 // 60 by default
      {R"({"token":"T1","expires_in":10})", seconds(50), seconds(55)}, // never under 60
      {R"({"token":"T1","expires_in":3600})", seconds(3000), seconds(3300)},
      {R"({"access_token":"T1","expires_in":300.5})", seconds(260), seconds(280)},
  };
  for (const auto& c : cases) {
    INFO(c.token_answer);
    FakeClock clock;
    Harness h(options_with(clock));
    const auto fetched = clock.now;
    h.reply(resp(401, "", {{"www-authenticate", kChallenge}}));
    h.reply(resp(200, c.token_answer));
    h.reply(found());
    REQUIRE(h.client->head_manifest(kRepo, "v1"));
    clock.now = fetched + c.still_used;
    h.reply(found());
    REQUIRE(h.client->head_manifest(kRepo, "v1"));
    clock.now = fetched + c.replaced;
    h.reply(resp(401, "", {{"www-authenticate", kChallenge}}));
    h.reply(resp(200, R"({"token":"T2"})"));
    h.reply(found());
    REQUIRE(h.client->head_manifest(kRepo, "v1"));
    REQUIRE(h.log.size() == 7);
    CHECK(h.log[2].header("Authorization") == "Bearer T1");
    CHECK(h.log[3].header("Authorization") == "Bearer T1");
    // No token is sent after its expiry: the request goes without one, and the 401 brings T2.
    CHECK(h.log[4].header("Authorization").empty());
    CHECK(is_token_request(h.log[5]));
    CHECK(h.log[6].header("Authorization") == "Bearer T2");
  }
}

TEST_CASE("an expired push token is not used for pulls either", "[auth][ttl]") {
  FakeClock clock;
  Harness h(options_with(clock));
  h.reply(resp(401, "", {{"www-authenticate", kChallenge}}));
  h.reply(resp(200, R"({"token":"PUSH","expires_in":60})"));
  h.reply(resp(202));
  REQUIRE(h.client->delete_manifest(kRepo, kDigest));
  clock.now += seconds(120);
  h.reply(resp(401, "", {{"www-authenticate", kChallenge}}));
  h.reply(resp(200, R"({"token":"PULL"})"));
  h.reply(found());
  REQUIRE(h.client->head_manifest(kRepo, "v1"));
  REQUIRE(h.log.size() == 6);
  CHECK(h.log[3].header("Authorization").empty());
  CHECK(h.log[4].url.find("pull%2Cpush") == std::string::npos);
  CHECK(h.log[5].header("Authorization") == "Bearer PULL");
}

TEST_CASE("stored credentials are looked up again after the TTL, rotated ones then used",
          "[auth][ttl]") {
  FakeClock clock;
  ClientOptions o = options_with(clock);
  int lookups = 0;
  o.credential_lookup = [&lookups](std::string_view) {
    ++lookups;
    return common::Result<std::optional<Credentials>>(
        std::optional<Credentials>(Credentials{"u", lookups == 1 ? "old" : "new", ""}));
  };
  Harness h(o);
  const auto start = clock.now;
  h.reply(resp(401, "", {{"www-authenticate", R"(Basic realm="r")"}}));
  h.reply(found());
  REQUIRE(h.client->head_manifest(kRepo, "v1"));
  clock.now = start + detail::kCredentialTtl - seconds(1);
  h.reply(found());
  REQUIRE(h.client->head_manifest(kRepo, "v1"));
  CHECK(lookups == 1);
  clock.now = start + detail::kCredentialTtl + seconds(1);
  h.reply(resp(401, "", {{"www-authenticate", R"(Basic realm="r")"}}));
  h.reply(found());
  REQUIRE(h.client->head_manifest(kRepo, "v1"));
  CHECK(lookups == 2);
  REQUIRE(h.log.size() == 5);
  CHECK(h.log[1].header("Authorization") == "Basic " + common::base64_encode("u:old"));
  CHECK(h.log[2].header("Authorization") == "Basic " + common::base64_encode("u:old"));
  CHECK(h.log[3].header("Authorization").empty());
  CHECK(h.log[4].header("Authorization") == "Basic " + common::base64_encode("u:new"));
}

TEST_CASE("no stored credentials is remembered for the TTL too, then looked up again",
          "[auth][ttl]") {
  FakeClock clock;
  ClientOptions o = options_with(clock);
  int lookups = 0;
  o.credential_lookup = [&lookups](std::string_view) {
    ++lookups;
    return common::Result<std::optional<Credentials>>(
        lookups == 1 ? std::optional<Credentials>()
                     : std::optional<Credentials>(Credentials{"u", "p", ""}));
  };
  Harness h(o);
  h.reply(resp(401, "", {{"www-authenticate", R"(Basic realm="r")"}}));
  REQUIRE_FALSE(h.client->head_manifest(kRepo, "v1"));
  h.reply(resp(401, "", {{"www-authenticate", R"(Basic realm="r")"}}));
  REQUIRE_FALSE(h.client->head_manifest(kRepo, "v1"));
  CHECK(lookups == 1);
  clock.now += detail::kCredentialTtl;
  h.reply(resp(401, "", {{"www-authenticate", R"(Basic realm="r")"}}));
  h.reply(found());
  REQUIRE(h.client->head_manifest(kRepo, "v1"));
  CHECK(lookups == 2);
}

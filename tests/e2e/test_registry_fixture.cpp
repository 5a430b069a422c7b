// The real-registry fixture itself: every variant starts, serves the image helpers, enforces its
// auth, and is gone when the fixture is.
#include <catch2/catch.hpp>

#include <chrono>
#include <csignal>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/digest.h"
#include "tests/support/fault_proxy.h"
#include "tests/support/images.h"
#include "tests/support/registry_fixture.h"

using namespace isign::testing;

namespace {

bool process_alive(pid_t pid) {
  return pid > 0 && ::kill(pid, 0) == 0;
}

bool contains_text(const std::string& s, const std::string& needle) {
  return s.find(needle) != std::string::npos;
}

RegistryOptions variant(const std::string& name) {
  RegistryOptions o;
  if (name.find("tls") != std::string::npos)
    o.tls = true;
  if (name.find("htpasswd") != std::string::npos)
    o.auth = RegistryAuth::htpasswd;
  if (name.find("token") != std::string::npos)
    o.auth = RegistryAuth::token;
  return o;
}

} // namespace

TEST_CASE("registry fixture: every variant serves pushes and pulls", "[e2e][fixture]") {
  auto name =
      GENERATE(as<std::string>{}, "plain", "tls", "htpasswd", "tls+htpasswd", "token", "tls+token");
  INFO("variant " << name);
  RegistryFixture reg(variant(name));
  CHECK(reg.url().rfind("127.0.0.1:", 0) == 0);
  CHECK(reg.ref("app:v1") == reg.url() + "/app:v1");

  PushedImage img = push_image(reg, "team/app", "v1");
  HttpResult m = get_manifest(reg, "team/app", "v1");
  REQUIRE(m.status == 200);
  CHECK(m.body == img.manifest);
  CHECK(m.header("docker-content-digest") == img.digest);
  CHECK(m.header("content-type") == kOciManifestType);
  CHECK(isign::common::sha256_digest(get_blob(reg, "team/app", img.layer_digest).body) ==
        img.layer_digest);
  CHECK(list_tags(reg, "team/app") == std::vector<std::string>{"v1"});
  CHECK(delete_manifest(reg, "team/app", img.digest) == 202);
  CHECK(get_manifest(reg, "team/app", img.digest).status == 404);
}

TEST_CASE("registry fixture: auth variants refuse anonymous and wrong credentials",
          "[e2e][fixture]") {
  auto name = GENERATE(as<std::string>{}, "htpasswd", "token");
  INFO("variant " << name);
  RegistryFixture reg(variant(name));
  push_random_image(reg, "app", "v1");

  RegistryEndpoint anonymous = reg.endpoint();
  anonymous.username.clear();
  anonymous.password.clear();
  CHECK(get_manifest(anonymous, "app", "v1").status == 401);

  RegistryEndpoint wrong = reg.endpoint();
  wrong.password = "not-the-password";
  CHECK(get_manifest(wrong, "app", "v1").status == 401);
}

TEST_CASE("registry fixture: token issuer grants scopes and counts requests", "[e2e][fixture]") {
  RegistryOptions o;
  o.auth = RegistryAuth::token;
  o.anonymous_pull = true;
  RegistryFixture reg(o);
  TokenIssuer& issuer = *reg.token_issuer();
  push_random_image(reg, "app", "v1");
  CHECK(issuer.count_for_scope("repository:app:pull,push") == 1);

  RegistryEndpoint anonymous = reg.endpoint();
  anonymous.username.clear();
  anonymous.password.clear();
  RegistryApi api(anonymous);
  std::size_t pulls = issuer.count_for_scope("repository:app:pull");
  CHECK(api.get_manifest("app", "v1").status == 200); // anonymous pull allowed
  CHECK(api.get_manifest("app", "v1").status == 200); // token cached: no second token request
  CHECK(issuer.count_for_scope("repository:app:pull") == pulls + 1);
  auto last = issuer.requests().back();
  CHECK(last.user.empty());
  CHECK(last.status == 200);
  // Anonymous push: the issuer grants pull only, so the registry refuses the upload.
  CHECK(api.request("POST", "/v2/app/blobs/uploads/").status == 401);

  // make_token() gives tokens the registry accepts (for --registry-token tests).
  std::string token = issuer.make_token("someone", {"repository:app:pull"});
  HttpResult direct = RegistryApi(anonymous).request("GET", "/v2/app/tags/list", "",
                                                     {"Authorization: Bearer " + token});
  CHECK(direct.status == 200);
}

TEST_CASE("registry fixture: the registry process is gone after stop and after destruction",
          "[e2e][fixture]") {
  pid_t pid = -1;
  {
    RegistryFixture reg;
    pid = reg.pid();
    CHECK(process_alive(pid));
    reg.stop();
    CHECK_FALSE(process_alive(pid));
    CHECK(get_manifest(reg, "app", "v1").status == 0); // connection refused
    RegistryFixture second;
    pid = second.pid();
    CHECK(process_alive(pid));
  }
  CHECK_FALSE(process_alive(pid));
}

TEST_CASE("registry fixture: the log is kept in a file", "[e2e][fixture]") {
  RegistryFixture reg({.tls = true, .auth = RegistryAuth::htpasswd});
  CHECK(reg.tls_flags() == std::vector<std::string>{"--registry-cacert", reg.ca_path()});
  CHECK(reg.credential_flags() == std::vector<std::string>{"--registry-username", reg.username(),
                                                           "--registry-password", reg.password()});
  CHECK(reg.log().find("listening on " + reg.url()) != std::string::npos);
}

TEST_CASE("fault proxy: forwards everything, including uploads, to every variant",
          "[e2e][fixture][proxy]") {
  auto name = GENERATE(as<std::string>{}, "plain", "tls+htpasswd", "token");
  INFO("variant " << name);
  RegistryFixture reg(variant(name));
  FaultProxy proxy(reg);
  PushedImage img = push_image(proxy.endpoint(), "app", "v1");
  CHECK(proxy.count("PUT", "/manifests/v1") == 1);
  HttpResult head = RegistryApi(proxy.endpoint()).head_manifest("app", "v1");
  CHECK(head.status == 200);
  CHECK(head.header("content-length") == std::to_string(img.manifest.size()));
  CHECK(get_manifest(reg, "app", img.digest).body == img.manifest); // really in the registry
  CHECK(proxy.requests().front().fault == "pass");
}

TEST_CASE("fault proxy: scripted faults", "[e2e][fixture][proxy]") {
  RegistryFixture reg;
  PushedImage img = push_image(reg, "app", "v1", ImageSpec{4096, "", false, {}});
  FaultProxy proxy(reg);
  RegistryApi api(proxy.endpoint());

  SECTION("a status once, then pass") {
    proxy.inject({"GET", "/manifests/", Fault::http_status(500), 1});
    HttpResult first = api.get_manifest("app", "v1");
    CHECK(first.status == 500);
    CHECK(nlohmann::json::parse(first.body)["errors"][0]["code"] == "UNKNOWN");
    CHECK(api.get_manifest("app", "v1").status == 200);
    CHECK(proxy.count("GET", "/manifests/v1") == 2);
  }
  SECTION("a status always, only for matching requests") {
    proxy.inject({"", "/blobs/", Fault::http_status(503), -1});
    CHECK(api.get_blob("app", img.layer_digest).status == 503);
    CHECK(api.get_blob("app", img.layer_digest).status == 503);
    CHECK(api.get_manifest("app", "v1").status == 200);
  }
  SECTION("429 with Retry-After") {
    proxy.inject({"GET", "", Fault::throttle(3), 1});
    HttpResult r = api.get_manifest("app", "v1");
    CHECK(r.status == 429);
    CHECK(r.header("retry-after") == "3");
  }
  SECTION("close mid-body: the client sees a transfer error") {
    proxy.inject({"GET", "/blobs/", Fault::close_mid_body(), 1});
    HttpResult r = api.get_blob("app", img.layer_digest);
    CHECK(r.status == 0);
    CHECK(r.body.find("transfer closed") != std::string::npos);
  }
  SECTION("truncate and corrupt: well-formed answers with wrong bytes") {
    proxy.inject({"GET", "/blobs/", Fault::truncate_body(100), 1});
    proxy.inject({"GET", "/blobs/", Fault::corrupt_body(), 1});
    HttpResult cut = api.get_blob("app", img.layer_digest);
    CHECK(cut.status == 200);
    CHECK(cut.body.size() == 100);
    HttpResult bad = api.get_blob("app", img.layer_digest);
    CHECK(bad.status == 200);
    CHECK(bad.body.size() == 4096);
    CHECK(isign::common::sha256_digest(bad.body) != img.layer_digest);
  }
  SECTION("drop: no answer at all") {
    proxy.inject({"", "", Fault::drop(), 1});
    CHECK(api.get_manifest("app", "v1").status == 0);
    CHECK(proxy.requests().back().status == 0);
  }
  SECTION("stall: the answer comes late, and stop() ends the wait") {
    proxy.inject({"GET", "/manifests/", Fault::stall(std::chrono::milliseconds(300)), 1});
    auto start = std::chrono::steady_clock::now();
    CHECK(api.get_manifest("app", "v1").status == 200);
    CHECK(std::chrono::steady_clock::now() - start >= std::chrono::milliseconds(300));
    proxy.inject({"GET", "/manifests/", Fault::stall(std::chrono::seconds(600)), 1});
    std::thread stopper([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      proxy.stop();
    });
    start = std::chrono::steady_clock::now();
    CHECK(api.get_manifest("app", "v1").status == 0);
    stopper.join();
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(10));
  }
}

TEST_CASE("fault proxy: pages tag lists with Link headers", "[e2e][fixture][proxy]") {
  RegistryFixture reg;
  PushedImage img = push_image(reg, "app", "t0");
  std::vector<std::string> expected = {"t0"};
  RegistryApi api(reg);
  for (int i = 1; i < 7; ++i) {
    api.push_manifest("app", "t" + std::to_string(i), img.manifest, img.media_type);
    expected.push_back("t" + std::to_string(i));
  }
  FaultProxy proxy(reg);
  proxy.paginate_tags(3);
  RegistryApi through(proxy.endpoint());
  CHECK(through.tags("app") == expected); // default page size 3: 3 + 3 + 1
  CHECK(proxy.count("GET", "/tags/list") == 3);
  CHECK(through.tags("app", 2) == expected); // the client's n wins: 2 + 2 + 2 + 1
  CHECK(proxy.count("GET", "/tags/list") == 7);
  HttpResult first = through.request("GET", "/v2/app/tags/list?n=2");
  CHECK(first.header("link") == "</v2/app/tags/list?n=2&last=t1>; rel=\"next\"");
  CHECK(nlohmann::json::parse(first.body)["tags"] == nlohmann::json{"t0", "t1"});
  HttpResult last = through.request("GET", "/v2/app/tags/list?n=2&last=t5");
  CHECK(last.header("link").empty());
  CHECK(proxy.requests().back().fault == "paginate");
}

TEST_CASE("registry fixture: a refusing port refuses connections", "[e2e][fixture]") {
  RefusingPort down;
  RegistryEndpoint ep;
  ep.host = down.address();
  HttpResult r = RegistryApi(ep).request("GET", "/v2/");
  CHECK(r.status == 0);
  INFO(r.body);
  CHECK(contains_text(r.body, "onnect"));
}

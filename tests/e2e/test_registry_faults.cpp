// Registry failures end to end, through the fault proxy in front of a real registry: a registry
// that is down, 5xx once (retried) and always (bounded), 429 with Retry-After, dropped and cut
// connections. Each run ends in bounded time with one clear line.
#include <catch2/catch.hpp>

#include "cli/cli.h"
#include "tests/e2e/registry_cli.h"
#include "tests/support/fault_proxy.h"
#include "tests/support/images.h"

using namespace isign::testing;
using isign::cli::kNetwork;
using isign::cli::kOk;
using isign::cli::kRegistry;
using isign::cli::kThrottled;

namespace {

const std::vector<std::string> kHttp = {"--allow-http-registry"};

RunResult digest_of(const std::string& ref) {
  return isign_cmd("inspect", with(kHttp, {"--format", "{{.Digest}}"}), {ref});
}

// A registry holding app:v1 (random content) behind a fault proxy:
//   ProxiedImage scene;
//   auto& [reg, digest, proxy] = scene;
struct ProxiedImage {
  RegistryFixture reg;
  std::string digest = push_random_image(reg, "app", "v1");
  FaultProxy proxy{reg};

  // digest_of(app:v1) through the proxy with fault on every manifest request. It must give up
  // in bounded time: max_retries is 3 for each idempotent request; HEAD may fall back to GET.
  RunResult inspect_with_fault_always(Fault fault) {
    proxy.inject({"", "/manifests/", std::move(fault), -1});
    Timer timer;
    auto r = digest_of(proxy.ref("app:v1"));
    CHECK(proxy.count("", "/manifests/") <= 8);
    CHECK(timer.seconds() < 60);
    return r;
  }
};

} // namespace

TEST_CASE("faults: a registry that is down exits 6 with a clear message",
          "[e2e][registry][faults]") {
  RefusingPort down; // bound, never listening: connections are refused
  for (const char* command : {"triangulate", "inspect", "list-tags"}) {
    INFO("command " << command);
    std::string ref = down.address() + (std::string(command) == "list-tags" ? "/app" : "/app:v1");
    Timer timer;
    auto r = isign_cmd(command, kHttp, {ref});
    CHECK(r.exit_code == kNetwork);
    CHECK(r.out.empty());
    CHECK(contains(r.err, down.address()));
    CHECK((contains_nocase(r.err, "connect") || contains_nocase(r.err, "refused")));
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    CHECK(timer.seconds() < 60);
  }
}

TEST_CASE("faults: a 500 followed by success is retried", "[e2e][registry][faults]") {
  auto status = GENERATE(500, 502, 503);
  INFO("status " << status);
  ProxiedImage scene;
  auto& [reg, digest, proxy] = scene;
  proxy.inject({"", "/manifests/", Fault::http_status(status), 1});
  auto r = digest_of(proxy.ref("app:v1"));
  CHECK(r.exit_code == kOk);
  CHECK(r.out == digest + "\n");
  CHECK(proxy.count("", "/manifests/v1") >= 2);
  CHECK(proxy.requests().front().status == status);
}

TEST_CASE("faults: a 500 on every try ends with exit 7 after a bounded number of tries",
          "[e2e][registry][faults]") {
  ProxiedImage scene;
  auto r = scene.inspect_with_fault_always(Fault::http_status(500));
  CHECK(r.exit_code == kRegistry);
  CHECK(r.out.empty());
  CHECK(contains(r.err, "500"));
  CHECK(contains(r.err, "/v2/app/manifests/v1"));
  CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
}

TEST_CASE("faults: 429 with Retry-After is honoured, then succeeds", "[e2e][registry][faults]") {
  ProxiedImage scene;
  auto& [reg, digest, proxy] = scene;
  proxy.inject({"", "/manifests/", Fault::throttle(1), 1});
  Timer timer;
  auto r = digest_of(proxy.ref("app:v1"));
  CHECK(r.exit_code == kOk);
  CHECK(r.out == digest + "\n");
  CHECK(timer.seconds() >= 0.9);
  CHECK(proxy.requests().front().status == 429);
}

TEST_CASE("faults: 429 on every try exits 9 (throttled)", "[e2e][registry][faults]") {
  ProxiedImage scene;
  auto r = scene.inspect_with_fault_always(Fault::throttle(1));
  CHECK(r.exit_code == kThrottled);
  CHECK(contains(r.err, "429"));
}

TEST_CASE("faults: a dropped connection is retried", "[e2e][registry][faults]") {
  ProxiedImage scene;
  auto& [reg, digest, proxy] = scene;
  proxy.inject({"", "/manifests/", Fault::drop(), 1});
  auto r = digest_of(proxy.ref("app:v1"));
  CHECK(r.exit_code == kOk);
  CHECK(r.out == digest + "\n");
}

TEST_CASE("faults: a connection cut in the middle of a body is retried",
          "[e2e][registry][faults]") {
  ProxiedImage scene;
  auto& [reg, digest, proxy] = scene;
  proxy.inject({"GET", "/tags/list", Fault::close_mid_body(), 1});
  auto r = isign_cmd("list-tags", kHttp, {proxy.ref("app")});
  CHECK(r.exit_code == kOk);
  CHECK(contains(r.out, "v1"));
  CHECK(proxy.count("GET", "/tags/list") == 2);
}

TEST_CASE("faults: an unknown repository through the proxy is still exit 8",
          "[e2e][registry][faults]") {
  RegistryFixture reg;
  FaultProxy proxy(reg);
  auto r = digest_of(proxy.ref("nothing:v1"));
  CHECK(r.exit_code == isign::cli::kNotFound);
  CHECK(contains(r.err, "404"));
}

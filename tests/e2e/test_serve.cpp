// isign serve, the admission webhook, end to end: the built binary over TLS, a real registry
// (TLS and htpasswd), and AdmissionReview documents shaped as the API server sends them
// (testdata/admission, provenance in its PROVENANCE.md).
#include <arpa/inet.h>
#include <atomic>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <netinet/in.h>
#include <nlohmann/json.hpp>
#include <sys/socket.h>
#include <thread>

#include "common/encoding.h"
#include "tests/e2e/docker_config.h"
#include "tests/e2e/serve_support.h"
#include "tests/e2e/sign_verify_support.h"

using namespace isign::testing;
using nlohmann::json;

namespace {

json response_of(const HttpsResult& r) {
  INFO(r.status << " " << r.error << " " << r.body);
  REQUIRE(r.status == 200);
  auto doc = json::parse(r.body);
  REQUIRE(doc["apiVersion"] == "admission.k8s.io/v1");
  REQUIRE(doc["kind"] == "AdmissionReview");
  return doc["response"];
}

std::string uid_of(const std::string& review) {
  return json::parse(review)["request"]["uid"].get<std::string>();
}

std::string policy_for(const RegistryFixture& reg, const std::string& key_pub) {
  return R"({"version": 1, "default": {"type": "reject"},
    "admission": {"exemptNamespaces": ["isign-system"],
                  "exemptImages": [")" +
         reg.url() + R"(/exempt"]},
    "scopes": {")" +
         reg.url() + R"(": {"keys": [")" + key_pub + R"("]}}})";
}

struct Signed {
  TempDir dir;
  RegistryFixture reg{{.tls = true, .auth = RegistryAuth::htpasswd}};
  std::string key = new_key_pair(dir, "a");
  std::string other_key = new_key_pair(dir, "b");
  std::string app = push_random_image(reg, "app", "v1");
  std::string bundled = push_random_image(reg, "bundled", "v1");
  std::string unsigned_digest = push_random_image(reg, "other", "v2");

  Signed() {
    REQUIRE(sign_image(reg, key, {reg.ref("app@" + app)}).exit_code == 0);
    REQUIRE(
        sign_default(reg, key, {"--format", "bundle", reg.ref("bundled@" + bundled)}).exit_code ==
        0);
    make_serving_certificate(dir);
    write_text(dir / "policy.json", policy_for(reg, key + ".pub"));
  }
  std::vector<std::string> flags(std::vector<std::string> extra = {}) const {
    return with(reg.client_flags(), extra);
  }
  std::string review(const std::string& name) const {
    return admission_review(name, reg.url(), app);
  }
};

} // namespace

TEST_CASE("serve: each workload kind over TLS, signed admitted, unsigned refused by name",
          "[e2e][serve]") {
  Signed s;
  Webhook hook(s.dir, s.dir / "policy.json", s.flags());
  struct Case {
    std::string file;
    bool allowed;
    std::string refused; // what the message names
  };
  const std::vector<Case> cases = {
      {"deployment.json", true, ""},
      {"statefulset.json", true, ""},
      {"job.json", true, ""},
      {"cronjob.json", true, ""},
      {"replicaset.json", true, ""},
      {"daemonset.json", true, ""},
      {"service.json", true, ""},
      {"pod-delete.json", true, ""},
      {"pod.json", false, "initContainers[0] \"migrate\" image \"" + s.reg.ref("other:v2")},
      {"pod-ephemeral.json", false, "ephemeralContainers[0]"},
  };
  for (const auto& c : cases) {
    INFO(c.file);
    const std::string review = s.review(c.file);
    auto r = response_of(hook.post("/validate", review));
    CHECK(r["uid"] == uid_of(review));
    CHECK(r["allowed"] == c.allowed);
    CHECK_FALSE(r.contains("patch"));
    if (!c.allowed) {
      CHECK(r["status"]["code"] == 403);
      CHECK_THAT(r["status"]["message"].get<std::string>(), Catch::Contains(c.refused));
    }
  }
  // A tag is verified at the digest it names now, and the answer says so.
  auto tagged = response_of(hook.post("/validate", s.review("deployment.json")));
  REQUIRE(tagged.contains("warnings"));
  CHECK_THAT(tagged["warnings"][0].get<std::string>(), Catch::Contains(s.app));
  // One JSON log line per review, naming each image's verdict.
  const std::string log = hook.log();
  CHECK_THAT(log, Catch::Contains("\"event\":\"review\""));
  CHECK_THAT(log, Catch::Contains("\"verdict\":\"refused\""));
  CHECK_THAT(log, Catch::Contains("\"verdict\":\"verified\""));
}

TEST_CASE("serve: /mutate pins each tag to the digest verified, with a JSON Patch",
          "[e2e][serve]") {
  Signed s;
  Webhook hook(s.dir, s.dir / "policy.json", s.flags());
  for (const char* file : {"deployment.json", "cronjob.json"}) {
    INFO(file);
    auto r = response_of(hook.post("/mutate", s.review(file)));
    REQUIRE(r["allowed"] == true);
    REQUIRE(r["patchType"] == "JSONPatch");
    auto patch = isign::common::base64_decode(r["patch"].get<std::string>());
    REQUIRE(patch);
    auto ops = json::parse(*patch);
    REQUIRE(ops.size() == 1);
    CHECK(ops[0]["op"] == "replace");
    CHECK(ops[0]["value"] == s.reg.ref("app:v1@" + s.app));
    const std::string path = ops[0]["path"];
    CHECK(path.size() > 6);
    CHECK(path.substr(path.size() - 6) == "/image");
  }
  // Already pinned: nothing to patch.
  auto pinned = response_of(hook.post("/mutate", s.review("replicaset.json")));
  CHECK(pinned["allowed"] == true);
  CHECK_FALSE(pinned.contains("patch"));
  // A bundle (cosign v3) verifies as well as a .sig.
  std::string bundled = s.review("deployment.json");
  const std::string from = s.reg.ref("app:v1"), to = s.reg.ref("bundled:v1");
  for (auto pos = bundled.find(from); pos != std::string::npos; pos = bundled.find(from, pos))
    bundled.replace(pos, from.size(), to);
  auto b = response_of(hook.post("/mutate", bundled));
  CHECK(b["allowed"] == true);
  CHECK_THAT(*isign::common::base64_decode(b["patch"].get<std::string>()),
             Catch::Contains(to + "@" + s.bundled));
}

TEST_CASE("serve: the wrong key refuses, exempt namespaces and images pass unchecked",
          "[e2e][serve]") {
  Signed s;
  write_text(s.dir / "policy.json", policy_for(s.reg, s.other_key + ".pub"));
  Webhook hook(s.dir, s.dir / "policy.json", s.flags());
  auto r = response_of(hook.post("/validate", s.review("deployment.json")));
  CHECK(r["allowed"] == false);
  CHECK_THAT(r["status"]["message"].get<std::string>(), Catch::Contains(s.reg.ref("app:v1")));
  std::string ns = s.review("pod.json");
  ns.replace(ns.find("\"namespace\": \"shop\""), 19, "\"namespace\": \"isign-system\"");
  CHECK(response_of(hook.post("/validate", ns))["allowed"] == true);
  std::string exempt = s.review("deployment.json");
  const std::string from = s.reg.ref("app:v1");
  exempt.replace(exempt.rfind(from), from.size(), s.reg.ref("exempt/anything:v9"));
  CHECK(response_of(hook.post("/validate", exempt))["allowed"] == true);
}

TEST_CASE("serve: a dead registry is a clear denial within the deadline, admitted with "
          "--fail-open",
          "[e2e][serve]") {
  Signed s;
  Webhook closed(s.dir, s.dir / "policy.json", s.flags({"--review-deadline", "2"}));
  const std::string review = s.review("deployment.json");
  s.reg.stop();
  const auto start = std::chrono::steady_clock::now();
  auto r = response_of(closed.post("/validate", review));
  const auto took = std::chrono::steady_clock::now() - start;
  CHECK(r["allowed"] == false);
  CHECK_THAT(r["status"]["message"].get<std::string>(), Catch::Contains(s.reg.ref("app:v1")));
  CHECK(took < std::chrono::milliseconds(3500));
  closed.stop();

  TempDir dir2;
  make_serving_certificate(dir2);
  write_text(dir2 / "policy.json", policy_for(s.reg, s.key + ".pub"));
  Webhook open(dir2, dir2 / "policy.json", s.flags({"--review-deadline", "2", "--fail-open"}));
  auto o = response_of(open.post("/validate", review));
  CHECK(o["allowed"] == true);
  REQUIRE(o.contains("warnings"));
  CHECK_THAT(o["warnings"].dump(), Catch::Contains("--fail-open"));
  // An unsigned image is refused even so: fail-open is for outages, not for signatures.
}

TEST_CASE("serve: malformed, oversized and misdirected requests get a 4xx, and the server "
          "keeps serving",
          "[e2e][serve]") {
  Signed s;
  Webhook hook(s.dir, s.dir / "policy.json", s.flags({"--client-timeout", "1"}));
  CHECK(hook.post("/validate", "{not json").status == 400);
  CHECK(hook.post("/validate", R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"})")
            .status == 400);
  CHECK(hook.post("/validate", s.review("pod.json"), "text/plain").status == 415);
  CHECK(hook.post("/validate", std::string(5u << 20, ' ')).status == 413);
  CHECK(hook.get("/validate").status == 405);
  CHECK(hook.get("/nothing").status == 404);
  // A client that connects and sends nothing is cut off; others are served meanwhile.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(hook.port());
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  CHECK(response_of(hook.post("/validate", s.review("deployment.json")))["allowed"] == true);
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char buf[16];
  const auto t0 = std::chrono::steady_clock::now();
  CHECK(::recv(fd, buf, sizeof buf, 0) <= 0); // closed by the server, not by our timeout
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds(4000));
  ::close(fd);
  auto metrics = hook.get("/metrics");
  CHECK(metrics.status == 200);
  CHECK_THAT(metrics.body, Catch::Contains("isign_rejected_requests_total{code=\"413\"} 1"));
  CHECK_THAT(metrics.body, Catch::Contains("isign_rejected_requests_total{code=\"400\"} 2"));
  CHECK(hook.get("/healthz").status == 200);
}

TEST_CASE("serve: a changed policy is used at once under load, one that does not parse is "
          "refused and the old kept",
          "[e2e][serve]") {
  Signed s;
  Webhook hook(s.dir, s.dir / "policy.json", s.flags({"--reload-interval", "0.1"}));
  const std::string review = s.review("deployment.json");
  std::atomic<bool> stop{false};
  std::atomic<int> non_200{0}, allowed{0}, refused{0};
  std::vector<std::thread> load;
  for (int i = 0; i < 4; ++i)
    load.emplace_back([&] {
      while (!stop) {
        auto r = hook.post("/validate", review);
        if (r.status != 200) {
          ++non_200;
          continue;
        }
        (json::parse(r.body)["response"]["allowed"] == true ? allowed : refused)++;
      }
    });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  CHECK(allowed > 0);
  CHECK(refused == 0);
  // A policy that does not parse: refused, logged, counted; reviews still pass.
  write_text(s.dir / "policy.json", "{\"version\": 1, \"default\": ");
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  CHECK(refused == 0);
  CHECK_THAT(hook.log(), Catch::Contains("\"event\":\"reload refused\""));
  CHECK_THAT(hook.get("/metrics").body,
             Catch::Contains("isign_reloads_total{what=\"policy\",result=\"refused\"} 1"));
  // The other key only: the cached pass belongs to the old policy and is not served.
  write_text(s.dir / "policy.json", policy_for(s.reg, s.other_key + ".pub"));
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  const int refused_before = refused;
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  stop = true;
  for (auto& t : load)
    t.join();
  CHECK(non_200 == 0);
  CHECK(refused > refused_before);
  CHECK(response_of(hook.post("/validate", review))["allowed"] == false);
  CHECK_THAT(hook.get("/metrics").body,
             Catch::Contains("isign_reloads_total{what=\"policy\",result=\"ok\"} 1"));
}

TEST_CASE("serve: SIGTERM answers the reviews in flight, then exits 0", "[e2e][serve]") {
  Signed s;
  Webhook hook(s.dir, s.dir / "policy.json", s.flags());
  // Ten distinct images, none cached: each review waits on the registry.
  std::vector<std::string> reviews;
  for (int i = 0; i < 10; ++i) {
    const std::string d = push_random_image(s.reg, "many", "t" + std::to_string(i));
    REQUIRE(sign_image(s.reg, s.key, {s.reg.ref("many@" + d)}).exit_code == 0);
    std::string r = s.review("deployment.json");
    const std::string from = s.reg.ref("app:v1");
    r.replace(r.rfind(from), from.size(), s.reg.ref("many:t" + std::to_string(i)));
    reviews.push_back(r);
  }
  std::vector<HttpsResult> answers(reviews.size());
  std::vector<std::thread> clients;
  for (std::size_t i = 0; i < reviews.size(); ++i)
    clients.emplace_back([&, i] { answers[i] = hook.post("/validate", reviews[i]); });
  // SIGTERM once the server has read a review (one in flight, or answered already): slow
  // builds (the sanitizers) must not send it before any review arrived.
  auto reached = [&] {
    const std::string m = hook.get("/metrics").body;
    auto value = [&](const std::string& line) {
      long total = 0;
      for (auto pos = m.find(line); pos != std::string::npos; pos = m.find(line, pos + 1))
        total += std::atol(m.c_str() + m.find(' ', pos) + 1);
      return total;
    };
    return value("\nisign_reviews_in_flight ") + value("\nisign_reviews_total{") > 0;
  };
  for (int i = 0; i < 1000 && !reached(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const int code = hook.stop();
  for (auto& t : clients)
    t.join();
  CHECK(code == 0);
  int answered = 0;
  for (const auto& a : answers)
    if (a.status == 200) {
      ++answered;
      CHECK(json::parse(a.body)["response"]["allowed"] == true);
    }
  // Every review that reached the server before SIGTERM was answered (at least the one seen);
  // later ones were refused a connection, never dropped mid-request.
  CHECK(answered > 0);
  CHECK_THAT(hook.log(), Catch::Contains("\"unanswered\":0"));
}

TEST_CASE("serve: registry credentials in a mounted docker config are read again when they "
          "change",
          "[e2e][serve]") {
  Signed s;
  // No credentials at first: the registry refuses them all.
  const std::string config = write_docker_config(s.dir, json{{"auths", json::object()}});
  ::setenv("DOCKER_CONFIG", config.c_str(), 1);
  ::unsetenv("REGISTRY_AUTH_FILE");
  Webhook hook(s.dir, s.dir / "policy.json",
               {"--registry-cacert", s.reg.ca_path(), "--reload-interval", "0.1",
                "--negative-cache-ttl", "0"});
  ::unsetenv("DOCKER_CONFIG");
  const std::string review = s.review("deployment.json");
  auto before = response_of(hook.post("/validate", review));
  CHECK(before["allowed"] == false);
  const std::string auth = isign::common::base64_encode(s.reg.username() + ":" + s.reg.password());
  write_docker_config(s.dir, json{{"auths", {{s.reg.url(), {{"auth", auth}}}}}});
  bool admitted = false;
  for (int i = 0; i < 50 && !admitted; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    admitted = response_of(hook.post("/validate", review))["allowed"] == true;
  }
  CHECK(admitted);
  CHECK_THAT(hook.log(), Catch::Contains("\"what\":\"registry credentials\""));
}

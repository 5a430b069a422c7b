// isign serve attacked: admission bypasses, a registry that stalls or fails behind the webhook,
// stops during a stalled verification, reloads done the way Kubernetes does them, and hostile
// HTTP. Each test states what must hold; a failure here is an image admitted that should not be,
// or a webhook that stops answering in time.
#include <arpa/inet.h>
#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <netinet/in.h>
#include <nlohmann/json.hpp>
#include <sys/socket.h>
#include <thread>

#include "common/encoding.h"
#include "tests/e2e/serve_support.h"
#include "tests/e2e/sign_verify_support.h"
#include "tests/support/fault_proxy.h"

using namespace isign::testing;
using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::steady_clock;

namespace {

json answer_of(const HttpsResult& r) {
  INFO(r.status << " " << r.error << " " << r.body);
  REQUIRE(r.status == 200);
  return json::parse(r.body)["response"];
}

// A Pod review with these containers' images, as the API server sends it (only what the webhook
// reads and a little more).
json pod_review(const std::vector<std::string>& images, const std::string& ns = "shop") {
  json containers = json::array();
  for (std::size_t i = 0; i < images.size(); ++i)
    containers.push_back({{"name", "c" + std::to_string(i)}, {"image", images[i]}});
  return {{"apiVersion", "admission.k8s.io/v1"},
          {"kind", "AdmissionReview"},
          {"request",
           {{"uid", "0f6f1a0e-5f2c-4a4e-9d55-3c1e0b9a1c01"},
            {"kind", {{"group", ""}, {"version", "v1"}, {"kind", "Pod"}}},
            {"resource", {{"group", ""}, {"version", "v1"}, {"resource", "pods"}}},
            {"namespace", ns},
            {"operation", "CREATE"},
            {"object",
             {{"apiVersion", "v1"},
              {"kind", "Pod"},
              {"metadata", {{"name", "p"}, {"namespace", ns}}},
              {"spec", {{"containers", containers}}}}}}}};
}

std::string policy_text(const std::string& registry, const std::string& key_pub) {
  return json{{"version", 1},
              {"default", {{"type", "reject"}}},
              {"admission", {{"exemptNamespaces", {"isign-system"}}}},
              {"scopes", {{registry, {{"keys", {key_pub}}}}}}}
      .dump();
}

// A plain registry (no TLS, no auth) behind a fault proxy; the webhook reaches it through the
// proxy, the test signs and pushes directly.
struct Proxied {
  TempDir dir;
  RegistryFixture reg;
  FaultProxy proxy{reg};
  std::string key = new_key_pair(dir, "a");
  std::string app = push_random_image(reg, "app", "v1");

  Proxied() {
    // Through the proxy: the signature names the repository as the webhook reaches it.
    REQUIRE(sign_via_http(proxy.ref("app@" + app), key).exit_code == 0);
    make_serving_certificate(dir);
    write_text(dir / "policy.json", policy_text(proxy.url(), key + ".pub"));
  }
  std::string review(const std::string& ref) const { return pod_review({proxy.ref(ref)}).dump(); }
};

// A TLS registry with htpasswd, signed and unsigned images, and the webhook's certificate.
struct Direct {
  TempDir dir;
  RegistryFixture reg{{.tls = true, .auth = RegistryAuth::htpasswd}};
  std::string key = new_key_pair(dir, "a");
  std::string other_key = new_key_pair(dir, "b");
  std::string app = push_random_image(reg, "app", "v1");
  std::string unsigned_in_app = push_random_image(reg, "app", "v2");

  Direct() {
    REQUIRE(sign_image(reg, key, {reg.ref("app@" + app)}).exit_code == 0);
    make_serving_certificate(dir);
    write_text(dir / "policy.json", policy_text(reg.url(), key + ".pub"));
  }
  std::vector<std::string> flags(std::vector<std::string> extra = {}) const {
    return with(reg.client_flags(), extra);
  }
};

double seconds_since(steady_clock::time_point t) {
  return std::chrono::duration<double>(steady_clock::now() - t).count();
}

} // namespace

TEST_CASE("serve adversary: a registry that stalls gets a denial within the review deadline, "
          "and the stall is not cached",
          "[e2e][serve]") {
  Proxied p;
  Webhook hook(p.dir, p.dir / "policy.json", {"--allow-http-registry", "--review-deadline", "2"});
  p.proxy.inject({"", "/v2/", Fault::stall(milliseconds(25000)), -1});
  const auto start = steady_clock::now();
  auto r = answer_of(hook.post("/validate", p.review("app:v1")));
  const double took = seconds_since(start);
  CHECK(r["allowed"] == false);
  CHECK_THAT(r["status"]["message"].get<std::string>(), Catch::Contains(p.proxy.ref("app:v1")));
  // The API server gives up at its timeoutSeconds (10 by default): the deadline is what bounds
  // the answer, not the registry client's own timeout.
  CHECK(took < 3.5);
  // The outage said nothing about the image: once the registry answers, it is verified.
  p.proxy.clear_faults();
  auto again = answer_of(hook.post("/validate", p.review("app:v1")));
  CHECK(again["allowed"] == true);
}

TEST_CASE("serve adversary: 500s and truncated answers are denials that are not cached, a 401 "
          "is no outage for --fail-open",
          "[e2e][serve]") {
  Proxied p;
  {
    Webhook hook(
        p.dir, p.dir / "policy.json",
        {"--allow-http-registry", "--review-deadline", "4", "--negative-cache-ttl", "600"});
    p.proxy.inject({"", "/manifests/", Fault::http_status(500), -1});
    CHECK(answer_of(hook.post("/validate", p.review("app:v1")))["allowed"] == false);
    p.proxy.clear_faults();
    CHECK(answer_of(hook.post("/validate", p.review("app:v1")))["allowed"] == true);
    // A new tag, nothing cached for it: its manifests arrive cut short, then whole.
    const std::string d = push_random_image(p.reg, "app", "v3");
    REQUIRE(sign_via_http(p.proxy.ref("app@" + d), p.key).exit_code == 0);
    p.proxy.inject({"GET", "/manifests/", Fault::truncate_body(10), -1});
    CHECK(answer_of(hook.post("/validate", p.review("app:v3")))["allowed"] == false);
    p.proxy.clear_faults();
    CHECK(answer_of(hook.post("/validate", p.review("app:v3")))["allowed"] == true);
  }
  // --fail-open admits what the registry could not be asked about; a registry that refuses the
  // credentials answered, and an unsigned image stays refused.
  TempDir dir2;
  make_serving_certificate(dir2);
  write_text(dir2 / "policy.json", policy_text(p.proxy.url(), p.key + ".pub"));
  Webhook open(dir2, dir2 / "policy.json",
               {"--allow-http-registry", "--review-deadline", "4", "--fail-open"});
  push_random_image(p.reg, "app", "v4");
  p.proxy.inject({"", ".sig", Fault::http_status(401), -1});
  CHECK(answer_of(open.post("/validate", p.review("app:v4")))["allowed"] == false);
}

TEST_CASE("serve adversary: SIGTERM during a stalled verification exits within the grace and "
          "the deadline",
          "[e2e][serve]") {
  Proxied p;
  Webhook hook(p.dir, p.dir / "policy.json",
               {"--allow-http-registry", "--review-deadline", "3", "--shutdown-grace", "1"});
  p.proxy.inject({"", "/v2/", Fault::stall(milliseconds(25000)), -1});
  HttpsResult answer;
  std::thread client([&] { answer = hook.post("/validate", p.review("app:v1")); });
  std::this_thread::sleep_for(milliseconds(500));
  const auto start = steady_clock::now();
  const int code = hook.stop();
  const double took = seconds_since(start);
  client.join();
  CHECK(code == 0);
  CHECK(took < 5.0);
  // Answered (a denial: the registry never did), or cut at the end of the grace: never admitted.
  if (answer.status == 200)
    CHECK(json::parse(answer.body)["response"]["allowed"] == false);
}

TEST_CASE("serve adversary: a tag that is signed does not carry a digest that is not",
          "[e2e][serve]") {
  Direct s;
  Webhook hook(s.dir, s.dir / "policy.json", s.flags());
  // The node pulls the digest: app:v1 is signed, the digest named after it is not.
  const std::string mixed = s.reg.ref("app:v1@" + s.unsigned_in_app);
  for (const char* endpoint : {"/validate", "/mutate"}) {
    INFO(endpoint);
    auto r = answer_of(hook.post(endpoint, pod_review({mixed}).dump()));
    CHECK(r["allowed"] == false);
    CHECK_FALSE(r.contains("patch"));
  }
  // And the other way round: an unsigned tag naming a signed digest is the signed image.
  auto ok = answer_of(hook.post("/mutate", pod_review({s.reg.ref("app:v2@" + s.app)}).dump()));
  CHECK(ok["allowed"] == true);
  CHECK_FALSE(ok.contains("patch"));
  // One refused image among admitted ones: refused whole, and no patch for the others.
  auto two = answer_of(
      hook.post("/mutate", pod_review({s.reg.ref("app:v1"), s.reg.ref("app:v2")}).dump()));
  CHECK(two["allowed"] == false);
  CHECK_FALSE(two.contains("patch"));
  CHECK_FALSE(two.contains("patchType"));
}

TEST_CASE("serve adversary: the patch pins exactly the digest verified, under escapes and odd "
          "spellings",
          "[e2e][serve]") {
  Direct s;
  Webhook hook(s.dir, s.dir / "policy.json", s.flags());
  // "\u002f" is "/": the image the node sees is the one verified.
  std::string escaped = pod_review({s.reg.ref("app:v1")}).dump();
  const std::string plain = s.reg.ref("app:v1");
  const std::string esc = s.reg.url() + "\\u002fapp:v1";
  escaped.replace(escaped.find(plain), plain.size(), esc);
  auto r = answer_of(hook.post("/mutate", escaped));
  REQUIRE(r["allowed"] == true);
  auto patch = json::parse(*isign::common::base64_decode(r["patch"].get<std::string>()));
  REQUIRE(patch.size() == 1);
  CHECK(patch[0]["path"] == "/spec/containers/0/image");
  CHECK(patch[0]["value"] == s.reg.ref("app:v1@" + s.app));
  // Spellings a node would not pull as this image are refused, not normalised into a pass.
  for (const std::string& odd :
       {" " + s.reg.ref("app:v1"), s.reg.ref("app:v1") + " ", s.reg.ref("APP:v1"),
        s.reg.ref("app:v1\n"), std::string("oci:") + s.dir.path() + ":v1", std::string()}) {
    INFO(odd);
    auto a = answer_of(hook.post("/mutate", pod_review({odd}).dump()));
    CHECK(a["allowed"] == false);
    CHECK_FALSE(a.contains("patch"));
  }
}

TEST_CASE("serve adversary: namespace exemption follows request.namespace, not the object's",
          "[e2e][serve]") {
  Direct s;
  Webhook hook(s.dir, s.dir / "policy.json", s.flags());
  json spoof = pod_review({s.reg.ref("app:v2")});
  spoof["request"]["object"]["metadata"]["namespace"] = "isign-system";
  CHECK(answer_of(hook.post("/validate", spoof.dump()))["allowed"] == false);
  json no_ns = pod_review({s.reg.ref("app:v2")}, "");
  CHECK(answer_of(hook.post("/validate", no_ns.dump()))["allowed"] == false);
  json exempt = pod_review({s.reg.ref("app:v2")}, "isign-system");
  CHECK(answer_of(hook.post("/validate", exempt.dump()))["allowed"] == true);
  // A kind the webhook does not know under a group it does not expect checks nothing; the Pod
  // kind under "apps" is not a Pod, but requestKind lying about it changes nothing either.
  json lying = pod_review({s.reg.ref("app:v2")});
  lying["request"]["requestKind"] = {{"group", "apps"}, {"version", "v1"}, {"kind", "Deployment"}};
  CHECK(answer_of(hook.post("/validate", lying.dump()))["allowed"] == false);
}

TEST_CASE("serve adversary: UPDATE is checked where images moved, not trusted by value",
          "[e2e][serve]") {
  Direct s;
  Webhook hook(s.dir, s.dir / "policy.json", s.flags());
  // The old object ran the unsigned image in containers[1]; the new one moves it to
  // containers[0]: a new container at that place, so checked.
  json u = pod_review({s.reg.ref("app:v2"), s.reg.ref("app:v1")});
  u["request"]["operation"] = "UPDATE";
  u["request"]["oldObject"] = u["request"]["object"];
  u["request"]["oldObject"]["spec"]["containers"] =
      json::array({{{"name", "c0"}, {"image", s.reg.ref("app:v1")}},
                   {{"name", "c1"}, {"image", s.reg.ref("app:v2")}}});
  auto r = answer_of(hook.post("/validate", u.dump()));
  CHECK(r["allowed"] == false);
  CHECK_THAT(r["status"]["message"].get<std::string>(), Catch::Contains("containers[0]"));
}

TEST_CASE("serve adversary: a key file changed alone, or a ConfigMap-style symlink swap, "
          "changes the verdicts",
          "[e2e][serve]") {
  Direct s;
  namespace fs = std::filesystem;
  // As the kubelet mounts a ConfigMap: policy.json -> ..data/policy.json, ..data -> a
  // timestamped directory, swapped by renaming a new symlink over ..data.
  const fs::path mount = s.dir / "mount";
  fs::create_directories(mount / "..v1");
  write_text(mount / "..v1" / "policy.json", policy_text(s.reg.url(), "key.pub"));
  fs::copy_file(s.key + ".pub", mount / "..v1" / "key.pub");
  fs::create_directory_symlink("..v1", mount / "..data");
  fs::create_symlink("..data/policy.json", mount / "policy.json");
  fs::create_symlink("..data/key.pub", mount / "key.pub");
  Webhook hook(s.dir, mount / "policy.json", s.flags({"--reload-interval", "0.1"}));
  const std::string review = pod_review({s.reg.ref("app@" + s.app)}).dump();
  REQUIRE(answer_of(hook.post("/validate", review))["allowed"] == true);

  // The same policy text, another key behind the same name.
  fs::create_directories(mount / "..v2");
  write_text(mount / "..v2" / "policy.json", policy_text(s.reg.url(), "key.pub"));
  fs::copy_file(s.other_key + ".pub", mount / "..v2" / "key.pub");
  fs::create_directory_symlink("..v2", mount / "..data_tmp");
  fs::rename(mount / "..data_tmp", mount / "..data");
  fs::remove_all(mount / "..v1");
  bool refused = false;
  for (int i = 0; i < 40 && !refused; ++i) {
    std::this_thread::sleep_for(milliseconds(100));
    refused = answer_of(hook.post("/validate", review))["allowed"] == false;
  }
  CHECK(refused);
  CHECK_THAT(hook.log(), Catch::Contains("\"what\":\"policy\""));
}

TEST_CASE("serve adversary: a certificate swapped for one that does not match its key is "
          "refused and the old pair kept",
          "[e2e][serve]") {
  Direct s;
  Webhook hook(s.dir, s.dir / "policy.json", s.flags({"--reload-interval", "0.1"}));
  make_serving_certificate(s.dir, "new-");
  // The new certificate with the old key.
  write_text(s.dir / "tls.crt", read_text(s.dir / "new-tls.crt"));
  std::this_thread::sleep_for(milliseconds(600));
  CHECK(hook.get("/healthz").status == 200); // still the old pair, trusted by the old CA
  CHECK_THAT(hook.log(), Catch::Contains("\"event\":\"reload refused\""));
  // Then the matching key: the new pair is served.
  write_text(s.dir / "tls.key", read_text(s.dir / "new-tls.key"));
  bool switched = false;
  for (int i = 0; i < 30 && !switched; ++i) {
    std::this_thread::sleep_for(milliseconds(100));
    switched =
        https_request(hook.url("/healthz"), s.dir / "new-ca.crt", nullptr, "", 2000).status == 200;
  }
  CHECK(switched);
}

TEST_CASE("serve adversary: hostile bodies are 4xx and never crash the server", "[e2e][serve]") {
  Direct s;
  Webhook hook(s.dir, s.dir / "policy.json", s.flags());
  const std::string deep = std::string(10000, '[') + std::string(10000, ']');
  CHECK(hook.post("/validate", deep).status == 400);
  const std::string deep_obj = [] {
    std::string x;
    for (int i = 0; i < 10000; ++i)
      x += "{\"a\":";
    x += "1";
    x += std::string(10000, '}');
    return x;
  }();
  CHECK(hook.post("/validate", deep_obj).status == 400);
  std::string bad_utf8 = pod_review({s.reg.ref("app:v1")}).dump();
  bad_utf8.replace(bad_utf8.find("\"p\""), 3, "\"\xff\xfe\"");
  CHECK(hook.post("/validate", bad_utf8).status == 400);
  // At the limit: read (and refused as JSON); one byte over: 413.
  CHECK(hook.post("/validate", std::string(4u << 20, ' ')).status == 400);
  CHECK(hook.post("/validate", std::string((4u << 20) + 1, ' ')).status == 413);
  // Containers where a list, an object or a string is expected.
  for (const char* spec : {R"({"containers": {"0": {"image": "x"}}})", R"({"containers": "x"})",
                           R"({"containers": [{"image": ["x"]}]})",
                           R"({"containers": [{"image": 1}]})", R"({"containers": [null]})"}) {
    INFO(spec);
    json r = pod_review({});
    r["request"]["object"]["spec"] = json::parse(spec);
    CHECK(hook.post("/validate", r.dump()).status == 400);
  }
  CHECK(hook.get("/healthz").status == 200);
}

TEST_CASE("serve adversary: hundreds of idle connections do not stop reviews", "[e2e][serve]") {
  Direct s;
  Webhook hook(s.dir, s.dir / "policy.json", s.flags({"--client-timeout", "5"}));
  std::vector<int> fds;
  for (int i = 0; i < 300; ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(hook.port());
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0)
      fds.push_back(fd);
    else
      ::close(fd);
  }
  CHECK(fds.size() == 300);
  // Plain HTTP to the TLS port on some of them.
  for (std::size_t i = 0; i < 20; ++i) {
    const char* req = "POST /validate HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}";
    (void)::send(fds[i], req, std::strlen(req), MSG_NOSIGNAL);
  }
  const auto start = steady_clock::now();
  auto r = answer_of(hook.post("/validate", pod_review({s.reg.ref("app:v1")}).dump()));
  CHECK(r["allowed"] == true);
  CHECK(seconds_since(start) < 3.0);
  for (int fd : fds)
    ::close(fd);
  CHECK(hook.get("/healthz").status == 200);
}

TEST_CASE("serve adversary: an image volume is verified and pinned like a container's image",
          "[e2e][serve]") {
  Direct s;
  Webhook hook(s.dir, s.dir / "policy.json", s.flags());
  // A signed container that mounts an unsigned image (ImageVolume) and can run what it holds.
  json r = pod_review({s.reg.ref("app@" + s.app)});
  r["request"]["object"]["spec"]["volumes"] =
      json::array({{{"name", "tools"},
                    {"image", {{"reference", s.reg.ref("app:v2")}, {"pullPolicy", "Always"}}}}});
  auto refused = answer_of(hook.post("/validate", r.dump()));
  CHECK(refused["allowed"] == false);
  CHECK_THAT(refused["status"]["message"].get<std::string>(), Catch::Contains("volumes[0]"));
  // A signed one by tag: admitted, and pinned where the kubelet reads it.
  r["request"]["object"]["spec"]["volumes"][0]["image"]["reference"] = s.reg.ref("app:v1");
  auto ok = answer_of(hook.post("/mutate", r.dump()));
  REQUIRE(ok["allowed"] == true);
  auto patch = json::parse(*isign::common::base64_decode(ok["patch"].get<std::string>()));
  REQUIRE(patch.size() == 1);
  CHECK(patch[0]["path"] == "/spec/volumes/0/image/reference");
  CHECK(patch[0]["value"] == s.reg.ref("app:v1@" + s.app));
}

TEST_CASE("serve adversary: a review naming tens of thousands of images does not stall the I/O "
          "threads",
          "[e2e][serve]") {
  TempDir dir;
  make_serving_certificate(dir);
  RefusingPort down;
  write_text(dir / "policy.json", R"({"version": 1, "default": {"type": "reject"}})");
  Webhook hook(dir, dir / "policy.json", {"--review-deadline", "3"});
  // Anyone who reaches the webhook's port can send this; the API server's own limit on an
  // object (about 1.5 MiB) is no protection, the body limit (4 MiB) is the only one.
  std::vector<std::string> images;
  // Of one length: telling them apart costs a full comparison.
  for (int i = 0; i < 40000; ++i)
    images.push_back(down.address() + "/a" + std::to_string(100000 + i) + ":v1");
  const std::string create = pod_review(images).dump();
  REQUIRE(create.size() < (4u << 20));
  // An UPDATE with as many on both sides: each image is compared with the old one at its place.
  images.resize(28000);
  json u = pod_review(images);
  u["request"]["operation"] = "UPDATE";
  u["request"]["oldObject"] = u["request"]["object"];
  const std::string update = u.dump();
  REQUIRE(update.size() < (4u << 20));
  std::vector<HttpsResult> answers(2);
  std::vector<std::thread> senders;
  std::vector<double> took(2);
  const auto sent = steady_clock::now();
  senders.emplace_back([&] {
    answers[0] = hook.post("/validate", create);
    took[0] = seconds_since(sent);
  });
  senders.emplace_back([&] {
    answers[1] = hook.post("/validate", update);
    took[1] = seconds_since(sent);
  });
  std::this_thread::sleep_for(milliseconds(500));
  const auto start = steady_clock::now();
  CHECK(hook.get("/healthz").status == 200);
  CHECK(seconds_since(start) < 1.0);
  for (auto& t : senders)
    t.join();
  // Within the deadline and a little: the work per image is not multiplied by their number.
  CHECK(took[0] < 6.0);
  CHECK(took[1] < 6.0);
  CHECK(answer_of(answers[0])["allowed"] == false);
  CHECK(answer_of(answers[1])["allowed"] == true); // nothing new runs
}

TEST_CASE("serve adversary: a registry host in upper case does not escape its scope",
          "[e2e][serve]") {
  // containers-policy.json's common shape: accept by default, require signatures for one
  // registry. A node pulls "LOCALHOST:PORT/app" from localhost:PORT (DNS ignores case).
  TempDir dir;
  RegistryFixture reg;
  const std::string key = new_key_pair(dir, "a");
  push_random_image(reg, "app", "v2");
  make_serving_certificate(dir);
  const std::string host = "localhost:" + reg.url().substr(reg.url().rfind(':') + 1);
  write_text(dir / "policy.json", json{{"version", 1},
                                       {"default", {{"type", "insecureAcceptAnything"}}},
                                       {"scopes", {{host, {{"keys", {key + ".pub"}}}}}}}
                                      .dump());
  Webhook hook(dir, dir / "policy.json", {"--allow-http-registry", "--review-deadline", "4"});
  CHECK(answer_of(hook.post("/validate", pod_review({host + "/app:v2"}).dump()))["allowed"] ==
        false);
  for (const char* spelled : {"LOCALHOST:", "LocalHost:"}) {
    INFO(spelled);
    const std::string image = std::string(spelled) + host.substr(host.find(':') + 1) + "/app:v2";
    CHECK(answer_of(hook.post("/validate", pod_review({image}).dump()))["allowed"] == false);
  }
}

TEST_CASE("serve adversary: pipelined requests are answered in order, framing tricks and huge "
          "headers are refused",
          "[e2e][serve]") {
  Direct s;
  Webhook hook(s.dir, s.dir / "policy.json", s.flags());
  // openssl s_client as a raw TLS client: what is written is sent as is, back to back.
  auto exchange = [&](const std::string& raw) {
    RunOptions o;
    o.stdin_data = raw;
    o.timeout_seconds = 20;
    return run({"openssl", "s_client", "-connect", "127.0.0.1:" + std::to_string(hook.port()),
                "-quiet", "-ign_eof", "-CAfile", s.dir / "ca.crt"},
               o)
        .out;
  };
  auto post = [](const std::string& body, bool close) {
    return "POST /validate HTTP/1.1\r\nHost: isign\r\nContent-Type: application/json\r\n"
           "Content-Length: " +
           std::to_string(body.size()) + (close ? "\r\nConnection: close" : "") + "\r\n\r\n" + body;
  };
  const std::string out = exchange(post(pod_review({s.reg.ref("app:v1")}).dump(), false) +
                                   post(pod_review({s.reg.ref("app:v2")}).dump(), true));
  INFO(out);
  const auto allowed = out.find("\"allowed\":true"), refused = out.find("\"allowed\":false");
  REQUIRE(allowed != std::string::npos);
  REQUIRE(refused != std::string::npos);
  CHECK(allowed < refused);
  // Content-Length and chunked at once: refused, never read one way here and another way by a
  // proxy in front.
  const std::string both = exchange("POST /validate HTTP/1.1\r\nHost: isign\r\nContent-Type: "
                                    "application/json\r\nContent-Length: 5\r\nTransfer-Encoding: "
                                    "chunked\r\nConnection: close\r\n\r\n0\r\n\r\n");
  CHECK(both.rfind("HTTP/1.1 400", 0) == 0);
  const std::string big =
      exchange("GET /healthz HTTP/1.1\r\nHost: isign\r\nX-Big: " + std::string(20000, 'a') +
               "\r\nConnection: close\r\n\r\n");
  CHECK(big.rfind("HTTP/1.1 431", 0) == 0);
  CHECK(hook.get("/healthz").status == 200);
}

TEST_CASE("serve adversary: a revoked signature is noticed within the cache's ttl, with no "
          "negative ttl a new signature is noticed at once",
          "[e2e][serve]") {
  Direct s;
  Webhook hook(s.dir, s.dir / "policy.json",
               s.flags({"--cache-ttl", "2", "--negative-cache-ttl", "0"}));
  const std::string review = pod_review({s.reg.ref("app@" + s.app)}).dump();
  REQUIRE(answer_of(hook.post("/validate", review))["allowed"] == true);
  const auto revoked = isign_cmd("revoke", with(s.reg.client_flags(), {"--key", s.key + ".pub"}),
                                 {s.reg.ref("app@" + s.app)});
  INFO(revoked.err);
  REQUIRE(revoked.exit_code == 0);
  const auto start = steady_clock::now();
  bool refused = false;
  while (!refused && seconds_since(start) < 5)
    refused = answer_of(hook.post("/validate", review))["allowed"] == false;
  CHECK(refused);
  CHECK(seconds_since(start) < 3.0); // the ttl, and a refresh's time
  REQUIRE(sign_image(s.reg, s.key, {s.reg.ref("app@" + s.app)}).exit_code == 0);
  CHECK(answer_of(hook.post("/validate", review))["allowed"] == true);
}

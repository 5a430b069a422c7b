// Hostile registries (issue 11): what an adversary's run found, each as a regression test against
// the real registry, with the fault proxy in front where the fault needs one, or a scripted
// registry where no real one would give such an answer. A signature is never lost, sign never
// exits 0 after losing one, policies are not bypassed, nothing crashes or hangs, and each failure
// has its documented exit code (README, "Exit codes" and "Reliability").
#include <catch2/catch.hpp>

#include <filesystem>
#include <future>
#include <map>
#include <thread>

#include "tests/e2e/sign_verify_support.h"
#include "tests/support/fault_proxy.h"
#include "tests/support/http_server.h"

using namespace isign::testing;
namespace ec = isign::testing::exit_codes;

namespace {

constexpr int kLimit = 11;
const std::vector<std::string> kHttp = {"--allow-http-registry"};

ServerReply reply(int status, HeaderList headers, std::string body) {
  ServerReply r;
  r.status = status;
  r.headers = std::move(headers);
  r.body = std::move(body);
  return r;
}

// A registry that answers from a script: exact paths to replies, 404 otherwise, /v2/ 200.
struct ScriptedRegistry {
  std::mutex mu;
  std::map<std::string, ServerReply> replies; // "METHOD /path" -> reply
  std::vector<std::string> seen;
  HttpServer server{[this](const ServerRequest& r) { return handle(r); }};

  void on(const std::string& method, const std::string& path, ServerReply reply) {
    std::lock_guard lock(mu);
    replies[method + " " + path] = std::move(reply);
  }
  ServerReply handle(const ServerRequest& r) {
    std::lock_guard lock(mu);
    seen.push_back(r.method + " " + r.target);
    if (auto it = replies.find(r.method + " " + r.path); it != replies.end())
      return it->second;
    if (r.path == "/v2/")
      return reply(200, {}, "{}");
    return reply(404, {{"Content-Type", "application/json"}},
                 R"({"errors":[{"code":"MANIFEST_UNKNOWN","message":"unknown"}]})");
  }
  std::string ref(const std::string& rest) const { return server.address() + "/" + rest; }
};

ServerReply manifest_reply(const std::string& body, const std::string& content_type,
                           const std::string& digest_header = "") {
  ServerReply r = reply(200, {{"Content-Type", content_type}}, body);
  if (!digest_header.empty())
    r.headers.emplace_back("Docker-Content-Digest", digest_header);
  return r;
}

// Removes repo's link to a blob in the registry's storage: the registry then answers 404 for it
// (a damaged repository, or a garbage collection that went too far).
void unlink_blob(const RegistryFixture& reg, const std::string& repo, const std::string& digest) {
  auto link = std::filesystem::path(reg.dir()) / "storage/docker/registry/v2/repositories" / repo /
              "_layers/sha256" / digest.substr(7) / "link";
  REQUIRE(std::filesystem::remove(link));
  REQUIRE(get_blob(reg, repo, digest).status == 404);
}

RunResult sign_via(const std::string& registry_flags_ref, const std::string& key,
                   const std::vector<std::string>& extra = {}) {
  RunOptions o;
  o.env = {{"COSIGN_PASSWORD", kKeyPassword}};
  // The .sig's read-modify-write under hostile answers (the referrers index shares the loop).
  return isign_cmd("sign", with(with(kHttp, {"--format", "legacy", "--key", key + ".key"}), extra),
                   {registry_flags_ref}, o);
}

RunResult verify_via(const std::string& ref, const std::string& key,
                     const std::vector<std::string>& extra = {}) {
  return isign_cmd("verify", with(with(kHttp, key_flags({key})), extra), {ref});
}

// Error lines printed (sign also prints progress lines).
std::size_t error_lines(const std::string& s) {
  return count_of(s, "isign: error:");
}

// An image signed once with key "k", a second key pair that has not signed, and a fault proxy in
// front of the registry.
struct SignedScene : SignScene {
  std::string second = new_key_pair(dir, "second");
  FaultProxy proxy{reg};
  SignedScene() { REQUIRE(sign_image(reg, key, {ref}).exit_code == ec::kOk); }
  // The image through the proxy.
  std::string proxied() const { return proxy.ref("app@" + digest); }
  // The .sig manifest's path, for fault rules.
  std::string sig_path() const { return "/manifests/" + sig_tag_of(digest); }
};

} // namespace

// --- data loss ---------------------------------------------------------------------------------

TEST_CASE("hostile: one transient 404 on an existing .sig never replaces it", "[e2e][hostile]") {
  SignedScene scene;
  auto& [reg, dir, key, digest, ref] = static_cast<SignScene&>(scene);
  const std::string& second = scene.second;
  auto& proxy = scene.proxy;
  proxy.inject({"GET", scene.sig_path(), Fault::http_status(404), 1});
  auto r = sign_via(scene.proxied(), second);
  CHECK(r.exit_code == ec::kOk);
  auto a = fetch_artifact(reg, "app", digest);
  REQUIRE(a.signatures.size() == 2); // the first signature is still there
  CHECK(verify_with_key(reg, key, {ref}).exit_code == ec::kOk);
  // Signed through the proxy, the payload names the proxy's address.
  CHECK(verify_via(scene.proxied(), second).exit_code == ec::kOk);
}

TEST_CASE("hostile: a .sig the tag list has but GET keeps answering 404 for is not replaced",
          "[e2e][hostile]") {
  SignedScene scene;
  auto& [reg, dir, key, digest, ref] = static_cast<SignScene&>(scene);
  const std::string& second = scene.second;
  const std::string before = get_manifest(reg, "app", sig_tag_of(digest)).body;
  auto& proxy = scene.proxy;
  proxy.inject({"GET", scene.sig_path(), Fault::http_status(404), -1});
  auto r = sign_via(scene.proxied(), second);
  CHECK(r.exit_code == ec::kRegistryError);
  CHECK(contains(r.err, "lists"));
  CHECK(error_lines(r.err) == 1);
  CHECK(get_manifest(reg, "app", sig_tag_of(digest)).body == before);
}

TEST_CASE("hostile: a first signature says it created the artifact", "[e2e][hostile]") {
  SignScene scene;
  auto& [reg, dir, key, digest, ref] = scene;
  auto r = sign_image(reg, key, {ref});
  CHECK(r.exit_code == ec::kOk);
  CHECK(contains(r.err, "created"));
  CHECK(contains(r.err, sig_tag_of(digest)));
}

TEST_CASE("hostile: a PUT that timed out and lands later does not erase other signers' layers",
          "[e2e][hostile]") {
  SignScene scene;
  auto& [reg, dir, key, digest, ref] = scene;
  std::string a_key = new_key_pair(dir, "a");
  std::vector<std::string> others = {new_key_pair(dir, "b"), new_key_pair(dir, "c"),
                                     new_key_pair(dir, "d")};
  REQUIRE(sign_image(reg, key, {ref}).exit_code == ec::kOk);
  FaultProxy proxy(reg);
  // Signer A's first manifest PUT reaches the registry 3 s late, long after A gave up on it
  // (--timeout 1) and wrote again; three other signers write in between, straight to the
  // registry, 0.3 s apart.
  proxy.inject(
      {"PUT", "/manifests/" + sig_tag_of(digest), Fault::hold(std::chrono::seconds(3)), 1});
  auto a = std::async(std::launch::async, [&] {
    return sign_via(proxy.ref("app@" + digest), a_key, {"--timeout", "1"});
  });
  std::vector<std::future<RunResult>> writers;
  for (std::size_t i = 0; i < others.size(); ++i) {
    writers.push_back(std::async(std::launch::async, [&, i] {
      std::this_thread::sleep_for(std::chrono::milliseconds(1600 + 300 * static_cast<int>(i)));
      return sign_image(reg, others[i], {ref});
    }));
  }
  for (auto& w : writers)
    CHECK(w.get().exit_code == ec::kOk);
  CHECK(a.get().exit_code == ec::kOk);
  // The held PUT has landed by now (3 s): every signature must still be there.
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  CHECK(verify_with_key(reg, key, {ref}).exit_code == ec::kOk);
  for (const auto& k : others) {
    INFO("key " << k);
    CHECK(verify_with_key(reg, k, {ref}).exit_code == ec::kOk);
  }
  CHECK(verify_via(proxy.ref("app@" + digest), a_key).exit_code == ec::kOk);
}

TEST_CASE("hostile: a PUT acknowledged but answered 404 on read-back stops at once",
          "[e2e][hostile]") {
  SignedScene scene;
  auto& proxy = scene.proxy;
  // A cache that answers 404 for the .sig whatever the registry holds, and hides it from the list.
  proxy.inject({"GET", scene.sig_path(), Fault::http_status(404), -1});
  proxy.inject({"GET", "/tags/list", Fault::replace_body(R"({"name":"app","tags":[]})"), -1});
  auto r = sign_via(scene.proxied(), scene.second);
  CHECK(r.exit_code == ec::kRegistryError);
  CHECK(contains(r.err, "cannot be trusted"));
  CHECK(proxy.count("PUT", "/manifests/") == 1);
}

TEST_CASE("hostile: a PUT stored but answered 500 is reported as what happened", "[e2e][hostile]") {
  SignScene scene;
  auto& [reg, dir, key, digest, ref] = scene;
  FaultProxy proxy(reg);
  proxy.inject({"PUT", "/manifests/" + sig_tag_of(digest), Fault::stored_then_status(500), 1});
  auto r = sign_via(proxy.ref("app@" + digest), key);
  CHECK(r.exit_code == ec::kOk);
  CHECK_FALSE(contains(r.err, "already has this signature"));
  CHECK(contains(r.err, "but had stored it"));
  CHECK(fetch_artifact(reg, "app", digest).signatures.size() == 1);
}

TEST_CASE("hostile: a registry that answers 201 without storing is named, not other signers",
          "[e2e][hostile]") {
  SignedScene scene;
  auto& proxy = scene.proxy;
  proxy.inject({"PUT", scene.sig_path(), Fault::http_status(201), -1});
  auto r = sign_via(scene.proxied(), scene.second);
  CHECK(r.exit_code == ec::kRegistryError);
  CHECK(contains(r.err, "does not store"));
  CHECK_FALSE(contains(r.err, "other signers"));
}

TEST_CASE("hostile: a layer verify would reject does not count as already signed",
          "[e2e][hostile]") {
  SignScene scene;
  auto& [reg, dir, key, digest, ref] = scene;
  SECTION("the payload blob is missing: sign uploads it again") {
    REQUIRE(sign_image(reg, key, {ref}).exit_code == ec::kOk);
    auto a = fetch_artifact(reg, "app", digest);
    unlink_blob(reg, "app", isign::common::sha256_digest(a.payloads.at(0)));
    REQUIRE(verify_with_key(reg, key, {ref}).exit_code != ec::kOk);
    auto r = sign_image(reg, key, {ref});
    CHECK(r.exit_code == ec::kOk);
    CHECK(contains(r.err, "uploaded it again"));
    CHECK(verify_with_key(reg, key, {ref}).exit_code == ec::kOk);
  }
  SECTION("the layer's size is wrong: sign adds a good layer") {
    const std::string payload = cosign_payload(reg.url() + "/app", digest);
    std::string layer = cosign_layer(payload, sign_bytes(key, payload));
    layer.replace(layer.find("\"size\":" + std::to_string(payload.size())),
                  7 + std::to_string(payload.size()).size(),
                  "\"size\":" + std::to_string(payload.size() + 1));
    const std::string config = cosign_config({isign::common::sha256_digest(payload)});
    push_blob(reg, "app", payload);
    push_blob(reg, "app", config);
    push_manifest(reg, "app", sig_tag_of(digest), cosign_manifest(config, {layer}),
                  "application/vnd.oci.image.manifest.v1+json");
    REQUIRE(verify_with_key(reg, key, {ref}).exit_code == ec::kInvalid);
    auto r = sign_image(reg, key, {ref});
    CHECK(r.exit_code == ec::kOk);
    CHECK_FALSE(contains(r.err, "already has this signature"));
    CHECK(verify_with_key(reg, key, {ref}).exit_code == ec::kOk);
  }
}

// --- security ----------------------------------------------------------------------------------

TEST_CASE("hostile: a tag scope of a policy does not admit repo:tag@digest", "[e2e][hostile]") {
  SignScene scene;
  auto& [reg, dir, key, digest, ref] = scene;
  // Nothing is signed. The tag "legacy" is exempt; everything else needs the key.
  const std::string policy = dir / "policy.json";
  write_text(policy, R"({"version":1,"default":{"keys":[")" + key + R"(.pub"]},"scopes":{")" +
                         reg.url() + R"(/app:legacy":{"type":"insecureAcceptAnything"}}})");
  auto r = verify_image(with(reg.client_flags(), {"--policy", policy}),
                        {reg.ref("app:legacy@" + digest)});
  CHECK(r.exit_code == ec::kNoSignature);
}

TEST_CASE("hostile: a signed payload with a NUL byte and more after it is refused",
          "[e2e][hostile]") {
  SignScene scene;
  auto& [reg, dir, key, digest, ref] = scene;
  const std::string payload =
      cosign_payload(reg.url() + "/app", digest) + std::string(1, '\0') + "anything";
  const std::string config = cosign_config({isign::common::sha256_digest(payload)});
  push_blob(reg, "app", payload);
  push_blob(reg, "app", config);
  push_manifest(reg, "app", sig_tag_of(digest),
                cosign_manifest(config, {cosign_layer(payload, sign_bytes(key, payload))}),
                "application/vnd.oci.image.manifest.v1+json");
  auto r = verify_with_key(reg, key, {ref});
  CHECK(r.exit_code == ec::kInvalid);
  CHECK(contains(r.err, "NUL"));
  CHECK(r.out.empty());
}

TEST_CASE("hostile: an index served with an image manifest's Content-Type is refused",
          "[e2e][hostile]") {
  RegistryFixture reg;
  TempDir dir;
  std::string key = new_key_pair(dir, "k");
  std::string child = push_random_image(reg, "app", "c1");
  std::string index = push_index(reg, "app", "v1", {{child, {}}});
  // Only the index is signed: --recursive must not pass with an unsigned child.
  REQUIRE(sign_image(reg, key, {reg.ref("app@" + index)}).exit_code == ec::kOk);
  FaultProxy proxy(reg);
  proxy.inject({"GET", "/manifests/" + index,
                Fault::set_header("Content-Type", "application/vnd.oci.image.manifest.v1+json"),
                -1});
  for (const char* flag : {"--recursive", "--platform=linux/amd64"}) {
    INFO(flag);
    auto r = verify_via(proxy.ref("app@" + index), key, {flag});
    CHECK(r.exit_code == ec::kRegistryError);
    CHECK(contains(r.err, "index"));
  }
  auto s = sign_via(proxy.ref("app@" + index), key, {"--recursive"});
  CHECK(s.exit_code == ec::kRegistryError);
}

TEST_CASE("hostile: a tag answered 200 text/html is neither signed nor verified",
          "[e2e][hostile]") {
  ScriptedRegistry fake;
  TempDir dir;
  std::string key = new_key_pair(dir, "k");
  fake.on("HEAD", "/v2/app/manifests/v1", manifest_reply("", "text/html"));
  fake.on("GET", "/v2/app/manifests/v1", manifest_reply("<html>login</html>", "text/html"));
  auto s = sign_via(fake.ref("app:v1"), key);
  CHECK(s.exit_code == ec::kRegistryError);
  CHECK(contains(s.err, "text/html"));
  auto v = verify_via(fake.ref("app:v1"), key);
  CHECK(v.exit_code == ec::kRegistryError);
}

TEST_CASE("hostile: a .sig answered 200 text/html is a registry error, not a forgery",
          "[e2e][hostile]") {
  ScriptedRegistry fake;
  TempDir dir;
  std::string key = new_key_pair(dir, "k");
  const std::string image = R"({"schemaVersion":2,"mediaType":")" +
                            std::string("application/vnd.oci.image.manifest.v1+json") +
                            R"(","config":{},"layers":[]})";
  const std::string digest = isign::common::sha256_digest(image);
  fake.on("HEAD", "/v2/app/manifests/" + digest,
          manifest_reply("", "application/vnd.oci.image.manifest.v1+json", digest));
  fake.on("GET", "/v2/app/manifests/" + sig_tag_of(digest),
          manifest_reply("<html>maintenance</html>", "text/html"));
  auto v = verify_via(fake.ref("app@" + digest), key);
  CHECK(v.exit_code == ec::kRegistryError);
  CHECK(error_lines(v.err) == 1);
}

TEST_CASE("hostile: registry error text never shows the credentials sent", "[e2e][hostile]") {
  ScriptedRegistry fake;
  TempDir dir;
  std::string key = new_key_pair(dir, "k");
  const std::string user = "ci-bot", password = "Pa55-w0rd-secret";
  const std::string basic = isign::common::base64_encode(user + ":" + password);
  // 401 with a Basic challenge without credentials; with them, an error that echoes them.
  fake.server.stop();
  HttpServer echo([&](const ServerRequest& r) {
    if (r.header("authorization").empty())
      return reply(401, {{"WWW-Authenticate", R"(Basic realm="r")"}}, "");
    return reply(403, {{"Content-Type", "application/json"}},
                 R"({"errors":[{"code":"DENIED","message":"denied for )" +
                     r.header("authorization") + " (" + password + ")\"}]}");
  });
  for (const char* command : {"verify", "inspect", "sign"}) {
    INFO(command);
    RunOptions o;
    o.env = {{"COSIGN_PASSWORD", kKeyPassword}};
    std::vector<std::string> flags =
        with(kHttp, {"--registry-username", user, "--registry-password", password});
    if (std::string(command) == "verify")
      flags = with(flags, key_flags({key}));
    if (std::string(command) == "sign")
      flags = with(flags, {"--key", key + ".key"});
    auto r = isign_cmd(command, flags, {echo.address() + "/app:v1"}, o);
    CHECK(r.exit_code == ec::kRegistryError);
    if (std::string(command) == "inspect") // a GET: its error body is read (HEAD has none)
      CHECK(contains(r.err, "denied for Basic ***"));
    CHECK_FALSE(contains(all_output(r), basic));
    CHECK_FALSE(contains(all_output(r), password));
  }
}

// --- crashes -----------------------------------------------------------------------------------

TEST_CASE("hostile: sign does not abort on a .sig layer with a non-string mediaType or digest",
          "[e2e][hostile]") {
  ScriptedRegistry fake;
  TempDir dir;
  std::string key = new_key_pair(dir, "k");
  const std::string image = R"({"schemaVersion":2,"config":{},"layers":[]})";
  const std::string digest = isign::common::sha256_digest(image);
  fake.on("HEAD", "/v2/app/manifests/" + digest,
          manifest_reply("", "application/vnd.oci.image.manifest.v1+json", digest));
  for (const char* layer : {R"({"mediaType":5,"digest":"sha256:00","size":1})",
                            R"({"mediaType":"application/vnd.dev.cosign.simplesigning.v1+json",)"
                            R"("digest":["x"],"size":1})"}) {
    INFO(layer);
    const std::string sig = R"({"schemaVersion":2,"mediaType":")" +
                            std::string("application/vnd.oci.image.manifest.v1+json") +
                            R"(","config":{"digest":"sha256:)" + std::string(64, '0') +
                            R"(","size":1},"layers":[)" + layer + "]}";
    fake.on("GET", "/v2/app/manifests/" + sig_tag_of(digest),
            manifest_reply(sig, "application/vnd.oci.image.manifest.v1+json"));
    auto r = sign_via(fake.ref("app@" + digest), key);
    CHECK(r.exit_code == ec::kRegistryError);
    CHECK(error_lines(r.err) == 1);
  }
}

// --- hangs and bounds --------------------------------------------------------------------------

TEST_CASE("hostile: ten stalled payload blobs do not multiply into minutes", "[e2e][hostile]") {
  SignScene scene;
  auto& [reg, dir, key, digest, ref] = scene;
  std::vector<std::string> layers, diff_ids;
  for (int i = 0; i < 10; ++i) {
    const std::string payload =
        cosign_payload(reg.url() + "/app", digest, R"({"n":")" + std::to_string(i) + R"("})");
    push_blob(reg, "app", payload);
    layers.push_back(cosign_layer(payload, sign_bytes(key, payload)));
    diff_ids.push_back(isign::common::sha256_digest(payload));
  }
  const std::string config = cosign_config(diff_ids);
  push_blob(reg, "app", config);
  push_manifest(reg, "app", sig_tag_of(digest), cosign_manifest(config, layers),
                "application/vnd.oci.image.manifest.v1+json");
  FaultProxy proxy(reg);
  proxy.inject({"GET", "/blobs/", Fault::stall(std::chrono::seconds(30)), -1});
  Timer timer;
  auto r = verify_via(proxy.ref("app@" + digest), key, {"--timeout", "1"});
  CHECK(r.exit_code == ec::kNetwork);
  CHECK(timer.seconds() < 15);
  CHECK(proxy.count("GET", "/blobs/") <= 4);
}

TEST_CASE("hostile: --deadline bounds a whole run however many requests stall", "[e2e][hostile]") {
  SignScene scene;
  auto& [reg, dir, key, digest, ref] = scene;
  REQUIRE(sign_image(reg, key, {ref}).exit_code == ec::kOk);
  FaultProxy proxy(reg);
  proxy.inject({"", "/v2/app/", Fault::stall(std::chrono::seconds(30)), -1});
  Timer timer;
  auto r = verify_via(proxy.ref("app@" + digest), key, {"--timeout", "5", "--deadline", "2"});
  CHECK(r.exit_code == ec::kNetwork);
  CHECK(timer.seconds() < 4);
  CHECK(error_lines(r.err) == 1);
  auto bad = verify_via(proxy.ref("app@" + digest), key, {"--deadline", "-1"});
  CHECK(bad.exit_code == ec::kUsage);
  CHECK(contains(bad.err, "--deadline"));
}

TEST_CASE("hostile: an index with more entries than the limit is refused at once",
          "[e2e][hostile]") {
  RegistryFixture reg;
  TempDir dir;
  std::string key = new_key_pair(dir, "k");
  std::string child = push_random_image(reg, "app", "c1");
  std::vector<IndexChild> children(1001, IndexChild{child, {}});
  std::string index = push_index(reg, "app", "v1", children);
  FaultProxy proxy(reg);
  auto r = verify_via(proxy.ref("app@" + index), key, {"--recursive"});
  CHECK(r.exit_code == kLimit);
  CHECK(r.err.size() < 1000);
  CHECK(proxy.request_count() < 10);
  auto s = sign_via(proxy.ref("app@" + index), key, {"--recursive"});
  CHECK(s.exit_code == kLimit);
}

TEST_CASE("hostile: list-tags stops following empty pages", "[e2e][hostile]") {
  std::atomic<int> pages{0};
  HttpServer fake([&](const ServerRequest& r) {
    if (r.path == "/v2/")
      return reply(200, {}, "{}");
    int n = ++pages;
    return reply(
        200,
        {{"Content-Type", "application/json"},
         {"Link", "</v2/app/tags/list?n=10&last=p" + std::to_string(n) + ">; rel=\"next\""}},
        R"({"name":"app","tags":[]})");
  });
  Timer timer;
  auto r = isign_cmd("list-tags", kHttp, {fake.address() + "/app"});
  CHECK(r.exit_code == ec::kRegistryError);
  CHECK(pages.load() <= 5);
  CHECK(timer.seconds() < 10);
}

// --- exit classes ------------------------------------------------------------------------------

TEST_CASE("hostile: an existing .sig whose config blob is missing is a registry error (7)",
          "[e2e][hostile]") {
  SignedScene scene;
  auto& [reg, dir, key, digest, ref] = static_cast<SignScene&>(scene);
  const std::string& second = scene.second;
  auto doc = sig_manifest_of(reg, "app", digest);
  unlink_blob(reg, "app", doc["config"]["digest"].get<std::string>());
  auto r = sign_image(reg, second, {ref});
  CHECK(r.exit_code == ec::kRegistryError);
  CHECK(contains(r.err, "config blob"));
}

TEST_CASE("hostile: sign refuses a payload larger than verify fetches by default",
          "[e2e][hostile]") {
  SignScene scene;
  auto& [reg, dir, key, digest, ref] = scene;
  std::vector<std::string> args;
  for (int i = 0; i < 10; ++i) { // one argument may hold at most 128 KiB
    args.push_back("-a");
    args.push_back("k" + std::to_string(i) + "=" + std::string(110 * 1024, 'x'));
  }
  auto r = sign_image(reg, key, with(args, {ref}));
  CHECK(r.exit_code == kLimit);
  CHECK(contains(r.err, "max-payload-size"));
  CHECK(get_manifest(reg, "app", sig_tag_of(digest)).status == 404);
}

TEST_CASE("hostile: --timeout and --deadline take plain numbers only", "[e2e][hostile]") {
  for (const char* flag : {"--timeout", "--deadline"}) {
    for (const char* value : {"5x", " 5", "10m", "1,5", "0s", "0x10", "inf", "nan", ""}) {
      INFO(flag << " '" << value << "'");
      auto r = isign_cmd("inspect", with(kHttp, {flag, value}), {"127.0.0.1:1/app:v1"});
      CHECK(r.exit_code == ec::kUsage);
      CHECK(contains(r.err, flag));
      CHECK(error_lines(r.err) == 1);
    }
  }
}

TEST_CASE("hostile: a redirect loop is a registry error (7), not a network one", "[e2e][hostile]") {
  SignedScene scene;
  auto& [reg, dir, key, digest, ref] = static_cast<SignScene&>(scene);
  auto& proxy = scene.proxy;
  proxy.inject({"GET", "/blobs/sha256:", Fault::redirect("http://" + proxy.url()), -1});
  auto r = verify_via(scene.proxied(), key);
  CHECK(r.exit_code == ec::kRegistryError);
  CHECK(contains(r.err, "redirect"));
  CHECK(error_lines(r.err) == 1);
}

TEST_CASE("hostile: a write that replaces a batch's signature after its read-back is repaired "
          "when the batch is done",
          "[e2e][hostile][concurrency]") {
  SignScene scene;
  auto& [reg, dir, key, digest, ref] = scene;
  const std::string other = new_key_pair(dir, "other");
  REQUIRE(sign_image(reg, other, {ref}).exit_code == ec::kOk);
  const std::string others_only = get_manifest(reg, "app", sig_tag_of(digest)).body;
  const std::string second = push_random_image(reg, "app", "v2");
  FaultProxy proxy(reg);
  // The second image's .sig answers 4 s late, so the batch is still running when, 2.5 s in, a
  // concurrent signer's stale write (the .sig as it was before: `other` only) lands on the first.
  proxy.inject(
      {"GET", "/manifests/" + sig_tag_of(second), Fault::hold(std::chrono::seconds(4)), 1});
  RunOptions o;
  o.env = {{"COSIGN_PASSWORD", kKeyPassword}, {"ISIGN_SIGNATURE_FORMAT", "legacy"}};
  auto run = std::async(std::launch::async, [&] {
    return isign_cmd("sign", {"--allow-http-registry", "--key", key + ".key"},
                     {proxy.ref("app@" + digest), proxy.ref("app@" + second)}, o);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  push_manifest(reg, "app", sig_tag_of(digest), others_only, kOciManifestType);
  auto r = run.get();
  INFO(r.err);
  CHECK(r.exit_code == ec::kOk);
  CHECK(contains(r.err, "a concurrent signer had replaced the legacy signature"));
  CHECK(fetch_artifact(reg, "app", digest).signatures.size() == 2);
  CHECK(verify_via(proxy.ref("app@" + digest), key).exit_code == ec::kOk);
  CHECK(verify_with_key(reg, other, {ref}).exit_code == ec::kOk);
}

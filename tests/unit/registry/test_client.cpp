// The distribution client against a scripted transport: exact request sequences, auth, retries,
// digest checks and error messages.
#include <catch2/catch.hpp>

#include <deque>

#include "common/digest.h"
#include "common/encoding.h"
#include "registry/client.h"

using namespace isign;
using namespace isign::registry;
using common::ErrorKind;

namespace {

struct Recorded {
  std::string method, url, body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string header(const std::string& name) const {
    for (const auto& [k, v] : headers)
      if (k == name) return v;
    return "";
  }
};

// Replays queued responses in order and records every request.
class ScriptedTransport : public Transport {
public:
  std::deque<common::Result<HttpResponse>> replies;
  std::vector<Recorded>* log;
  explicit ScriptedTransport(std::vector<Recorded>* l) : log(l) {}
  common::Result<HttpResponse> perform(HttpRequest& r) override {
    log->push_back({r.method, r.url, r.body, r.headers});
    if (replies.empty()) return common::make_error(ErrorKind::internal, "no scripted reply");
    auto next = std::move(replies.front());
    replies.pop_front();
    if (next && r.body_sink) r.body_sink(next->body);
    return next;
  }
};

HttpResponse resp(long status, std::string body = "",
                  std::multimap<std::string, std::string> headers = {}) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  return r;
}

struct Harness {
  std::vector<Recorded> log;
  ScriptedTransport* transport = nullptr;
  std::unique_ptr<Client> client;
  explicit Harness(ClientOptions options = {}) {
    options.max_backoff = std::chrono::milliseconds(1);
    if (!options.credential_lookup)
      options.credential_lookup = [](std::string_view) {
        return common::Result<std::optional<Credentials>>(std::optional<Credentials>());
      };
    auto t = std::make_unique<ScriptedTransport>(&log);
    transport = t.get();
    client = Client::create(std::move(options), std::move(t));
  }
  void reply(HttpResponse r) { transport->replies.emplace_back(std::move(r)); }
  void fail(ErrorKind kind, std::string msg) {
    transport->replies.emplace_back(common::make_error(kind, std::move(msg)));
  }
};

const Repository kRepo{"reg.example:5000", "team/app"};
const std::string kManifest = R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"})";
const std::string kDigest = common::sha256_digest(kManifest);

} // namespace

TEST_CASE("head_manifest sends one HEAD with every manifest media type accepted", "[client]") {
  Harness h;
  h.reply(resp(200, "", {{"docker-content-digest", kDigest},
                         {"content-type", std::string(kOciManifest)},
                         {"content-length", "77"}}));
  auto d = h.client->head_manifest(kRepo, "v1");
  REQUIRE(d);
  CHECK(d->digest == kDigest);
  CHECK(d->media_type == kOciManifest);
  CHECK(d->size == 77);
  REQUIRE(h.log.size() == 1);
  CHECK(h.log[0].method == "HEAD");
  CHECK(h.log[0].url == "https://reg.example:5000/v2/team/app/manifests/v1");
  auto accept = h.log[0].header("Accept");
  for (auto mt : {kOciManifest, kOciIndex, kDockerManifest, kDockerManifestList})
    CHECK(accept.find(std::string(mt)) != std::string::npos);
}

TEST_CASE("plain HTTP only when allowed", "[client]") {
  ClientOptions o;
  o.allow_http = true;
  Harness h(o);
  h.reply(resp(200, "", {{"docker-content-digest", kDigest}}));
  REQUIRE(h.client->head_manifest(kRepo, "v1"));
  CHECK(h.log[0].url.rfind("http://reg.example:5000/", 0) == 0);
}

TEST_CASE("docker.io is served by registry-1.docker.io", "[client]") {
  Harness h;
  h.reply(resp(200, "", {{"docker-content-digest", kDigest}}));
  REQUIRE(h.client->head_manifest({"docker.io", "library/ubuntu"}, "latest"));
  CHECK(h.log[0].url == "https://registry-1.docker.io/v2/library/ubuntu/manifests/latest");
}

TEST_CASE("get_manifest checks the bytes against the requested digest and the header",
          "[client]") {
  SECTION("by digest, bytes match") {
    Harness h;
    h.reply(resp(200, kManifest, {{"content-type", std::string(kOciManifest)}}));
    auto m = h.client->get_manifest(kRepo, kDigest);
    REQUIRE(m);
    CHECK(m->bytes == kManifest);
    CHECK(m->digest == kDigest);
  }
  SECTION("by digest, bytes differ") {
    Harness h;
    h.reply(resp(200, kManifest + " "));
    auto m = h.client->get_manifest(kRepo, kDigest);
    REQUIRE_FALSE(m);
    CHECK(m.error().kind() == ErrorKind::registry);
    CHECK(m.error().message().find("not the requested digest") != std::string::npos);
  }
  SECTION("by tag, Docker-Content-Digest lies") {
    Harness h;
    h.reply(resp(200, kManifest, {{"docker-content-digest", common::sha256_digest("other")}}));
    auto m = h.client->get_manifest(kRepo, "v1");
    REQUIRE_FALSE(m);
    CHECK(m.error().message().find("does not match the bytes received") != std::string::npos);
  }
  SECTION("media type from the body when the header is generic") {
    Harness h;
    h.reply(resp(200, kManifest, {{"content-type", "application/json"}}));
    auto m = h.client->get_manifest(kRepo, "v1");
    REQUIRE(m);
    CHECK(m->media_type == kOciManifest);
  }
}

TEST_CASE("errors name method, path, status and the registry's code; 404 is not_found",
          "[client]") {
  Harness h;
  h.reply(resp(404, R"({"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]})"));
  auto m = h.client->get_manifest(kRepo, "v1");
  REQUIRE_FALSE(m);
  CHECK(m.error().kind() == ErrorKind::not_found);
  CHECK(m.error().message() ==
        "reg.example:5000/team/app:v1 not found: GET /v2/team/app/manifests/v1: 404 Not Found "
        "(MANIFEST_UNKNOWN: manifest unknown)");
}

TEST_CASE("bearer challenge: token for the pull scope, cached for the run", "[client]") {
  ClientOptions o;
  o.credentials = {"alice", "s3cret", ""};
  Harness h(o);
  h.reply(resp(401, "", {{"www-authenticate",
                          R"(Bearer realm="https://auth.example/token",service="reg.example")"}}));
  h.reply(resp(200, R"({"token":"T1"})"));
  h.reply(resp(200, "", {{"docker-content-digest", kDigest}}));
  h.reply(resp(200, "", {{"docker-content-digest", kDigest}}));
  REQUIRE(h.client->head_manifest(kRepo, "v1"));
  REQUIRE(h.client->head_manifest(kRepo, "v2"));
  REQUIRE(h.log.size() == 4);
  CHECK(h.log[1].method == "GET");
  CHECK(h.log[1].url ==
        "https://auth.example/token?service=reg.example&scope=repository%3Ateam%2Fapp%3Apull");
  CHECK(h.log[1].header("Authorization") == "Basic " + common::base64_encode("alice:s3cret"));
  CHECK(h.log[2].header("Authorization") == "Bearer T1");
  CHECK(h.log[3].header("Authorization") == "Bearer T1"); // no second token request
}

TEST_CASE("push scope is asked for only when writing", "[client]") {
  Harness h;
  const std::string challenge = R"(Bearer realm="https://auth.example/token",service="svc")";
  h.reply(resp(401, "", {{"www-authenticate", challenge}}));
  h.reply(resp(200, R"({"access_token":"PULL"})"));
  h.reply(resp(200, "", {{"docker-content-digest", kDigest}}));
  h.reply(resp(401, "", {{"www-authenticate", challenge}}));
  h.reply(resp(200, R"({"token":"PUSH"})"));
  h.reply(resp(201));
  REQUIRE(h.client->head_manifest(kRepo, "v1"));
  auto put = h.client->put_manifest(kRepo, "v1", kManifest, kOciManifest);
  REQUIRE(put);
  CHECK(*put == kDigest);
  CHECK(h.log[1].url.find("scope=repository%3Ateam%2Fapp%3Apull") != std::string::npos);
  CHECK(h.log[1].url.find("push") == std::string::npos);
  CHECK(h.log[1].header("Authorization").empty()); // anonymous
  CHECK(h.log[3].method == "PUT"); // a pull token cannot push: no point sending it
  CHECK(h.log[4].url.find("scope=repository%3Ateam%2Fapp%3Apull%2Cpush") != std::string::npos);
  CHECK(h.log[5].method == "PUT");
  CHECK(h.log[5].header("Authorization") == "Bearer PUSH");
  CHECK(h.log[5].header("Content-Type") == kOciManifest);
  CHECK(h.log[5].body == kManifest);
}

TEST_CASE("identity tokens use the OAuth2 refresh_token form", "[client]") {
  ClientOptions o;
  o.credentials = {"<token>", "REFRESH", ""};
  Harness h(o);
  h.reply(resp(401, "", {{"www-authenticate", R"(Bearer realm="https://auth.example/t",service="s")"}}));
  h.reply(resp(200, R"({"access_token":"A"})"));
  h.reply(resp(200, "", {{"docker-content-digest", kDigest}}));
  REQUIRE(h.client->head_manifest(kRepo, "v1"));
  CHECK(h.log[1].method == "POST");
  CHECK(h.log[1].body.find("grant_type=refresh_token&refresh_token=REFRESH") != std::string::npos);
}

TEST_CASE("basic challenge uses the credentials; missing credentials say what to do",
          "[client]") {
  SECTION("with credentials") {
    ClientOptions o;
    o.credentials = {"bob", "pw", ""};
    Harness h(o);
    h.reply(resp(401, "", {{"www-authenticate", R"(Basic realm="r")"}}));
    h.reply(resp(200, "", {{"docker-content-digest", kDigest}}));
    REQUIRE(h.client->head_manifest(kRepo, "v1"));
    CHECK(h.log[1].header("Authorization") == "Basic " + common::base64_encode("bob:pw"));
  }
  SECTION("without") {
    Harness h;
    h.reply(resp(401, "", {{"www-authenticate", R"(Basic realm="r")"}}));
    auto d = h.client->head_manifest(kRepo, "v1");
    REQUIRE_FALSE(d);
    CHECK(d.error().kind() == ErrorKind::registry);
    CHECK(d.error().message().find("isign login") != std::string::npos);
  }
  SECTION("wrong credentials: the 401 is reported, the password never") {
    ClientOptions o;
    o.credentials = {"bob", "hunter2", ""};
    Harness h(o);
    h.reply(resp(401, "", {{"www-authenticate", R"(Basic realm="r")"}}));
    h.reply(resp(401, R"({"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]})",
                 {{"www-authenticate", R"(Basic realm="r")"}}));
    auto m = h.client->get_manifest(kRepo, "v1");
    REQUIRE_FALSE(m);
    CHECK(m.error().message().find("401 Unauthorized (UNAUTHORIZED") != std::string::npos);
    CHECK(m.error().message().find("hunter2") == std::string::npos);
    CHECK(m.error().message().find(common::base64_encode("bob:hunter2")) == std::string::npos);
  }
}

TEST_CASE("idempotent requests are retried on 5xx and connection errors, uploads never",
          "[client]") {
  SECTION("GET: 500, connection reset, then success") {
    Harness h;
    h.reply(resp(500));
    h.fail(ErrorKind::network, "Connection reset by peer");
    h.reply(resp(200, kManifest));
    REQUIRE(h.client->get_manifest(kRepo, kDigest));
    CHECK(h.log.size() == 3);
    CHECK(h.client->request_count() == 3);
  }
  SECTION("GET: 503 always gives up after the retries") {
    Harness h;
    for (int i = 0; i < 4; ++i) h.reply(resp(503));
    auto m = h.client->get_manifest(kRepo, "v1");
    REQUIRE_FALSE(m);
    CHECK(h.log.size() == 4);
    CHECK(m.error().message().find("503 Service Unavailable") != std::string::npos);
  }
  SECTION("PUT: 500 is not retried") {
    Harness h;
    h.reply(resp(500));
    auto p = h.client->put_manifest(kRepo, "v1", kManifest, kOciManifest);
    REQUIRE_FALSE(p);
    CHECK(h.log.size() == 1);
  }
  SECTION("429 that persists is throttling") {
    Harness h;
    for (int i = 0; i < 4; ++i) h.reply(resp(429, "", {{"retry-after", "0"}}));
    auto m = h.client->get_manifest(kRepo, "v1");
    REQUIRE_FALSE(m);
    CHECK(m.error().kind() == ErrorKind::throttled);
  }
}

TEST_CASE("blob upload: skips existing blobs, follows relative and absolute Locations",
          "[client]") {
  const std::string blob = "payload";
  const std::string digest = common::sha256_digest(blob);
  SECTION("exists") {
    Harness h;
    h.reply(resp(200));
    REQUIRE(h.client->put_blob(kRepo, digest, blob));
    CHECK(h.log.size() == 1);
    CHECK(h.log[0].method == "HEAD");
  }
  SECTION("relative Location with a query") {
    Harness h;
    h.reply(resp(404));
    h.reply(resp(202, "", {{"location", "/v2/team/app/blobs/uploads/u1?_state=abc"}}));
    h.reply(resp(201));
    REQUIRE(h.client->put_blob(kRepo, digest, blob));
    CHECK(h.log[1].method == "POST");
    CHECK(h.log[1].url == "https://reg.example:5000/v2/team/app/blobs/uploads/");
    CHECK(h.log[2].method == "PUT");
    CHECK(h.log[2].url == "https://reg.example:5000/v2/team/app/blobs/uploads/u1?_state=abc&digest=sha256%3A" +
                              digest.substr(7));
    CHECK(h.log[2].body == blob);
  }
  SECTION("absolute Location") {
    Harness h;
    h.reply(resp(404));
    h.reply(resp(202, "", {{"location", "https://upload.example/u2"}}));
    h.reply(resp(201));
    REQUIRE(h.client->put_blob(kRepo, digest, blob));
    CHECK(h.log[2].url == "https://upload.example/u2?digest=sha256%3A" + digest.substr(7));
  }
}

TEST_CASE("get_blob checks the digest and the size limit", "[client]") {
  const std::string digest = common::sha256_digest("abc");
  Harness h;
  h.reply(resp(200, "abd"));
  auto b = h.client->get_blob(kRepo, digest, 100);
  REQUIRE_FALSE(b);
  CHECK(b.error().message().find("truncated or corrupted") != std::string::npos);
  h.reply(resp(200, "abc"));
  REQUIRE(*h.client->get_blob(kRepo, digest, 100) == "abc");
}

TEST_CASE("list_tags follows Link pagination", "[client]") {
  Harness h;
  h.reply(resp(200, R"({"name":"team/app","tags":["a","b"]})",
               {{"link", R"(</v2/team/app/tags/list?last=b&n=2>; rel="next")"}}));
  h.reply(resp(200, R"({"name":"team/app","tags":["c"]})"));
  auto tags = h.client->list_tags(kRepo);
  REQUIRE(tags);
  CHECK(*tags == std::vector<std::string>{"a", "b", "c"});
  CHECK(h.log[1].url == "https://reg.example:5000/v2/team/app/tags/list?last=b&n=2");
}

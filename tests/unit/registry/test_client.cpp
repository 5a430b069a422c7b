// The distribution client against a scripted transport: exact request sequences, auth, retries,
// digest checks and error messages.
#include <catch2/catch.hpp>

#include <atomic>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "common/digest.h"
#include "common/encoding.h"
#include "registry/client.h"
#include "tests/unit/registry/scripted_client.h"

using namespace isign;
using namespace isign::registry;
using namespace isign::testing;
using common::ErrorKind;

namespace {

const Repository kRepo{"reg.example:5000", "team/app"};
const std::string kManifest =
    R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"})";
const std::string kDigest = common::sha256_digest(kManifest);

} // namespace

TEST_CASE("head_manifest sends one HEAD with every manifest media type accepted", "[client]") {
  Harness h;
  h.reply(resp(200, "",
               {{"docker-content-digest", kDigest},
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

TEST_CASE("get_manifest checks the bytes against the requested digest and the header", "[client]") {
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

TEST_CASE("errors name method, path, status and the registry's code, 404 is not_found",
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
  h.reply(resp(401, "",
               {{"www-authenticate",
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
  CHECK(h.log[3].method == "PUT");                 // a pull token cannot push: no point sending it
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
  h.reply(resp(401, "",
               {{"www-authenticate", R"(Bearer realm="https://auth.example/t",service="s")"}}));
  h.reply(resp(200, R"({"access_token":"A"})"));
  h.reply(resp(200, "", {{"docker-content-digest", kDigest}}));
  REQUIRE(h.client->head_manifest(kRepo, "v1"));
  CHECK(h.log[1].method == "POST");
  CHECK(h.log[1].body.find("grant_type=refresh_token&refresh_token=REFRESH") != std::string::npos);
}

TEST_CASE("basic challenge uses the credentials, missing credentials say what to do", "[client]") {
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
    for (int i = 0; i < 4; ++i)
      h.reply(resp(503));
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
    for (int i = 0; i < 4; ++i)
      h.reply(resp(429, "", {{"retry-after", "0"}}));
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
    CHECK(h.log[2].url ==
          "https://reg.example:5000/v2/team/app/blobs/uploads/u1?_state=abc&digest=sha256%3A" +
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

TEST_CASE("Retry-After in seconds is honoured, otherwise backoff is bounded by max_backoff",
          "[client]") {
  SECTION("Retry-After") {
    Harness h;
    h.reply(resp(503, "", {{"retry-after", "2"}}));
    h.reply(resp(429, "", {{"retry-after", "0"}}));
    h.reply(resp(200, kManifest));
    REQUIRE(h.client->get_manifest(kRepo, kDigest));
    CHECK(h.waits == std::vector<std::chrono::milliseconds>{std::chrono::milliseconds(2000),
                                                            std::chrono::milliseconds(0)});
  }
  SECTION("an absurd Retry-After is capped at a minute; an HTTP date falls back to backoff") {
    ClientOptions o;
    o.max_backoff = std::chrono::milliseconds(300);
    Harness h(o);
    h.reply(resp(503, "", {{"retry-after", "99999999"}}));
    h.reply(resp(503, "", {{"retry-after", "Wed, 21 Oct 2015 07:28:00 GMT"}}));
    h.reply(resp(200, kManifest));
    REQUIRE(h.client->get_manifest(kRepo, kDigest));
    REQUIRE(h.waits.size() == 2);
    CHECK(h.waits[0] == std::chrono::milliseconds(60000));
    CHECK(h.waits[1] <= std::chrono::milliseconds(300));
  }
  SECTION("exponential backoff with jitter, capped") {
    ClientOptions o;
    o.max_backoff = std::chrono::milliseconds(300);
    o.max_retries = 5;
    Harness h(o);
    for (int i = 0; i < 5; ++i)
      h.reply(resp(502));
    h.reply(resp(200, kManifest));
    REQUIRE(h.client->get_manifest(kRepo, kDigest));
    REQUIRE(h.waits.size() == 5);
    CHECK(h.waits[0] >= std::chrono::milliseconds(100)); // 200 ms, jittered in its upper half
    CHECK(h.waits[0] <= std::chrono::milliseconds(200));
    for (auto w : h.waits) {
      CHECK(w >= std::chrono::milliseconds(100));
      CHECK(w <= std::chrono::milliseconds(300));
    }
  }
  SECTION("max_retries 0 sends once") {
    ClientOptions o;
    o.max_retries = 0;
    Harness h(o);
    h.reply(resp(500));
    REQUIRE_FALSE(h.client->get_manifest(kRepo, "v1"));
    CHECK(h.log.size() == 1);
    CHECK(h.waits.empty());
  }
}

TEST_CASE("uploads and deletes are never retried, not even on connection errors", "[client]") {
  SECTION("PUT manifest, connection reset") {
    Harness h;
    h.fail(ErrorKind::network, "Connection reset by peer");
    auto p = h.client->put_manifest(kRepo, "v1", kManifest, kOciManifest);
    REQUIRE_FALSE(p);
    CHECK(p.error().kind() == ErrorKind::network);
    CHECK(p.error().message() == "PUT /v2/team/app/manifests/v1: Connection reset by peer");
    CHECK(h.log.size() == 1);
  }
  SECTION("POST upload, 503") {
    Harness h;
    h.reply(resp(404));
    h.reply(resp(503));
    REQUIRE_FALSE(h.client->put_blob(kRepo, common::sha256_digest("x"), "x"));
    CHECK(h.log.size() == 2);
  }
  SECTION("DELETE, 429") {
    Harness h;
    h.reply(resp(429));
    auto d = h.client->delete_manifest(kRepo, kDigest);
    REQUIRE_FALSE(d);
    CHECK(d.error().kind() == ErrorKind::throttled);
    CHECK(h.log.size() == 1);
  }
}

TEST_CASE("a connection error that persists names the request and the attempts", "[client]") {
  Harness h;
  for (int i = 0; i < 4; ++i)
    h.fail(ErrorKind::network, "Failed to connect to reg.example port 5000: Connection refused");
  auto m = h.client->head_manifest(kRepo, "v1");
  REQUIRE_FALSE(m);
  CHECK(m.error().kind() == ErrorKind::network);
  CHECK(m.error().message() == "HEAD /v2/team/app/manifests/v1 (4 attempts): Failed to connect to "
                               "reg.example port 5000: Connection refused");
  CHECK(h.client->request_count() == 4);
}

TEST_CASE("throttling that persists is its own kind and says so", "[client]") {
  Harness h;
  for (int i = 0; i < 4; ++i)
    h.reply(resp(429, R"({"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]})"));
  auto t = h.client->list_tags(kRepo);
  REQUIRE_FALSE(t);
  CHECK(t.error().kind() == ErrorKind::throttled);
  CHECK(t.error().message() == "the registry kept throttling (4 attempts): GET "
                               "/v2/team/app/tags/list: 429 Too Many Requests (TOOMANYREQUESTS: "
                               "slow down)");
}

TEST_CASE("manifests and blobs over their limits are refused, not retried", "[client]") {
  SECTION("manifest over the default 4 MiB") {
    Harness h;
    h.reply(resp(200, std::string((4u << 20) + 1, ' ')));
    auto m = h.client->get_manifest(kRepo, "v1");
    REQUIRE_FALSE(m);
    CHECK(m.error().kind() == ErrorKind::limit);
    CHECK(m.error().message() ==
          "GET /v2/team/app/manifests/v1: the manifest is larger than the limit of 4194304 bytes");
    CHECK(h.log.size() == 1);
  }
  SECTION("manifest limit is configurable") {
    ClientOptions o;
    o.max_manifest_size = 10;
    Harness h(o);
    h.reply(resp(200, kManifest));
    auto m = h.client->get_manifest(kRepo, "v1");
    REQUIRE_FALSE(m);
    CHECK(m.error().kind() == ErrorKind::limit);
  }
  SECTION("blob over max_size") {
    const std::string blob(101, 'x');
    Harness h;
    h.reply(resp(200, blob));
    auto b = h.client->get_blob(kRepo, common::sha256_digest(blob), 100);
    REQUIRE_FALSE(b);
    CHECK(b.error().kind() == ErrorKind::limit);
    CHECK(b.error().message() == "GET /v2/team/app/blobs/" + common::sha256_digest(blob) +
                                     ": the blob is larger than the limit of 100 bytes");
  }
}

TEST_CASE("get_blob streams into the digest, each attempt starts afresh", "[client]") {
  const std::string blob = "the layer bytes";
  const std::string digest = common::sha256_digest(blob);
  SECTION("a body cut off mid-stream, then a whole one") {
    Harness h;
    h.break_off("the lay");
    h.reply(resp(200, blob));
    auto b = h.client->get_blob(kRepo, digest, 1000);
    REQUIRE(b);
    CHECK(*b == blob);
    CHECK(h.log.size() == 2);
  }
  SECTION("a challenge first: the 401's body is not part of the blob") {
    Harness h;
    h.reply(resp(401, R"({"errors":[{"code":"UNAUTHORIZED"}]})",
                 {{"www-authenticate", R"(Bearer realm="https://auth.example/token")"}}));
    h.reply(resp(200, R"({"token":"T"})"));
    h.reply(resp(200, blob));
    auto b = h.client->get_blob(kRepo, digest, 1000);
    REQUIRE(b);
    CHECK(*b == blob);
    CHECK(h.log[2].header("Authorization") == "Bearer T");
  }
  SECTION("an error status keeps the registry's message") {
    Harness h;
    h.reply(
        resp(404, R"({"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown to registry"}]})"));
    auto b = h.client->get_blob(kRepo, digest, 1000);
    REQUIRE_FALSE(b);
    CHECK(b.error().kind() == ErrorKind::not_found);
    CHECK(b.error().message() == "GET /v2/team/app/blobs/" + digest +
                                     ": 404 Not Found (BLOB_UNKNOWN: blob unknown to registry)");
  }
  SECTION("an invalid digest is refused before any request") {
    Harness h;
    auto b = h.client->get_blob(kRepo, "sha256:abc", 1000);
    REQUIRE_FALSE(b);
    CHECK(h.log.empty());
  }
}

TEST_CASE("head_manifest: digest checks, GET fallback, not found", "[client]") {
  SECTION("by digest, the registry names another digest") {
    Harness h;
    h.reply(resp(200, "", {{"docker-content-digest", common::sha256_digest("other")}}));
    auto d = h.client->head_manifest(kRepo, kDigest);
    REQUIRE_FALSE(d);
    CHECK(d.error().kind() == ErrorKind::registry);
    CHECK(d.error().message() == "HEAD /v2/team/app/manifests/" + kDigest +
                                     ": the registry answered digest " +
                                     common::sha256_digest("other"));
  }
  SECTION("no Docker-Content-Digest: the manifest is fetched and hashed") {
    Harness h;
    h.reply(resp(200));
    h.reply(resp(200, kManifest, {{"content-type", std::string(kOciManifest)}}));
    auto d = h.client->head_manifest(kRepo, "v1");
    REQUIRE(d);
    CHECK(d->digest == kDigest);
    CHECK(d->size == kManifest.size());
    REQUIRE(h.log.size() == 2);
    CHECK(h.log[1].method == "GET");
  }
  SECTION("404 without a body") {
    Harness h;
    h.reply(resp(404));
    auto d = h.client->head_manifest(kRepo, "v9");
    REQUIRE_FALSE(d);
    CHECK(d.error().kind() == ErrorKind::not_found);
    CHECK(d.error().message() ==
          "reg.example:5000/team/app:v9 not found: HEAD /v2/team/app/manifests/v9: 404 Not Found");
  }
}

TEST_CASE("delete_manifest sends DELETE by digest with the push scope", "[client]") {
  Harness h;
  h.reply(resp(401, "",
               {{"www-authenticate", R"(Bearer realm="https://auth.example/t",service="s")"}}));
  h.reply(resp(200, R"({"token":"P"})"));
  h.reply(resp(202));
  REQUIRE(h.client->delete_manifest(kRepo, kDigest));
  CHECK(h.log[0].method == "DELETE");
  CHECK(h.log[0].url == "https://reg.example:5000/v2/team/app/manifests/" + kDigest);
  CHECK(h.log[1].url.find("pull%2Cpush") != std::string::npos);
  CHECK(h.log[2].header("Authorization") == "Bearer P");
}

TEST_CASE("an expired token is replaced once, then the request is retried", "[client]") {
  Harness h;
  const std::string challenge = R"(Bearer realm="https://auth.example/token",service="svc")";
  h.reply(resp(401, "", {{"www-authenticate", challenge}}));
  h.reply(resp(200, R"({"token":"T1"})"));
  h.reply(resp(200, "", {{"docker-content-digest", kDigest}}));
  h.reply(resp(401, "", {{"www-authenticate", challenge + R"(,error="invalid_token")"}}));
  h.reply(resp(200, R"({"token":"T2"})"));
  h.reply(resp(200, "", {{"docker-content-digest", kDigest}}));
  h.reply(resp(200, "", {{"docker-content-digest", kDigest}}));
  REQUIRE(h.client->head_manifest(kRepo, "v1"));
  REQUIRE(h.client->head_manifest(kRepo, "v1"));
  REQUIRE(h.client->head_manifest(kRepo, "v1"));
  REQUIRE(h.log.size() == 7);
  CHECK(h.log[3].header("Authorization") == "Bearer T1");
  CHECK(h.log[4].url.rfind("https://auth.example/token?", 0) == 0);
  CHECK(h.log[5].header("Authorization") == "Bearer T2");
  CHECK(h.log[6].header("Authorization") == "Bearer T2");
}

TEST_CASE("a 401 after a fresh token is final: no loop of token requests", "[client]") {
  Harness h;
  const std::string challenge = R"(Bearer realm="https://auth.example/token")";
  h.reply(resp(401, "", {{"www-authenticate", challenge}}));
  h.reply(resp(200, R"({"token":"T"})"));
  h.reply(resp(401, "", {{"www-authenticate", challenge}}));
  auto m = h.client->get_manifest(kRepo, "v1");
  REQUIRE_FALSE(m);
  CHECK(m.error().kind() == ErrorKind::registry);
  CHECK(m.error().message() ==
        "GET /v2/team/app/manifests/v1: 401 Unauthorized; check the credentials (isign login, "
        "--registry-username/--registry-password, or --registry-token)");
  CHECK(h.log.size() == 3);
}

TEST_CASE("403 is a registry error with the credentials hint", "[client]") {
  Harness h;
  h.reply(resp(
      403,
      R"({"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]})"));
  auto p = h.client->put_manifest(kRepo, "v1", kManifest, kOciManifest);
  REQUIRE_FALSE(p);
  CHECK(p.error().kind() == ErrorKind::registry);
  CHECK(p.error().message() ==
        "PUT /v2/team/app/manifests/v1: 403 Forbidden (DENIED: requested access to the resource "
        "is denied); check the credentials (isign login, --registry-username/--registry-password, "
        "or --registry-token)");
}

TEST_CASE("token service: GET refused falls back to the OAuth2 password form", "[client]") {
  ClientOptions o;
  o.credentials = {"al ice", "p&ss=word", ""};
  Harness h(o);
  h.reply(resp(401, "",
               {{"www-authenticate", R"(Bearer realm="https://auth.example/t",service="s")"}}));
  h.reply(resp(405));
  h.reply(resp(200, R"({"access_token":"A","refresh_token":"R"})"));
  h.reply(resp(200, "", {{"docker-content-digest", kDigest}}));
  REQUIRE(h.client->head_manifest(kRepo, "v1"));
  REQUIRE(h.log.size() == 4);
  CHECK(h.log[2].method == "POST");
  CHECK(h.log[2].url == "https://auth.example/t");
  CHECK(h.log[2].header("Content-Type") == "application/x-www-form-urlencoded");
  CHECK(h.log[2].header("Authorization").empty());
  CHECK(h.log[2].body == "service=s&scope=repository%3Ateam%2Fapp%3Apull&client_id=isign&"
                         "grant_type=password&username=al%20ice&password=p%26ss%3Dword");
  CHECK(h.log[3].header("Authorization") == "Bearer A");
}

TEST_CASE("token service failures are one line without secrets", "[client]") {
  ClientOptions o;
  o.credentials = {"alice", "s3cret-pw", ""};
  SECTION("wrong password at the token service") {
    Harness h(o);
    h.reply(resp(
        401, "",
        {{"www-authenticate", R"(Bearer realm="https://auth.example/token?x=1",service="s")"}}));
    h.reply(resp(401, R"({"details":"incorrect username or password"})"));
    auto m = h.client->get_manifest(kRepo, "v1");
    REQUIRE_FALSE(m);
    CHECK(m.error().kind() == ErrorKind::registry);
    CHECK(
        m.error().message() ==
        "fetching a token for repository:team/app:pull: GET /token: 401 Unauthorized; check the "
        "credentials (isign login, --registry-username/--registry-password, or --registry-token)");
    CHECK(h.log[1].url ==
          "https://auth.example/token?x=1&service=s&scope=repository%3Ateam%2Fapp%3Apull");
  }
  SECTION("an answer without a token") {
    Harness h(o);
    h.reply(resp(401, "", {{"www-authenticate", R"(Bearer realm="https://auth.example/token")"}}));
    h.reply(resp(200, R"({"expires_in":60})"));
    auto m = h.client->get_manifest(kRepo, "v1");
    REQUIRE_FALSE(m);
    CHECK(m.error().message() == "the token service at /token answered without a token");
  }
  SECTION("a realm that is not a URL") {
    Harness h(o);
    h.reply(resp(401, "", {{"www-authenticate", R"(Bearer realm="file:///etc/passwd")"}}));
    auto m = h.client->get_manifest(kRepo, "v1");
    REQUIRE_FALSE(m);
    CHECK(m.error().message() ==
          "the registry's token realm 'file:///etc/passwd' is not an http(s) URL");
    CHECK(h.log.size() == 1);
  }
  SECTION("a malformed challenge") {
    Harness h(o);
    h.reply(resp(401, "", {{"www-authenticate", R"(Bearer realm="unterminated)"}}));
    auto m = h.client->get_manifest(kRepo, "v1");
    REQUIRE_FALSE(m);
    CHECK(m.error().message().rfind("reading the auth challenge: ", 0) == 0);
  }
}

TEST_CASE("credentials are never sent in clear to a remote plain-HTTP token service", "[client]") {
  ClientOptions o;
  o.credentials = {"alice", "s3cret-pw", ""};
  SECTION("remote: refused") {
    Harness h(o);
    h.reply(resp(401, "", {{"www-authenticate", R"(Bearer realm="http://auth.example/token")"}}));
    auto m = h.client->head_manifest(kRepo, "v1");
    REQUIRE_FALSE(m);
    CHECK(m.error().message() == "the registry's token service auth.example is plain HTTP; "
                                 "refusing to send credentials there (--allow-http-registry "
                                 "allows it)");
    CHECK(h.log.size() == 1);
  }
  SECTION("loopback: allowed") {
    Harness h(o);
    h.reply(resp(401, "", {{"www-authenticate", R"(Bearer realm="http://127.0.0.1:9999/token")"}}));
    h.reply(resp(200, R"({"token":"T"})"));
    h.reply(resp(200, "", {{"docker-content-digest", kDigest}}));
    REQUIRE(h.client->head_manifest(kRepo, "v1"));
    CHECK_FALSE(h.log[1].header("Authorization").empty());
  }
  SECTION("anonymous: refused too (no plain HTTP over the network without the flag)") {
    Harness h;
    h.reply(resp(401, "", {{"www-authenticate", R"(Bearer realm="http://auth.example/token")"}}));
    auto m = h.client->head_manifest(kRepo, "v1");
    REQUIRE_FALSE(m);
    CHECK(m.error().message() == "the registry's token service auth.example is plain HTTP; "
                                 "refusing to fetch a token from it (--allow-http-registry "
                                 "allows it)");
    CHECK(h.log.size() == 1);
  }
}

TEST_CASE("registry token (--registry-token) is sent as the bearer token from the first request",
          "[client]") {
  ClientOptions o;
  o.credentials.registry_token = "GIVEN";
  Harness h(o);
  h.reply(resp(200, "", {{"docker-content-digest", kDigest}}));
  h.reply(resp(401, "", {{"www-authenticate", R"(Bearer realm="https://auth.example/token")"}}));
  REQUIRE(h.client->head_manifest(kRepo, "v1"));
  CHECK(h.log[0].header("Authorization") == "Bearer GIVEN");
  auto m = h.client->head_manifest(kRepo, "v2");
  REQUIRE_FALSE(m);
  CHECK(h.log.size() == 2); // no token fetched in its place
  CHECK(m.error().message().find("GIVEN") == std::string::npos);
}

TEST_CASE("stored credentials are looked up once per registry", "[client]") {
  int lookups = 0;
  ClientOptions o;
  o.credential_lookup = [&lookups](std::string_view registry) {
    ++lookups;
    CHECK(registry == "reg.example:5000");
    return common::Result<std::optional<Credentials>>(
        std::optional<Credentials>(Credentials{"u", "p", ""}));
  };
  Harness h(o);
  h.reply(resp(401, "", {{"www-authenticate", R"(Basic realm="r")"}}));
  h.reply(resp(200, "", {{"docker-content-digest", kDigest}}));
  h.reply(resp(200, "", {{"docker-content-digest", kDigest}}));
  REQUIRE(h.client->head_manifest(kRepo, "v1"));
  REQUIRE(h.client->head_manifest(kRepo, "v2"));
  CHECK(lookups == 1);
  CHECK(h.log[2].header("Authorization") == "Basic " + common::base64_encode("u:p"));
}

TEST_CASE("a failing credential lookup is reported with the registry", "[client]") {
  ClientOptions o;
  o.credential_lookup = [](std::string_view) {
    return common::Result<std::optional<Credentials>>(
        common::make_error(ErrorKind::io, "docker-credential-pass: exit 1"));
  };
  Harness h(o);
  h.reply(resp(401, "", {{"www-authenticate", R"(Basic realm="r")"}}));
  auto m = h.client->head_manifest(kRepo, "v1");
  REQUIRE_FALSE(m);
  CHECK(m.error().kind() == ErrorKind::io);
  CHECK(m.error().message() ==
        "reading credentials for reg.example:5000: docker-credential-pass: exit 1");
}

TEST_CASE("Authorization is only sent to the registry's own host", "[client]") {
  const std::string blob = "payload";
  const std::string digest = common::sha256_digest(blob);
  ClientOptions o;
  o.credentials = {"bob", "pw", ""};
  Harness h(o);
  h.reply(resp(401, "", {{"www-authenticate", R"(Basic realm="r")"}}));
  h.reply(resp(404));
  h.reply(resp(202, "", {{"location", "https://storage.example/u?sig=abc"}}));
  h.reply(resp(201));
  REQUIRE(h.client->put_blob(kRepo, digest, blob));
  REQUIRE(h.log.size() == 4);
  CHECK(h.log[2].method == "POST");
  CHECK(h.log[2].header("Authorization") == "Basic " + common::base64_encode("bob:pw"));
  CHECK(h.log[3].url == "https://storage.example/u?sig=abc&digest=sha256%3A" + digest.substr(7));
  CHECK(h.log[3].header("Authorization").empty());
}

TEST_CASE("blob upload failures name the step", "[client]") {
  const std::string digest = common::sha256_digest("x");
  SECTION("no Location") {
    Harness h;
    h.reply(resp(404));
    h.reply(resp(202));
    auto r = h.client->put_blob(kRepo, digest, "x");
    REQUIRE_FALSE(r);
    CHECK(r.error().message() ==
          "POST /v2/team/app/blobs/uploads/: no Location header in the answer");
  }
  SECTION("the PUT is refused: the query (upload state) is not printed") {
    Harness h;
    h.reply(resp(404));
    h.reply(resp(202, "", {{"location", "/v2/team/app/blobs/uploads/u1?_state=SECRETSTATE"}}));
    h.reply(resp(
        400,
        R"({"errors":[{"code":"DIGEST_INVALID","message":"provided digest did not match uploaded content"}]})"));
    auto r = h.client->put_blob(kRepo, digest, "x");
    REQUIRE_FALSE(r);
    CHECK(r.error().message() ==
          "PUT /v2/team/app/blobs/uploads/u1: 400 Bad Request (DIGEST_INVALID: provided digest "
          "did not match uploaded content)");
  }
}

TEST_CASE("list_tags: absolute Link, no next, errors", "[client]") {
  SECTION("absolute next link, then a Link without rel=next") {
    Harness h;
    h.reply(resp(
        200, R"({"tags":["a"]})",
        {{"link", R"(<https://reg.example:5000/v2/team/app/tags/list?last=a&n=1>; rel="next")"}}));
    h.reply(resp(200, R"({"tags":["b"]})", {{"link", R"(</v2/other>; rel="prev")"}}));
    auto tags = h.client->list_tags(kRepo);
    REQUIRE(tags);
    CHECK(*tags == std::vector<std::string>{"a", "b"});
    CHECK(h.log.size() == 2);
    CHECK(h.log[1].url == "https://reg.example:5000/v2/team/app/tags/list?last=a&n=1");
  }
  SECTION("a repository without tags (null)") {
    Harness h;
    h.reply(resp(200, R"({"name":"team/app","tags":null})"));
    auto tags = h.client->list_tags(kRepo);
    REQUIRE(tags);
    CHECK(tags->empty());
  }
  SECTION("unknown repository") {
    Harness h;
    h.reply(resp(
        404,
        R"({"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known to registry"}]})"));
    auto tags = h.client->list_tags(kRepo);
    REQUIRE_FALSE(tags);
    CHECK(tags.error().kind() == ErrorKind::not_found);
    CHECK(tags.error().message() ==
          "reg.example:5000/team/app not found: GET /v2/team/app/tags/list: 404 Not Found "
          "(NAME_UNKNOWN: repository name not known to registry)");
  }
  SECTION("not JSON") {
    Harness h;
    h.reply(resp(200, "<html>"));
    auto tags = h.client->list_tags(kRepo);
    REQUIRE_FALSE(tags);
    CHECK(tags.error().message() == "GET /v2/team/app/tags/list: the answer is not JSON");
  }
}

TEST_CASE("registry error text is kept to one short line", "[client]") {
  Harness h;
  h.reply(
      resp(400, R"({"errors":[{"code":"MANIFEST_INVALID","message":"bad\nthing"},{"code":"X"}]})"));
  auto p = h.client->put_manifest(kRepo, "v1", kManifest, kOciManifest);
  REQUIRE_FALSE(p);
  CHECK(p.error().message() ==
        "PUT /v2/team/app/manifests/v1: 400 Bad Request (MANIFEST_INVALID: bad thing; X)");
}

TEST_CASE("no error message ever contains a password, token or Authorization value", "[client]") {
  const std::string password = "pw-7f3a91";
  const std::string token = "tok-c0ffee";
  ClientOptions o;
  o.credentials = {"carol", password, ""};
  std::vector<std::string> messages;
  auto collect = [&messages](const common::Error& e) { messages.push_back(e.message()); };
  const std::string challenge = R"(Bearer realm="https://auth.example/token",service="s")";
  {
    Harness h(o); // token service refuses
    h.reply(resp(401, "", {{"www-authenticate", challenge}}));
    h.reply(resp(403, R"({"errors":[{"code":"DENIED","message":"denied"}]})"));
    auto m = h.client->get_manifest(kRepo, "v1");
    REQUIRE_FALSE(m);
    collect(m.error());
  }
  {
    Harness h(o); // registry refuses the token
    h.reply(resp(401, "", {{"www-authenticate", challenge}}));
    h.reply(resp(200, R"({"token":")" + token + R"("})"));
    h.reply(resp(401, "", {{"www-authenticate", challenge}}));
    auto m = h.client->get_manifest(kRepo, "v1");
    REQUIRE_FALSE(m);
    collect(m.error());
  }
  {
    Harness h(o); // network failure with the token in flight
    h.reply(resp(401, "", {{"www-authenticate", challenge}}));
    h.reply(resp(200, R"({"token":")" + token + R"("})"));
    for (int i = 0; i < 4; ++i)
      h.fail(ErrorKind::network, "Operation timed out");
    auto m = h.client->get_blob(kRepo, kDigest, 100);
    REQUIRE_FALSE(m);
    collect(m.error());
  }
  {
    Harness h(o); // OAuth2 form refused
    h.reply(resp(401, "", {{"www-authenticate", challenge}}));
    h.reply(resp(404));
    h.reply(resp(400, R"({"error":"invalid_grant"})"));
    auto m = h.client->head_manifest(kRepo, "v1");
    REQUIRE_FALSE(m);
    collect(m.error());
  }
  REQUIRE(messages.size() == 4);
  for (const auto& msg : messages) {
    INFO(msg);
    CHECK(msg.find(password) == std::string::npos);
    CHECK(msg.find(token) == std::string::npos);
    CHECK(msg.find(common::base64_encode("carol:" + password)) == std::string::npos);
    CHECK(msg.find("Authorization") == std::string::npos);
    CHECK(msg.find("Bearer") == std::string::npos);
    CHECK(msg.find('\n') == std::string::npos);
  }
}

namespace {

// Answers by content, thread-safe: a bearer-protected registry and its token service.
class TokenRegistry : public Transport {
public:
  std::mutex mutex;
  int token_requests = 0;
  int registry_requests = 0;
  int challenges = 0; // 401s answered
  common::Result<HttpResponse> perform(HttpRequest& r) override {
    std::this_thread::sleep_for(std::chrono::milliseconds(2)); // let the threads overlap
    std::lock_guard lock(mutex);
    if (r.url.rfind("https://auth.example/", 0) == 0) {
      ++token_requests;
      return resp(200, R"({"token":"SHARED"})");
    }
    ++registry_requests;
    for (const auto& [k, v] : r.headers)
      if (k == "Authorization" && v == "Bearer SHARED")
        return resp(200, "", {{"docker-content-digest", kDigest}});
    ++challenges;
    return resp(401, "", {{"www-authenticate", R"(Bearer realm="https://auth.example/token")"}});
  }
};

} // namespace

TEST_CASE("concurrent requests share one token fetch and one 401", "[client]") {
  auto transport = std::make_unique<TokenRegistry>();
  TokenRegistry* registry = transport.get();
  ClientOptions o;
  o.credential_lookup = [](std::string_view) {
    return common::Result<std::optional<Credentials>>(std::optional<Credentials>());
  };
  auto client = Client::create(std::move(o), std::move(transport));
  constexpr int kThreads = 8;
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < kThreads; ++i)
    threads.emplace_back([&client, &ok] {
      for (int j = 0; j < 5; ++j)
        if (client->head_manifest(kRepo, "v1"))
          ++ok;
    });
  for (auto& t : threads)
    t.join();
  CHECK(ok == kThreads * 5);
  CHECK(registry->token_requests == 1);
  // The first request goes alone; the others wait for its token instead of each getting a 401.
  CHECK(registry->challenges == 1);
  CHECK(registry->registry_requests == kThreads * 5 + 1);
  CHECK(client->request_count() ==
        static_cast<std::size_t>(registry->token_requests + registry->registry_requests));
}

TEST_CASE("a failure the transport calls permanent is not retried", "[client]") {
  Harness h;
  h.fail_permanently("SSL certificate problem: unable to get local issuer certificate");
  auto m = h.client->get_manifest(kRepo, "v1");
  REQUIRE_FALSE(m);
  CHECK(m.error().kind() == ErrorKind::network);
  CHECK(m.error().message() == "GET /v2/team/app/manifests/v1: SSL certificate problem: unable to "
                               "get local issuer certificate");
  CHECK(h.log.size() == 1);
  CHECK(h.waits.empty());
}

TEST_CASE("Authorization goes to the registry's origin only: scheme, host and port", "[client]") {
  const std::string blob = "payload";
  const std::string digest = common::sha256_digest(blob);
  auto upload_to = [&](const Repository& repo, const std::string& location) {
    ClientOptions o;
    o.credentials.registry_token = "TOKEN";
    Harness h(o);
    h.reply(resp(404));
    h.reply(resp(202, "", {{"location", location}}));
    h.reply(resp(201));
    REQUIRE(h.client->put_blob(repo, digest, blob));
    REQUIRE(h.log.size() == 3);
    return h.log[2].header("Authorization");
  };
  CHECK(upload_to(kRepo, "https://reg.example:5000/v2/team/app/blobs/uploads/u") == "Bearer TOKEN");
  CHECK(upload_to(kRepo, "https://REG.example:5000/v2/u") == "Bearer TOKEN");
  CHECK(upload_to({"reg.example", "a"}, "https://reg.example:443/v2/u") == "Bearer TOKEN");
  // A plain-HTTP location is refused outright: "no plain-HTTP upload location over HTTPS".
  CHECK(upload_to(kRepo, "https://reg.example:5001/v2/u").empty()); // another port
  CHECK(upload_to(kRepo, "https://user@evil.example/v2/u").empty());
}

TEST_CASE("a 401 without a challenge is reported, not answered", "[client]") {
  ClientOptions o;
  o.credentials = {"u", "p", ""};
  Harness h(o);
  h.reply(resp(401));
  auto d = h.client->head_manifest(kRepo, "v1");
  REQUIRE_FALSE(d);
  CHECK(d.error().kind() == ErrorKind::registry);
  CHECK(d.error().message() ==
        "HEAD /v2/team/app/manifests/v1: 401 Unauthorized; check the credentials (isign login, "
        "--registry-username/--registry-password, or --registry-token)");
  CHECK(h.log.size() == 1);
}

TEST_CASE("put_manifest checks the digest the registry says it stored", "[client]") {
  SECTION("the same") {
    Harness h;
    h.reply(resp(201, "", {{"docker-content-digest", kDigest}}));
    auto p = h.client->put_manifest(kRepo, "v1", kManifest, kOciManifest);
    REQUIRE(p);
    CHECK(*p == kDigest);
  }
  SECTION("another") {
    Harness h;
    h.reply(resp(201, "", {{"docker-content-digest", common::sha256_digest("x")}}));
    auto p = h.client->put_manifest(kRepo, "v1", kManifest, kOciManifest);
    REQUIRE_FALSE(p);
    CHECK(p.error().kind() == ErrorKind::registry);
    CHECK(p.error().message() == "PUT /v2/team/app/manifests/v1: the registry stored digest " +
                                     common::sha256_digest("x") +
                                     ", not the digest of the bytes sent (" + kDigest + ")");
  }
}

TEST_CASE("manifest PUT preconditions: If-Match with the ETag read, If-None-Match for a new tag",
          "[client]") {
  Harness h;
  h.reply(resp(200, kManifest,
               {{"content-type", std::string(kOciManifest)}, {"etag", "\"" + kDigest + "\""}}));
  auto m = h.client->get_manifest(kRepo, "v1");
  REQUIRE(m);
  CHECK(m->etag == "\"" + kDigest + "\"");

  h.reply(resp(201));
  REQUIRE(h.client->put_manifest(kRepo, "v1", kManifest, kOciManifest, PutCondition{m->etag}));
  CHECK(h.log.back().header("If-Match") == "\"" + kDigest + "\"");
  CHECK(h.log.back().header("If-None-Match").empty());

  h.reply(resp(201));
  PutCondition create;
  create.if_none_match_any = true;
  REQUIRE(h.client->put_manifest(kRepo, "v2", kManifest, kOciManifest, create));
  CHECK(h.log.back().header("If-None-Match") == "*");
  CHECK(h.log.back().header("If-Match").empty());

  // Without a condition neither header is sent; a 412 is a registry error naming the status.
  h.reply(resp(412, R"({"errors":[{"code":"PRECONDITION_FAILED","message":"changed"}]})"));
  auto refused = h.client->put_manifest(kRepo, "v3", kManifest, kOciManifest);
  REQUIRE_FALSE(refused);
  CHECK(h.log.back().header("If-Match").empty());
  CHECK(h.log.back().header("If-None-Match").empty());
  CHECK(refused.error().kind() == ErrorKind::registry);
  CHECK(refused.error().message().find(": 412 ") != std::string::npos);
  CHECK(refused.error().http_status() == 412); // what callers test (client.h)
}

TEST_CASE("list_tags refuses a Link that loops back", "[client]") {
  Harness h;
  h.reply(
      resp(200, R"({"tags":["a"]})", {{"link", R"(</v2/team/app/tags/list?last=a>; rel="next")"}}));
  h.reply(
      resp(200, R"({"tags":["b"]})", {{"link", R"(</v2/team/app/tags/list?last=a>; rel="next")"}}));
  auto tags = h.client->list_tags(kRepo);
  REQUIRE_FALSE(tags);
  CHECK(tags.error().message() ==
        "GET /v2/team/app/tags/list: the tag list's Link header loops back");
  CHECK(h.log.size() == 2);
}

// --- hostile registries (issue 11) -----------------------------------------------------------

TEST_CASE("only image manifests and indexes are accepted as manifests", "[client][hostile]") {
  const std::string index =
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]})";
  const std::string bare_index = R"({"schemaVersion":2,"manifests":[]})";
  struct Case {
    const char* name;
    std::string body;
    std::string content_type;
    std::string error; // "" when accepted; else a part of the message
    std::string media_type{};
  };
  const std::vector<Case> cases = {
      {"a 200 text/html page", "<html>hello</html>", "text/html", "Content-Type 'text/html'"},
      {"JSON served as text/html", kManifest, "text/html; charset=utf-8",
       "Content-Type 'text/html'"},
      {"an index served as an image manifest", bare_index,
       "application/vnd.oci.image.manifest.v1+json", "the body is an index"},
      {"an index whose mediaType disagrees with the Content-Type", index,
       "application/vnd.oci.image.manifest.v1+json", "disagree"},
      {"an image manifest served as an index", kManifest, "application/vnd.oci.image.index.v1+json",
       "disagree"},
      {"a mediaType that is not a string", R"({"schemaVersion":2,"mediaType":7})", "",
       "not a string"},
      {"JSON of another kind", R"({"schemaVersion":2,"mediaType":"text/html"})", "application/json",
       "'text/html' is not an image manifest"},
      {"text with a NUL byte", kManifest + std::string(1, '\0') + "x", "", "not a JSON manifest"},
      {"an index by its body (application/json)", index, "application/json", "",
       "application/vnd.oci.image.index.v1+json"},
      {"an index by its shape alone", bare_index, "", "",
       "application/vnd.oci.image.index.v1+json"},
      {"a manifest by its mediaType", kManifest, "", "",
       "application/vnd.oci.image.manifest.v1+json"},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    Harness h;
    h.reply(resp(200, c.body, {{"content-type", c.content_type}}));
    auto m = h.client->get_manifest(kRepo, "v1");
    if (c.error.empty()) {
      REQUIRE(m);
      CHECK(m->media_type == c.media_type);
    } else {
      REQUIRE_FALSE(m);
      CHECK(m.error().kind() == ErrorKind::registry);
      CHECK_THAT(m.error().message(), Catch::Contains(c.error));
    }
  }
  SECTION("HEAD with a digest and a text/html Content-Type") {
    Harness h;
    h.reply(resp(200, "", {{"content-type", "text/html"}, {"docker-content-digest", kDigest}}));
    auto d = h.client->head_manifest(kRepo, "v1");
    REQUIRE_FALSE(d);
    CHECK(d.error().kind() == ErrorKind::registry);
  }
}

TEST_CASE("no plain-HTTP upload location or tag page over HTTPS", "[client][hostile]") {
  const std::string blob = "payload";
  const std::string digest = common::sha256_digest(blob);
  SECTION("upload location") {
    Harness h;
    h.reply(resp(404));
    h.reply(resp(202, "", {{"location", "http://reg.example:5000/v2/team/app/blobs/uploads/u1"}}));
    auto put = h.client->put_blob(kRepo, digest, blob);
    REQUIRE_FALSE(put);
    CHECK_THAT(put.error().message(), Catch::Contains("plain HTTP"));
    CHECK(h.log.size() == 2); // HEAD and POST: the blob never went out in clear
  }
  SECTION("next page of the tag list") {
    Harness h;
    h.reply(
        resp(200, R"({"tags":["a"]})",
             {{"link", R"(<http://reg.example:5000/v2/team/app/tags/list?last=a>; rel="next")"}}));
    auto tags = h.client->list_tags(kRepo);
    REQUIRE_FALSE(tags);
    CHECK_THAT(tags.error().message(), Catch::Contains("plain HTTP"));
    CHECK(h.log.size() == 1);
  }
}

TEST_CASE("tag lists that page forever are cut off", "[client][hostile]") {
  Harness h;
  for (int i = 0; i < 10; ++i)
    h.reply(resp(
        200, R"({"tags":[]})",
        {{"link", "</v2/team/app/tags/list?n=1&last=x" + std::to_string(i) + ">; rel=\"next\""}}));
  auto tags = h.client->list_tags(kRepo);
  REQUIRE_FALSE(tags);
  CHECK_THAT(tags.error().message(), Catch::Contains("empty tag pages"));
  CHECK(h.log.size() == 3);
}

TEST_CASE("has_tag reads the tag list from just before the tag", "[client][hostile]") {
  SECTION("present") {
    Harness h;
    h.reply(resp(200, R"({"tags":["sha256-ab.sig","v1"]})"));
    auto has = h.client->has_tag(kRepo, "sha256-ab.sig");
    REQUIRE(has);
    CHECK(*has);
    CHECK(h.log[0].url ==
          "https://reg.example:5000/v2/team/app/tags/list?n=100&last=sha256-ab.sif~");
  }
  SECTION("absent, the list passes the tag") {
    Harness h;
    h.reply(resp(200, R"({"tags":["v1","v2"]})",
                 {{"link", R"(</v2/team/app/tags/list?last=v2>; rel="next")"}}));
    auto has = h.client->has_tag(kRepo, "sha256-ab.sig");
    REQUIRE(has);
    CHECK_FALSE(*has);
    CHECK(h.log.size() == 1);
  }
}

TEST_CASE("secrets sent are masked in every error", "[client][hostile]") {
  ClientOptions o;
  o.credentials = {"alice", "s3cret-pw", ""};
  Harness h(o);
  const std::string basic = common::base64_encode("alice:s3cret-pw");
  h.reply(resp(401, "", {{"www-authenticate", R"(Basic realm="r")"}}));
  // A registry that echoes what it was sent, in the error text.
  h.reply(resp(400, R"({"errors":[{"code":"DENIED","message":"bad header Basic )" + basic +
                        R"( for s3cret-pw"}]})"));
  auto m = h.client->get_manifest(kRepo, "v1");
  REQUIRE_FALSE(m);
  CHECK(m.error().message().find(basic) == std::string::npos);
  CHECK(m.error().message().find("s3cret-pw") == std::string::npos);
  CHECK_THAT(m.error().message(), Catch::Contains("bad header Basic *** for ***"));
}

TEST_CASE("an overall deadline bounds every request and retry", "[client][hostile]") {
  ClientOptions o;
  o.deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(50);
  Harness h(o);
  h.fail(ErrorKind::network, "Operation timed out");
  h.fail(ErrorKind::network, "Operation timed out");
  std::this_thread::sleep_for(std::chrono::milliseconds(60));
  auto m = h.client->get_manifest(kRepo, "v1");
  REQUIRE_FALSE(m);
  CHECK(m.error().kind() == ErrorKind::network);
  CHECK_THAT(m.error().message(), Catch::Contains("deadline"));
  CHECK(h.log.empty());
}

TEST_CASE("secrets are masked before long registry text is cut, in every echoed form",
          "[client][hostile]") {
  ClientOptions o;
  const std::string password = "p@ss w/rd+S\xc3\xab"
                               "cret!x";
  o.credentials = {"alice", password, ""};
  const std::string basic = common::base64_encode("alice:" + password);
  const std::vector<std::string> echoes = {
      std::string(240, 'A') + " " + password,     // cut inside the password at 300 bytes
      "form p%40ss+w%2Frd%2BS%C3%ABcret%21x",     // form-encoded with '+' for spaces
      "alone " + common::base64_encode(password), // base64 of the password alone
      "basic " + basic,                           // with its padding
  };
  for (const auto& echo : echoes) {
    INFO(echo);
    Harness h(o);
    h.reply(resp(401, "", {{"www-authenticate", R"(Basic realm="r")"}}));
    h.reply(resp(400, R"({"errors":[{"code":"DENIED","message":")" + echo + R"("}]})"));
    auto m = h.client->get_manifest(kRepo, "v1");
    REQUIRE_FALSE(m);
    const std::string& msg = m.error().message();
    CHECK(msg.find("p@ss w") == std::string::npos);
    CHECK(msg.find("p%40ss") == std::string::npos);
    CHECK(msg.find(common::base64_encode(password).substr(0, 12)) == std::string::npos);
    CHECK(msg.find(basic.substr(0, 12)) == std::string::npos);
    CHECK(msg.find("***=") == std::string::npos);
  }
}

TEST_CASE("a token service answering 404 is a registry error, not a missing image",
          "[client][hostile]") {
  Harness h;
  h.reply(resp(401, "", {{"www-authenticate", R"(Bearer realm="https://auth.example/t")"}}));
  h.reply(resp(404));
  auto m = h.client->get_manifest(kRepo, "v1");
  REQUIRE_FALSE(m);
  CHECK(m.error().kind() == ErrorKind::registry);
}

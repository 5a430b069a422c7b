// Listing referrers (distribution-spec v1.1) and the OCI-Subject of a manifest PUT, against a
// scripted transport: exact requests, "no API" apart from errors, strict index parsing, limits.
#include <catch2/catch.hpp>

#include "common/digest.h"
#include "registry/client.h"
#include "tests/unit/registry/scripted_client.h"

using namespace isign;
using namespace isign::registry;
using namespace isign::testing;
using common::ErrorKind;

namespace {

const Repository kRepo{"reg.example:5000", "team/app"};
const std::string kSubject = "sha256:" + std::string(64, 'a');
const std::string kRef1 = "sha256:" + std::string(64, '1');
const std::string kRef2 = "sha256:" + std::string(64, '2');
const std::string kUrl = "https://reg.example:5000/v2/team/app/referrers/" + kSubject;
const std::string kBundleType = "application/vnd.dev.sigstore.bundle.v0.3+json";
const std::string kSbomType = "application/spdx+json";

std::string descriptor(const std::string& digest, const std::string& artifact_type,
                       const std::string& annotations = "") {
  std::string d = R"({"mediaType":"application/vnd.oci.image.manifest.v1+json","size":123,)"
                  R"("digest":")" +
                  digest + "\"";
  if (!annotations.empty())
    d += ",\"annotations\":" + annotations;
  if (!artifact_type.empty())
    d += ",\"artifactType\":\"" + artifact_type + "\"";
  return d + "}";
}

std::string index_of(const std::string& manifests) {
  return R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json",)"
         R"("manifests":[)" +
         manifests + "]}";
}

HttpResponse index_answer(const std::string& body,
                          std::multimap<std::string, std::string> headers = {}) {
  headers.emplace("content-type", std::string(kOciIndex));
  return resp(200, body, std::move(headers));
}

// Every request of the log is a GET of a referrers page with the OCI index accepted.
void check_referrers_gets(const std::vector<Recorded>& log) {
  for (const auto& r : log) {
    CHECK(r.method == "GET");
    CHECK(r.header("Accept") == kOciIndex);
  }
}

} // namespace

TEST_CASE("list_referrers reads one page of an OCI index", "[client][referrers]") {
  Harness h;
  h.reply(index_answer(index_of(
      descriptor(kRef1, kBundleType, R"({"dev.sigstore.bundle.content":"dsse-envelope","b":"2"})") +
      "," + descriptor(kRef2, ""))));
  auto r = h.client->list_referrers(kRepo, kSubject);
  REQUIRE(r);
  CHECK(r->api);
  REQUIRE(r->descriptors.size() == 2);
  const auto& d = r->descriptors[0];
  CHECK(d.media_type == kOciManifest);
  CHECK(d.digest == kRef1);
  CHECK(d.size == 123);
  CHECK(d.artifact_type == kBundleType);
  CHECK(d.annotations == std::map<std::string, std::string>{
                             {"b", "2"}, {"dev.sigstore.bundle.content", "dsse-envelope"}});
  CHECK(r->descriptors[1].digest == kRef2);
  CHECK(r->descriptors[1].artifact_type.empty());
  CHECK(r->descriptors[1].annotations.empty());
  REQUIRE(h.log.size() == 1);
  CHECK(h.log[0].url == kUrl);
  check_referrers_gets(h.log);
  CHECK(h.client->request_count() == 1);
}

TEST_CASE("list_referrers follows Link rel=next pages to the end", "[client][referrers]") {
  Harness h;
  h.reply(index_answer(
      index_of(descriptor(kRef1, kBundleType)),
      {{"link", "</v2/team/app/referrers/" + kSubject + "?n=1&last=1>; rel=\"next\""}}));
  h.reply(index_answer(index_of(descriptor(kRef2, kBundleType)),
                       {{"link", R"(</v2/team/app/referrers/x>; rel="prev")"}}));
  auto r = h.client->list_referrers(kRepo, kSubject);
  REQUIRE(r);
  CHECK(r->api);
  REQUIRE(r->descriptors.size() == 2);
  CHECK(r->descriptors[0].digest == kRef1);
  CHECK(r->descriptors[1].digest == kRef2);
  REQUIRE(h.log.size() == 2);
  CHECK(h.log[0].url == kUrl);
  CHECK(h.log[1].url == kUrl + "?n=1&last=1");
  check_referrers_gets(h.log);
}

// The distribution spec leaves paging to the registry (a page may hold any number of descriptors,
// none included, and still link to the next): an empty page is no sign of a registry that pages
// forever, only the bounds on pages and entries are.
TEST_CASE("list_referrers follows empty pages to the one that holds a descriptor",
          "[client][referrers]") {
  Harness h;
  for (int i = 0; i < 5; ++i)
    h.reply(index_answer(index_of(""), {{"link", "</v2/team/app/referrers/" + kSubject + "?p=" +
                                                     std::to_string(i) + ">; rel=\"next\""}}));
  h.reply(index_answer(index_of(descriptor(kRef1, kBundleType))));
  auto r = h.client->list_referrers(kRepo, kSubject);
  REQUIRE(r);
  CHECK(r->api);
  REQUIRE(r->descriptors.size() == 1);
  CHECK(r->descriptors[0].digest == kRef1);
  CHECK(r->descriptors[0].artifact_type == kBundleType);
  REQUIRE(h.log.size() == 6);
  CHECK(h.log[0].url == kUrl);
  for (std::size_t i = 1; i < h.log.size(); ++i)
    CHECK(h.log[i].url == kUrl + "?p=" + std::to_string(i - 1));
  check_referrers_gets(h.log);
}

TEST_CASE("list_referrers: an empty list is the API saying none", "[client][referrers]") {
  Harness h;
  h.reply(index_answer(index_of(""), {}));
  auto r = h.client->list_referrers(kRepo, kSubject);
  REQUIRE(r);
  CHECK(r->api);
  CHECK(r->descriptors.empty());
  CHECK(h.log.size() == 1);
}

TEST_CASE("list_referrers: artifactType filter by the registry or by the client",
          "[client][referrers]") {
  const std::string query = "?artifactType=application%2Fvnd.dev.sigstore.bundle.v0.3%2Bjson";
  SECTION("the registry says it filtered: its answer is taken as is") {
    Harness h;
    h.reply(index_answer(index_of(descriptor(kRef1, kBundleType)),
                         {{"oci-filters-applied", "artifactType"}}));
    auto r = h.client->list_referrers(kRepo, kSubject, kBundleType);
    REQUIRE(r);
    REQUIRE(r->descriptors.size() == 1);
    CHECK(r->descriptors[0].digest == kRef1);
    REQUIRE(h.log.size() == 1);
    CHECK(h.log[0].url == kUrl + query);
    check_referrers_gets(h.log);
  }
  SECTION("a list of filters naming artifactType counts too") {
    Harness h;
    h.reply(index_answer(index_of(descriptor(kRef1, "")),
                         {{"oci-filters-applied", "annotation, artifactType"}}));
    auto r = h.client->list_referrers(kRepo, kSubject, kBundleType);
    REQUIRE(r);
    CHECK(r->descriptors.size() == 1); // trusted: the registry knows the manifests
  }
  SECTION("no OCI-Filters-Applied: the client filters") {
    Harness h;
    h.reply(index_answer(
        index_of(descriptor(kRef1, kSbomType) + "," + descriptor(kRef2, kBundleType))));
    auto r = h.client->list_referrers(kRepo, kSubject, kBundleType);
    REQUIRE(r);
    REQUIRE(r->descriptors.size() == 1);
    CHECK(r->descriptors[0].digest == kRef2);
    CHECK(h.log[0].url == kUrl + query);
  }
  SECTION("another filter applied is not the artifactType filter") {
    Harness h;
    h.reply(index_answer(index_of(descriptor(kRef1, kSbomType)),
                         {{"oci-filters-applied", "artifactTypes"}}));
    auto r = h.client->list_referrers(kRepo, kSubject, kBundleType);
    REQUIRE(r);
    CHECK(r->descriptors.empty());
  }
}

TEST_CASE("list_referrers: a registry without the API says so, nothing else does",
          "[client][referrers]") {
  struct Case {
    long status;
    std::string content_type;
    std::string body;
  };
  for (const auto& c : std::vector<Case>{
           {404, "text/plain; charset=utf-8", "404 page not found\n"},
           {404, "application/json", R"({"errors":[{"code":"NAME_UNKNOWN","message":"x"}]})"},
           {400, "application/json", R"({"errors":[{"code":"UNSUPPORTED","message":"x"}]})"},
           {406, "", ""},
           {200, "text/html", "<html>rate limited</html>"},
           {200, "application/json", index_of("")},
       }) {
    CAPTURE(c.status, c.content_type);
    Harness h;
    h.reply(resp(c.status, c.body, {{"content-type", c.content_type}}));
    auto r = h.client->list_referrers(kRepo, kSubject);
    REQUIRE(r);
    CHECK_FALSE(r->api);
    CHECK(r->descriptors.empty());
    REQUIRE(h.log.size() == 1); // no retry: a 4xx is an answer
    CHECK(h.log[0].url == kUrl);
    check_referrers_gets(h.log);
  }
}

TEST_CASE("list_referrers: a 401 goes through the token flow first", "[client][referrers]") {
  ClientOptions o;
  o.credentials = {"alice", "s3cret", ""};
  Harness h(o);
  h.reply(resp(401, "",
               {{"www-authenticate",
                 R"(Bearer realm="https://auth.example/token",service="reg.example")"}}));
  h.reply(resp(200, R"({"token":"T1"})"));
  h.reply(index_answer(index_of(descriptor(kRef1, kBundleType))));
  auto r = h.client->list_referrers(kRepo, kSubject);
  REQUIRE(r);
  CHECK(r->api);
  CHECK(r->descriptors.size() == 1);
  REQUIRE(h.log.size() == 3);
  CHECK(h.log[0].url == kUrl);
  CHECK(h.log[0].header("Accept") == kOciIndex);
  CHECK(h.log[1].url ==
        "https://auth.example/token?service=reg.example&scope=repository%3Ateam%2Fapp%3Apull");
  CHECK(h.log[2].url == kUrl);
  CHECK(h.log[2].header("Accept") == kOciIndex);
  CHECK(h.log[2].header("Authorization") == "Bearer T1");
  CHECK(h.client->request_count() == 3);
}

TEST_CASE("list_referrers: refusals, throttling and server errors are errors, not 'no API'",
          "[client][referrers]") {
  const std::string challenge = R"(Bearer realm="https://auth.example/token",service="svc")";
  SECTION("401 after a fresh token") {
    Harness h;
    h.reply(resp(401, "", {{"www-authenticate", challenge}}));
    h.reply(resp(200, R"({"token":"T"})"));
    h.reply(resp(401, R"({"errors":[{"code":"UNAUTHORIZED","message":"no"}]})",
                 {{"www-authenticate", challenge}}));
    auto r = h.client->list_referrers(kRepo, kSubject);
    REQUIRE_FALSE(r);
    CHECK(r.error().kind() == ErrorKind::registry);
    CHECK(r.error().http_status() == 401);
    CHECK(h.log.size() == 3);
  }
  SECTION("403") {
    Harness h;
    h.reply(resp(403, R"({"errors":[{"code":"DENIED","message":"denied"}]})"));
    auto r = h.client->list_referrers(kRepo, kSubject);
    REQUIRE_FALSE(r);
    CHECK(r.error().kind() == ErrorKind::registry);
    CHECK(r.error().http_status() == 403);
    CHECK(r.error().message().rfind("GET /v2/team/app/referrers/" + kSubject +
                                        ": 403 Forbidden (DENIED: denied); check the credentials",
                                    0) == 0);
    CHECK(h.log.size() == 1);
  }
  SECTION("429 that persists") {
    Harness h;
    for (int i = 0; i < 4; ++i)
      h.reply(resp(429, "", {{"retry-after", "0"}}));
    auto r = h.client->list_referrers(kRepo, kSubject);
    REQUIRE_FALSE(r);
    CHECK(r.error().kind() == ErrorKind::throttled);
    CHECK(h.log.size() == 4);
  }
  SECTION("500 after the retries") {
    Harness h;
    for (int i = 0; i < 4; ++i)
      h.reply(resp(500));
    auto r = h.client->list_referrers(kRepo, kSubject);
    REQUIRE_FALSE(r);
    CHECK(r.error().kind() == ErrorKind::registry);
    CHECK(r.error().http_status() == 500);
    CHECK(h.log.size() == 4);
    CHECK(h.waits.size() == 3);
  }
  SECTION("500 then the index") {
    Harness h;
    h.reply(resp(502));
    h.reply(index_answer(index_of("")));
    auto r = h.client->list_referrers(kRepo, kSubject);
    REQUIRE(r);
    CHECK(r->api);
    CHECK(h.log.size() == 2);
  }
  SECTION("a timeout") {
    ClientOptions o;
    o.max_retries = 0;
    Harness h(o);
    h.fail(ErrorKind::network, "Operation timed out after 120000 milliseconds");
    auto r = h.client->list_referrers(kRepo, kSubject);
    REQUIRE_FALSE(r);
    CHECK(r.error().kind() == ErrorKind::network);
  }
  SECTION("a redirect to an HTML page") {
    Harness h;
    auto answer = resp(200, "<html>slow down</html>", {{"content-type", "text/html"}});
    answer.effective_url = "https://ratelimit.example/limited?token=abc";
    h.reply(answer);
    auto r = h.client->list_referrers(kRepo, kSubject);
    REQUIRE_FALSE(r);
    CHECK(r.error().kind() == ErrorKind::registry);
    CHECK(r.error().message() == "GET /v2/team/app/referrers/" + kSubject +
                                     ": redirected to https://ratelimit.example/limited, which "
                                     "answered 200 with Content-Type 'text/html', not an image "
                                     "index");
  }
  SECTION("a redirect to an index is followed") {
    Harness h;
    auto answer = index_answer(index_of(descriptor(kRef1, kBundleType)));
    answer.effective_url = "https://mirror.example/referrers";
    h.reply(answer);
    auto r = h.client->list_referrers(kRepo, kSubject);
    REQUIRE(r);
    CHECK(r->descriptors.size() == 1);
  }
  SECTION("a second page that is not an index") {
    Harness h;
    h.reply(
        index_answer(index_of(descriptor(kRef1, kBundleType)),
                     {{"link", "</v2/team/app/referrers/" + kSubject + "?p=2>; rel=\"next\""}}));
    h.reply(resp(404, "404 page not found", {{"content-type", "text/plain"}}));
    auto r = h.client->list_referrers(kRepo, kSubject);
    REQUIRE_FALSE(r);
    CHECK(r.error().kind() == ErrorKind::not_found);
    CHECK(r.error().http_status() == 404);
  }
}

TEST_CASE("list_referrers: a malformed index is a registry error naming what is wrong",
          "[client][referrers]") {
  const std::string path = "GET /v2/team/app/referrers/" + kSubject + ": ";
  const std::string ok_entry = descriptor(kRef1, kBundleType);
  struct Case {
    std::string body;
    std::string message;
  };
  for (const auto& c : std::vector<Case>{
           {"{not json", "the referrers list is not a JSON object"},
           {"[]", "the referrers list is not a JSON object"},
           {R"({"manifests":[],"manifests":[]})", "the referrers list is not a JSON object"},
           {R"({"schemaVersion":2})", "the referrers list has no manifests array"},
           {R"({"manifests":{}})", "the referrers list has no manifests array"},
           {R"({"mediaType":"application/vnd.oci.image.manifest.v1+json","manifests":[]})",
            "the referrers list's mediaType is not application/vnd.oci.image.index.v1+json"},
           {index_of(ok_entry + ",3"), "manifests[1] of the referrers list is not an object"},
           {index_of(R"({"mediaType":"m","size":1})"),
            "manifests[0] of the referrers list has no string digest"},
           {index_of(R"({"digest":")" + kRef1 + R"(","size":1})"),
            "manifests[0] of the referrers list has no string mediaType"},
           {index_of(R"({"mediaType":"m","digest":"sha256:../../x","size":1})"),
            "manifests[0] of the referrers list has invalid digest 'sha256:../../x': expected "
            "sha256: followed by 64 lowercase hex digits"},
           {index_of(R"({"mediaType":"m","digest":")" + kRef1 + R"("})"),
            "manifests[0] of the referrers list has no non-negative integer size"},
           {index_of(R"({"mediaType":"m","digest":")" + kRef1 + R"(","size":-1})"),
            "manifests[0] of the referrers list has no non-negative integer size"},
           {index_of(R"({"mediaType":"m","digest":")" + kRef1 + R"(","size":1.5})"),
            "manifests[0] of the referrers list has no non-negative integer size"},
           {index_of(R"({"mediaType":"m","digest":")" + kRef1 + R"(","size":9223372036854775808})"),
            "manifests[0] of the referrers list has no non-negative integer size"},
           {index_of(R"({"mediaType":"m","digest":")" + kRef1 + R"(","size":1,"artifactType":1})"),
            "manifests[0] of the referrers list has an artifactType that is not a string"},
           {index_of(R"({"mediaType":"m","digest":")" + kRef1 + R"(","size":1,"annotations":[]})"),
            "manifests[0] of the referrers list has annotations that are not an object"},
           {index_of(R"({"mediaType":"m","digest":")" + kRef1 +
                     R"(","size":1,"annotations":{"a":1}})"),
            "manifests[0] of the referrers list has an annotation whose value is not a string"},
       }) {
    CAPTURE(c.body);
    Harness h;
    h.reply(index_answer(c.body));
    auto r = h.client->list_referrers(kRepo, kSubject);
    REQUIRE_FALSE(r);
    CHECK(r.error().kind() == ErrorKind::registry);
    CHECK(r.error().message() == path + c.message);
    CHECK(h.log.size() == 1); // a malformed answer is not retried
  }
}

TEST_CASE("list_referrers: the subject must be a sha256 digest", "[client][referrers]") {
  for (const std::string& bad : std::vector<std::string>{
           "v1", "sha256:abc", "sha512:" + std::string(128, 'a'), "sha256:" + std::string(64, 'A'),
           "sha256:" + std::string(63, 'a') + "/"}) {
    CAPTURE(bad);
    Harness h;
    auto r = h.client->list_referrers(kRepo, bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().kind() == ErrorKind::usage);
    CHECK(h.log.empty());
  }
}

TEST_CASE("list_referrers: limits on page size, pages and endless empty pages",
          "[client][referrers][hostile]") {
  SECTION("a page larger than max_manifest_size") {
    ClientOptions o;
    o.max_manifest_size = 100;
    Harness h(o);
    h.reply(index_answer(
        index_of(descriptor(kRef1, kBundleType) + "," + descriptor(kRef2, kBundleType))));
    auto r = h.client->list_referrers(kRepo, kSubject);
    REQUIRE_FALSE(r);
    CHECK(r.error().kind() == ErrorKind::limit);
    CHECK(r.error().message() == "GET /v2/team/app/referrers/" + kSubject +
                                     ": the referrers page is larger than the limit of 100 bytes");
    CHECK(h.log.size() == 1); // not retried
  }
  SECTION("a Link back to a page already read") {
    Harness h;
    const std::string self = "</v2/team/app/referrers/" + kSubject + ">; rel=\"next\"";
    h.reply(index_answer(index_of(descriptor(kRef1, kBundleType)), {{"link", self}}));
    auto r = h.client->list_referrers(kRepo, kSubject);
    REQUIRE_FALSE(r);
    CHECK(r.error().message() == "GET /v2/team/app/referrers/" + kSubject +
                                     ": the referrers list's Link header loops back");
    CHECK(h.log.size() == 1);
  }
  SECTION("empty pages that go on forever end at the page bound") {
    Harness h;
    for (std::size_t i = 0; i <= kMaxReferrerPages; ++i)
      h.reply(index_answer(index_of(""), {{"link", "</v2/team/app/referrers/" + kSubject + "?p=" +
                                                       std::to_string(i) + ">; rel=\"next\""}}));
    auto r = h.client->list_referrers(kRepo, kSubject);
    REQUIRE_FALSE(r);
    CHECK(r.error().kind() == ErrorKind::limit);
    CHECK(r.error().message() == "GET /v2/team/app/referrers/" + kSubject +
                                     ": the referrers list has more than 1000 pages");
    CHECK(h.log.size() == kMaxReferrerPages);
  }
  SECTION("more pages than kMaxReferrerPages") {
    Harness h;
    for (std::size_t i = 0; i <= kMaxReferrerPages; ++i)
      h.reply(index_answer(index_of(descriptor(common::sha256_digest(std::to_string(i)), "")),
                           {{"link", "</v2/team/app/referrers/" + kSubject +
                                         "?p=" + std::to_string(i) + ">; rel=\"next\""}}));
    auto r = h.client->list_referrers(kRepo, kSubject);
    REQUIRE_FALSE(r);
    CHECK(r.error().kind() == ErrorKind::limit);
    CHECK_THAT(r.error().message(), Catch::Contains("has more than 1000 pages"));
    CHECK(h.log.size() == kMaxReferrerPages);
  }
  SECTION("plain HTTP next page over HTTPS") {
    Harness h;
    h.reply(index_answer(index_of(descriptor(kRef1, kBundleType)),
                         {{"link", "<http://reg.example:5000/v2/team/app/referrers/" + kSubject +
                                       "?p=2>; rel=\"next\""}}));
    auto r = h.client->list_referrers(kRepo, kSubject);
    REQUIRE_FALSE(r);
    CHECK_THAT(r.error().message(), Catch::Contains("plain HTTP"));
    CHECK(h.log.size() == 1);
  }
}

TEST_CASE("put_manifest_with_subject returns the OCI-Subject the registry answered",
          "[client][referrers]") {
  const std::string manifest =
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","subject":)"
      R"({"mediaType":"application/vnd.oci.image.manifest.v1+json","size":1,"digest":")" +
      kSubject + R"("}})";
  const std::string digest = common::sha256_digest(manifest);
  SECTION("a registry with the API") {
    Harness h;
    h.reply(resp(201, "", {{"docker-content-digest", digest}, {"oci-subject", kSubject}}));
    auto put = h.client->put_manifest_with_subject(kRepo, digest, manifest, kOciManifest);
    REQUIRE(put);
    CHECK(put->digest == digest);
    CHECK(put->oci_subject == kSubject);
    REQUIRE(h.log.size() == 1);
    CHECK(h.log[0].method == "PUT");
    CHECK(h.log[0].url == "https://reg.example:5000/v2/team/app/manifests/" + digest);
    CHECK(h.log[0].header("Content-Type") == kOciManifest);
    CHECK(h.log[0].header("If-Match").empty());
    CHECK(h.log[0].body == manifest);
  }
  SECTION("a registry without it") {
    Harness h;
    h.reply(resp(201, "", {{"docker-content-digest", digest}}));
    auto put = h.client->put_manifest_with_subject(kRepo, digest, manifest, kOciManifest);
    REQUIRE(put);
    CHECK(put->digest == digest);
    CHECK(put->oci_subject.empty());
  }
  SECTION("a refusal is the same error as put_manifest's") {
    Harness h;
    h.reply(resp(400, R"({"errors":[{"code":"MANIFEST_INVALID","message":"bad"}]})"));
    auto put = h.client->put_manifest_with_subject(kRepo, digest, manifest, kOciManifest);
    REQUIRE_FALSE(put);
    CHECK(put.error().http_status() == 400);
    CHECK(put.error().message() ==
          "PUT /v2/team/app/manifests/" + digest + ": 400 Bad Request (MANIFEST_INVALID: bad)");
  }
}

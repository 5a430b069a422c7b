// The referrers proxy (tests/support/referrers_proxy.h) in front of a real docker-registry, and
// registry::Client's referrers listing and OCI-Subject through it (the API) and at the registry
// itself (distribution 2.8: no API).
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "common/digest.h"
#include "registry/client.h"
#include "tests/support/images.h"
#include "tests/support/referrers_proxy.h"

using namespace isign;
using namespace isign::testing;

namespace {

constexpr const char* kBundleType = "application/vnd.dev.sigstore.bundle.v0.3+json";
constexpr const char* kEmptyType = "application/vnd.oci.empty.v1+json";

// A referrer of subject as cosign v3 shapes it (docs/formats.md section 11), its blobs pushed; with
// artifact_type empty it has none and its config's media type stands in.
struct Referrer {
  std::string bytes;
  std::string digest;
};
Referrer make_referrer(const RegistryEndpoint& ep, const std::string& repo,
                       const PushedImage& subject, const std::string& artifact_type,
                       const std::string& created = "2026-11-30T09:00:00Z") {
  const std::string config_digest = push_blob(ep, repo, "{}");
  const std::string layer = random_bytes(64);
  const std::string layer_digest = push_blob(ep, repo, layer);
  nlohmann::ordered_json m;
  m["schemaVersion"] = 2;
  m["mediaType"] = kOciManifestType;
  m["config"] = {{"mediaType", artifact_type.empty() ? kOciConfigType : kEmptyType},
                 {"size", 2},
                 {"digest", config_digest}};
  m["layers"] = nlohmann::ordered_json::array(
      {{{"mediaType", kBundleType}, {"size", layer.size()}, {"digest", layer_digest}}});
  m["annotations"] = {{"dev.sigstore.bundle.content", "dsse-envelope"},
                      {"org.opencontainers.image.created", created}};
  m["subject"] = {{"mediaType", subject.media_type},
                  {"size", subject.manifest.size()},
                  {"digest", subject.digest}};
  if (!artifact_type.empty())
    m["artifactType"] = artifact_type;
  Referrer r;
  r.bytes = m.dump();
  r.digest = common::sha256_digest(r.bytes);
  return r;
}

std::unique_ptr<registry::Client> make_client() {
  registry::ClientOptions o;
  o.allow_http = true;
  o.use_credential_store = false;
  o.max_retries = 1;
  o.sleep = [](std::chrono::milliseconds) {};
  return registry::Client::create(std::move(o));
}

} // namespace

TEST_CASE("referrers proxy: records a PUT with a subject, lists it, forgets it on DELETE",
          "[e2e][referrers][proxy]") {
  RegistryFixture reg;
  PushedImage image = push_image(reg, "team/app", "v1");
  ReferrersProxy proxy(reg);
  RegistryApi api(proxy);
  Referrer ref = make_referrer(proxy, "team/app", image, kBundleType);

  HttpResult put = api.request("PUT", "/v2/team/app/manifests/" + ref.digest, ref.bytes,
                               {std::string("Content-Type: ") + kOciManifestType});
  REQUIRE(put.status == 201);
  CHECK(put.header("oci-subject") == image.digest);
  CHECK(proxy.recorded_referrers("team/app", image.digest) == std::vector<std::string>{ref.digest});
  // A manifest without a subject is forwarded as is.
  HttpResult plain = api.request("PUT", "/v2/team/app/manifests/v2", image.manifest,
                                 {std::string("Content-Type: ") + image.media_type});
  REQUIRE(plain.status == 201);
  CHECK(plain.header("oci-subject").empty());

  HttpResult list = api.request("GET", "/v2/team/app/referrers/" + image.digest, "",
                                {std::string("Accept: ") + kOciIndexType});
  REQUIRE(list.status == 200);
  CHECK(list.header("content-type") == kOciIndexType);
  CHECK(list.header("oci-filters-applied").empty());
  auto index = nlohmann::json::parse(list.body);
  CHECK(index["schemaVersion"] == 2);
  CHECK(index["mediaType"] == kOciIndexType);
  REQUIRE(index["manifests"].size() == 1);
  const auto& d = index["manifests"][0];
  CHECK(d["mediaType"] == kOciManifestType);
  CHECK(d["digest"] == ref.digest);
  CHECK(d["size"] == ref.bytes.size());
  CHECK(d["artifactType"] == kBundleType);
  CHECK(d["annotations"]["dev.sigstore.bundle.content"] == "dsse-envelope");

  SECTION("?artifactType= is applied and said so") {
    HttpResult other =
        api.request("GET", "/v2/team/app/referrers/" + image.digest + "?artifactType=text%2Fplain");
    REQUIRE(other.status == 200);
    CHECK(other.header("oci-filters-applied") == "artifactType");
    CHECK(nlohmann::json::parse(other.body)["manifests"].empty());
    HttpResult same = api.request("GET", "/v2/team/app/referrers/" + image.digest +
                                             "?artifactType=application%2Fvnd.dev.sigstore."
                                             "bundle.v0.3%2Bjson");
    CHECK(nlohmann::json::parse(same.body)["manifests"].size() == 1);
  }
  SECTION("a subject without referrers is an empty list, never 404") {
    HttpResult none =
        api.request("GET", "/v2/team/app/referrers/" + common::sha256_digest("nothing"));
    REQUIRE(none.status == 200);
    CHECK(nlohmann::json::parse(none.body)["manifests"] == nlohmann::json::array());
  }
  SECTION("a DELETE of the referrer removes it") {
    CHECK(api.delete_manifest("team/app", ref.digest) == 202);
    CHECK(proxy.recorded_referrers("team/app", image.digest).empty());
    HttpResult after = api.request("GET", "/v2/team/app/referrers/" + image.digest);
    CHECK(nlohmann::json::parse(after.body)["manifests"].empty());
  }
  CHECK(proxy.referrers_served() >= 1);
  CHECK(proxy.count("GET", "/referrers/") == proxy.referrers_served());
  CHECK(proxy.requests().back().fault == "referrers");
}

TEST_CASE("registry::Client lists referrers through the proxy, the registry itself has no API",
          "[e2e][referrers][registry]") {
  RegistryFixture reg;
  PushedImage image = push_image(reg, "app", "v1");
  ReferrersProxy proxy(reg);
  auto client = make_client();
  const registry::Repository through{proxy.url(), "app"};
  const registry::Repository direct{reg.url(), "app"};

  Referrer ref = make_referrer(proxy, "app", image, kBundleType);
  auto put = client->put_manifest_with_subject(through, ref.digest, ref.bytes, kOciManifestType);
  REQUIRE(put);
  CHECK(put->digest == ref.digest);
  CHECK(put->oci_subject == image.digest);
  // The same PUT at the registry: stored, but no OCI-Subject (the referrers tag is the writer's).
  auto put_direct =
      client->put_manifest_with_subject(direct, ref.digest, ref.bytes, kOciManifestType);
  REQUIRE(put_direct);
  CHECK(put_direct->oci_subject.empty());

  auto listed = client->list_referrers(through, image.digest);
  REQUIRE(listed);
  CHECK(listed->api);
  REQUIRE(listed->descriptors.size() == 1);
  const auto& d = listed->descriptors[0];
  CHECK(d.media_type == kOciManifestType);
  CHECK(d.digest == ref.digest);
  CHECK(d.size == ref.bytes.size());
  CHECK(d.artifact_type == kBundleType);
  CHECK(d.annotations == std::map<std::string, std::string>{
                             {"dev.sigstore.bundle.content", "dsse-envelope"},
                             {"org.opencontainers.image.created", "2026-11-30T09:00:00Z"}});
  CHECK(proxy.referrers_served() == 1);

  auto filtered = client->list_referrers(through, image.digest, "application/spdx+json");
  REQUIRE(filtered);
  CHECK(filtered->api);
  CHECK(filtered->descriptors.empty());

  auto at_registry = client->list_referrers(direct, image.digest);
  REQUIRE(at_registry);
  CHECK_FALSE(at_registry->api); // distribution 2.8: 404 text/plain
  CHECK(at_registry->descriptors.empty());
}

TEST_CASE("registry::Client follows referrers pages and filters when the registry does not",
          "[e2e][referrers][registry]") {
  RegistryFixture reg;
  PushedImage image = push_image(reg, "app", "v1");
  ReferrersProxy proxy(reg, {.page_size = 2, .filter = false});
  auto client = make_client();
  const registry::Repository repo{proxy.url(), "app"};
  std::vector<std::string> pushed;
  for (int i = 0; i < 5; ++i) {
    Referrer ref = make_referrer(proxy, "app", image, i % 2 == 0 ? kBundleType : "",
                                 "2026-11-30T09:00:0" + std::to_string(i) + "Z");
    auto put = client->put_manifest_with_subject(repo, ref.digest, ref.bytes, kOciManifestType);
    REQUIRE(put);
    CHECK(put->oci_subject == image.digest);
    pushed.push_back(ref.digest);
  }

  auto all = client->list_referrers(repo, image.digest);
  REQUIRE(all);
  CHECK(all->api);
  std::vector<std::string> listed;
  for (const auto& d : all->descriptors)
    listed.push_back(d.digest);
  CHECK(listed == pushed);
  CHECK(proxy.count("GET", "/referrers/") == 3);              // 2 + 2 + 1
  CHECK(all->descriptors[1].artifact_type == kOciConfigType); // no artifactType: the config's

  auto bundles = client->list_referrers(repo, image.digest, kBundleType);
  REQUIRE(bundles);
  REQUIRE(bundles->descriptors.size() == 3);
  CHECK(bundles->descriptors[0].digest == pushed[0]);
  CHECK(bundles->descriptors[1].digest == pushed[2]);
  CHECK(bundles->descriptors[2].digest == pushed[4]);
  CHECK(proxy.count("GET", "/referrers/") == 6);
}

TEST_CASE("registry::Client: a throttled referrers API is an error, not 'no API'",
          "[e2e][referrers][registry]") {
  RegistryFixture reg;
  PushedImage image = push_image(reg, "app", "v1");
  ReferrersProxy proxy(reg);
  proxy.inject({"GET", "/referrers/", Fault::throttle(0), -1});
  auto client = make_client();
  auto listed = client->list_referrers({proxy.url(), "app"}, image.digest);
  REQUIRE_FALSE(listed);
  CHECK(listed.error().kind() == common::ErrorKind::throttled);
  CHECK(proxy.count("GET", "/referrers/") == 2); // max_retries 1
  CHECK(proxy.referrers_served() == 0);
}

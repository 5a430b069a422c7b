// Reading AdmissionReview requests as the API server sends them (testdata/admission, provenance
// in its PROVENANCE.md) and writing the answers, byte for byte.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/encoding.h"
#include "common/file.h"
#include "server/admission.h"

using namespace isign;
using server::parse_admission_review;

namespace {

const std::string kDigest = "sha256:" + std::string(64, 'a');

std::string review(const std::string& name) {
  auto text = common::read_file(std::string(ISIGN_TESTDATA_DIR) + "/admission/" + name);
  REQUIRE(text);
  std::string s = *text;
  for (auto [from, to] : {std::pair<std::string, std::string>{"REGISTRY", "127.0.0.1:5000"},
                          {"sha256:DIGEST", kDigest}})
    for (auto pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size()))
      s.replace(pos, from.size(), to);
  return s;
}

std::vector<std::string> pointers(const server::AdmissionRequest& r) {
  std::vector<std::string> out;
  for (const auto& i : r.images)
    out.push_back(i.pointer + " " + i.image);
  return out;
}

} // namespace

TEST_CASE("admission: every workload kind's images, where a patch would go") {
  struct Case {
    std::string file, kind;
    std::vector<std::string> images;
  };
  const std::string app = "127.0.0.1:5000/app:v1", pinned = "127.0.0.1:5000/app@" + kDigest;
  const std::vector<Case> cases = {
      {"pod.json",
       "Pod",
       {"/spec/initContainers/0/image 127.0.0.1:5000/other:v2", "/spec/containers/0/image " + app}},
      {"pod-ephemeral.json",
       "Pod",
       {"/spec/containers/0/image " + pinned,
        "/spec/ephemeralContainers/0/image 127.0.0.1:5000/other:v2"}},
      {"deployment.json", "Deployment", {"/spec/template/spec/containers/0/image " + app}},
      {"replicaset.json", "ReplicaSet", {"/spec/template/spec/containers/0/image " + pinned}},
      {"statefulset.json", "StatefulSet", {"/spec/template/spec/containers/0/image " + app}},
      {"daemonset.json", "DaemonSet", {"/spec/template/spec/containers/0/image " + pinned}},
      {"job.json", "Job", {"/spec/template/spec/containers/0/image " + app}},
      {"cronjob.json",
       "CronJob",
       {"/spec/jobTemplate/spec/template/spec/containers/0/image " + app}},
  };
  for (const auto& c : cases) {
    INFO(c.file);
    auto r = parse_admission_review(review(c.file));
    REQUIRE(r);
    CHECK(r->kind == c.kind);
    CHECK(r->checked_kind);
    CHECK_FALSE(r->uid.empty());
    CHECK(pointers(*r) == c.images);
  }
}

TEST_CASE("admission: DELETE and kinds without pods have no images") {
  for (const char* file : {"pod-delete.json", "service.json"}) {
    INFO(file);
    auto r = parse_admission_review(review(file));
    REQUIRE(r);
    CHECK(r->images.empty());
  }
  auto svc = parse_admission_review(review("service.json"));
  CHECK_FALSE(svc->checked_kind);
}

TEST_CASE("admission: what is not a review is refused, naming why") {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "not an AdmissionReview"},
      {"[]", "not a JSON object"},
      {R"({"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview","request":{}})",
       "admission.k8s.io/v1beta1"},
      {R"({"apiVersion":"admission.k8s.io/v1","kind":"Pod","request":{}})", "kind"},
      {R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"})", "\"request\""},
      {R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"kind":{"kind":"Pod"}}})",
       "uid"},
      {R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","kind":{"group":"","kind":"Pod"},"operation":"CREATE"}})",
       "object is missing"},
      {R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","kind":{"group":"","kind":"Pod"},"operation":"CREATE","object":{"spec":{"containers":[{"image":7}]}}}})",
       "/spec/containers/0/image is not a string"},
      {R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","kind":{"group":"","kind":"Pod"},"operation":"CREATE","object":{"spec":{"containers":{}}}}})",
       "not a list"},
      // Two "image" members: the API server never sends one, and which one a node reads is
      // not ours to guess.
      {R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u","kind":{"group":"","kind":"Pod"},"operation":"CREATE","object":{"spec":{"containers":[{"image":"a","image":"b"}]}}}})",
       "duplicate"},
  };
  for (const auto& [body, expected] : cases) {
    INFO(body);
    auto r = parse_admission_review(body);
    REQUIRE_FALSE(r);
    CHECK(r.error().kind() == common::ErrorKind::usage);
    CHECK_THAT(r.error().message(), Catch::Contains(expected));
  }
}

TEST_CASE("admission: answers byte for byte") {
  auto r = parse_admission_review(review("pod.json"));
  REQUIRE(r);
  server::AdmissionAnswer allowed;
  allowed.patches.push_back({"/spec/containers/0/image", "127.0.0.1:5000/app:v1@" + kDigest});
  const std::string patch =
      R"([{"op":"replace","path":"/spec/containers/0/image","value":"127.0.0.1:5000/app:v1@)" +
      kDigest + R"("}])";
  CHECK(
      server::admission_response(*r, allowed) ==
      R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"allowed":true,"patch":")" +
          common::base64_encode(patch) + R"(","patchType":"JSONPatch","uid":")" + r->uid +
          R"("}})");
  server::AdmissionAnswer refused;
  refused.allowed = false;
  refused.message = "isign: 1 of 2 images refused: x";
  refused.warnings = {"w"};
  refused.patches = allowed.patches; // never sent with a refusal
  CHECK(
      server::admission_response(*r, refused) ==
      R"({"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"allowed":false,"status":{"code":403,"message":"isign: 1 of 2 images refused: x","reason":"Forbidden"},"uid":")" +
          r->uid + R"(","warnings":["w"]}})");
}

TEST_CASE("admission: warnings are cut to what the API server keeps") {
  auto r = parse_admission_review(review("pod.json"));
  REQUIRE(r);
  server::AdmissionAnswer a;
  a.warnings.assign(40, std::string(300, 'w'));
  auto doc = nlohmann::json::parse(server::admission_response(*r, a));
  const auto& w = doc["response"]["warnings"];
  CHECK(w.size() == 16); // 256 bytes each, 4096 in all
  CHECK(w[0].get<std::string>().size() == 256);
}

TEST_CASE("admission: an UPDATE marks the images its old object already ran") {
  auto r = parse_admission_review(review("pod-ephemeral.json"));
  REQUIRE(r);
  REQUIRE(r->images.size() == 2);
  CHECK(r->images[0].unchanged);       // the app container, as it was
  CHECK_FALSE(r->images[1].unchanged); // the debug container added by this UPDATE
  auto created = parse_admission_review(review("pod.json"));
  REQUIRE(created);
  for (const auto& site : created->images)
    CHECK_FALSE(site.unchanged);
}

// AdmissionReview documents built to slip an image past the parser: places in a pod spec where a
// node pulls an image, lists that are null or of the wrong type, escapes, and UPDATEs that move
// images around. Every image a node would pull must be found, or the review refused.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "server/admission.h"

using namespace isign;
using nlohmann::json;
using server::parse_admission_review;

namespace {

json review_of(json spec, const std::string& op = "CREATE", const std::string& group = "",
               const std::string& kind = "Pod") {
  return {{"apiVersion", "admission.k8s.io/v1"},
          {"kind", "AdmissionReview"},
          {"request",
           {{"uid", "u1"},
            {"kind", {{"group", group}, {"version", "v1"}, {"kind", kind}}},
            {"namespace", "shop"},
            {"operation", op},
            {"object", {{"metadata", {{"name", "p"}}}, {"spec", std::move(spec)}}}}}};
}

std::vector<std::string> sites(const std::string& body) {
  auto r = parse_admission_review(body);
  INFO(body);
  REQUIRE(r);
  std::vector<std::string> out;
  for (const auto& i : r->images)
    out.push_back(i.pointer + " " + i.image + (i.unchanged ? " unchanged" : ""));
  return out;
}

} // namespace

TEST_CASE("adversary admission: an image volume is an image the node pulls") {
  // Kubernetes 1.31+ (ImageVolume): spec.volumes[].image.reference is pulled by the kubelet and
  // mounted into containers, which can run what it holds.
  json spec = {{"containers", {{{"name", "app"}, {"image", "reg/signed@sha256:aa"}}}},
               {"volumes",
                {{{"name", "cfg"}, {"configMap", {{"name", "x"}}}},
                 {{"name", "tools"}, {"image", {{"reference", "reg/unsigned:v1"}}}}}}};
  CHECK(sites(review_of(spec).dump()) ==
        std::vector<std::string>{"/spec/containers/0/image reg/signed@sha256:aa",
                                 "/spec/volumes/1/image/reference reg/unsigned:v1"});
  json deployment = {{"template", {{"spec", spec}}}};
  CHECK(sites(review_of(deployment, "CREATE", "apps", "Deployment").dump()).back() ==
        "/spec/template/spec/volumes/1/image/reference reg/unsigned:v1");
  // A reference that is not a string is refused, as an image that is not one is.
  spec["volumes"][1]["image"]["reference"] = 7;
  CHECK_FALSE(parse_admission_review(review_of(spec).dump()));
  spec["volumes"] = "x";
  CHECK_FALSE(parse_admission_review(review_of(spec).dump()));
}

TEST_CASE("adversary admission: escapes decode to the image the node sees") {
  std::string body = review_of({{"containers", {{{"name", "a"}, {"image", "reg/app:v1"}}}}}).dump();
  body.replace(body.find("reg/app"), 7, "reg\\u002fapp");
  CHECK(sites(body) == std::vector<std::string>{"/spec/containers/0/image reg/app:v1"});
}

TEST_CASE("adversary admission: null lists hide nothing, wrong types are refused") {
  json spec = {{"initContainers", nullptr},
               {"containers", {{{"name", "a"}, {"image", "reg/a:v1"}}}},
               {"ephemeralContainers", json::array()}};
  CHECK(sites(review_of(spec).dump()) ==
        std::vector<std::string>{"/spec/containers/0/image reg/a:v1"});
  for (json bad : {json{{"containers", {{"image", "reg/a:v1"}}}}, json{{"containers", {nullptr}}},
                   json{{"initContainers", "reg/a:v1"}},
                   json{{"containers", {{{"image", {{"ref", "reg/a:v1"}}}}}}}}) {
    INFO(bad.dump());
    CHECK_FALSE(parse_admission_review(review_of(bad).dump()));
  }
  // A Deployment whose template spec is not an object is refused, not read as empty.
  CHECK_FALSE(parse_admission_review(
      review_of({{"template", {{"spec", "x"}}}}, "CREATE", "apps", "Deployment").dump()));
}

TEST_CASE("adversary admission: UPDATE marks unchanged only the same image at the same place") {
  json now = {{"containers",
               {{{"name", "a"}, {"image", "reg/unsigned:v1"}},
                {{"name", "b"}, {"image", "reg/signed:v1"}}}}};
  json before = {{"containers",
                  {{{"name", "b"}, {"image", "reg/signed:v1"}},
                   {{"name", "a"}, {"image", "reg/unsigned:v1"}}}}};
  json r = review_of(now, "UPDATE");
  r["request"]["oldObject"] = {{"spec", before}};
  CHECK(sites(r.dump()) == std::vector<std::string>{"/spec/containers/0/image reg/unsigned:v1",
                                                    "/spec/containers/1/image reg/signed:v1"});
  // Moved from containers to initContainers: a new place, checked.
  r["request"]["oldObject"] = {{"spec", {{"initContainers", now["containers"]}}}};
  CHECK(sites(r.dump()).size() == 2);
  r["request"]["oldObject"] = {{"spec", now}};
  CHECK(sites(r.dump()) ==
        std::vector<std::string>{"/spec/containers/0/image reg/unsigned:v1 unchanged",
                                 "/spec/containers/1/image reg/signed:v1 unchanged"});
  // The same object sent as a CREATE: nothing is unchanged.
  r["request"]["operation"] = "CREATE";
  CHECK(sites(r.dump()).size() == 2);
  CHECK(sites(r.dump())[0].find("unchanged") == std::string::npos);
}

TEST_CASE("adversary admission: kinds are matched exactly, group included") {
  json spec = {{"containers", {{{"name", "a"}, {"image", "reg/a:v1"}}}}};
  // What the API server sends is what is matched; a Pod is a core Pod, so the rest is not one.
  for (auto [group, kind] : {std::pair<std::string, std::string>{"apps", "Pod"}, {"", "pod"}}) {
    auto r = parse_admission_review(review_of(spec, "CREATE", group, kind).dump());
    REQUIRE(r);
    CHECK_FALSE(r->checked_kind);
  }
  // A duplicated key (two "containers") is refused, never resolved one way or the other.
  std::string dup = review_of(spec).dump();
  dup.replace(dup.find("\"containers\""), 12,
              R"("containers":[{"name":"x","image":"reg/evil:v1"}],"containers")");
  CHECK_FALSE(parse_admission_review(dup));
}

// isign list-tags against a real registry: a few tags, many tags, Link pagination (through the
// paging proxy, since distribution 2.8 never pages), a missing repository, and skopeo agreement.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <set>

#include "cli/cli.h"
#include "tests/e2e/registry_cli.h"
#include "tests/support/fault_proxy.h"
#include "tests/support/images.h"

using namespace isign::testing;
using isign::cli::kNotFound;
using isign::cli::kOk;

namespace {

// The tags in list-tags output, which is skopeo's JSON: {"Repository": .., "Tags": [..]}.
// Sorted, because distribution 2.8 lists tags in directory order.
std::vector<std::string> tags_in(const std::string& out) {
  auto json = nlohmann::json::parse(out, nullptr, false);
  std::vector<std::string> tags;
  if (!json.is_object() || !json.contains("Tags") || !json["Tags"].is_array()) {
    FAIL_CHECK("list-tags output is not {\"Repository\":..,\"Tags\":[..]}: " << out);
    return tags;
  }
  for (const auto& t : json["Tags"])
    if (t.is_string())
      tags.push_back(t.get<std::string>());
  std::sort(tags.begin(), tags.end());
  return tags;
}

std::vector<std::string> push_tags(const RegistryEndpoint& ep, const std::string& repo, int n) {
  PushedImage img = push_image(ep, repo, "");
  RegistryApi api(ep);
  std::vector<std::string> tags;
  for (int i = 0; i < n; ++i) {
    char name[16];
    std::snprintf(name, sizeof name, "v%03d", i);
    api.push_manifest(repo, name, img.manifest, img.media_type);
    tags.emplace_back(name);
  }
  return tags;
}

} // namespace

TEST_CASE("list-tags: lists every tag of a repository", "[e2e][registry]") {
  RegistryFixture reg;
  push_random_image(reg, "team/app", "v1");
  push_random_image(reg, "team/app", "latest");
  push_random_image(reg, "team/app", "1.0.0-rc_1");
  auto r = isign_cmd("list-tags", reg.tls_flags(), {reg.ref("team/app")});
  CHECK(r.exit_code == kOk);
  CHECK(tags_in(r.out) == std::vector<std::string>{"1.0.0-rc_1", "latest", "v1"});
  auto json = nlohmann::json::parse(r.out, nullptr, false);
  CHECK(json["Repository"] == reg.ref("team/app"));
  CHECK(json.size() == 2);
}

TEST_CASE("list-tags: agrees with skopeo list-tags", "[e2e][registry]") {
  RegistryFixture reg;
  push_tags(reg, "app", 5);
  auto r = isign_cmd("list-tags", reg.tls_flags(), {reg.ref("app")});
  auto s = run({"skopeo", "list-tags", "--tls-verify=false", "docker://" + reg.ref("app")},
               RunOptions{{{"HOME", reg.dir()}}, {}, {}, {}, 60});
  INFO("skopeo: " << s.err);
  REQUIRE(s.exit_code == 0);
  CHECK(r.exit_code == kOk);
  CHECK(tags_in(r.out) == tags_in(s.out));
  CHECK(nlohmann::json::parse(r.out, nullptr, false)["Repository"] ==
        nlohmann::json::parse(s.out, nullptr, false)["Repository"]);
}

TEST_CASE("list-tags: 150 tags in one answer", "[e2e][registry]") {
  RegistryFixture reg;
  std::vector<std::string> expected = push_tags(reg, "app", 150);
  auto r = isign_cmd("list-tags", reg.tls_flags(), {reg.ref("app")});
  CHECK(r.exit_code == kOk);
  CHECK(tags_in(r.out) == expected);
}

TEST_CASE("list-tags: follows Link pagination to the last page", "[e2e][registry]") {
  RegistryFixture reg;
  std::vector<std::string> expected = push_tags(reg, "app", 23);
  FaultProxy proxy(reg);
  proxy.paginate_tags(5); // a registry that pages by 5 when the client does not say
  auto r = isign_cmd("list-tags", {"--allow-http-registry"}, {proxy.ref("app")});
  CHECK(r.exit_code == kOk);
  CHECK(tags_in(r.out) == expected);
  // No page is fetched twice, whatever page size the client asks for (n >= 5 means <= 5 pages).
  CHECK(proxy.count("GET", "/tags/list") >= 1);
  CHECK(proxy.count("GET", "/tags/list") <= 5);
  std::set<std::string> targets;
  for (const auto& req : proxy.requests())
    if (contains(req.target, "/tags/list"))
      CHECK(targets.insert(req.target).second);
}

TEST_CASE("list-tags: pagination works with token auth, one token for all pages",
          "[e2e][registry]") {
  RegistryOptions o;
  o.auth = RegistryAuth::token;
  RegistryFixture reg(o);
  std::vector<std::string> expected = push_tags(reg, "app", 12);
  FaultProxy proxy(reg);
  proxy.paginate_tags(4);
  std::size_t before = reg.token_issuer()->count_for_scope("repository:app:pull");
  auto r = isign_cmd("list-tags", with({"--allow-http-registry"}, reg.credential_flags()),
                     {proxy.ref("app")});
  CHECK(r.exit_code == kOk);
  CHECK(tags_in(r.out) == expected);
  CHECK(reg.token_issuer()->count_for_scope("repository:app:pull") == before + 1);
}

TEST_CASE("list-tags: a repository that does not exist exits 8", "[e2e][registry]") {
  RegistryFixture reg;
  auto r = isign_cmd("list-tags", reg.tls_flags(), {reg.ref("missing/repo")});
  CHECK(r.exit_code == kNotFound);
  CHECK(r.out.empty());
  CHECK(contains(r.err, "404"));
  CHECK(contains(r.err, "NAME_UNKNOWN"));
}

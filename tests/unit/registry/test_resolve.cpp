// Resolving references to the manifests sign and verify work on (registry/resolve.h), over a
// client double that serves manifests from a map and records the requests.
#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <vector>

#include "common/digest.h"
#include "registry/resolve.h"

using namespace isign;
using registry::Platform;
using registry::Selection;
using registry::Target;

namespace {

constexpr std::string_view kImageType = "application/vnd.oci.image.manifest.v1+json";

// Manifests by tag or digest; every call is recorded as "HEAD <id>" or "GET <id>".
class MapClient : public registry::Client {
public:
  std::map<std::string, registry::Manifest> manifests;
  std::vector<std::string> calls;

  // Stores bytes under its digest and, when tag is not empty, under tag; returns the digest.
  std::string add(const std::string& bytes, std::string_view media_type, std::string tag = "") {
    registry::Manifest m{std::string(media_type), common::sha256_digest(bytes), bytes, ""};
    if (!tag.empty())
      manifests[tag] = m;
    manifests[m.digest] = m;
    return m.digest;
  }

  common::Result<registry::Descriptor> head_manifest(const registry::Repository&,
                                                     std::string_view id) override {
    calls.push_back("HEAD " + std::string(id));
    auto it = manifests.find(std::string(id));
    if (it == manifests.end())
      return common::make_error(common::ErrorKind::not_found, "no " + std::string(id));
    return registry::Descriptor{it->second.media_type, it->second.digest, it->second.bytes.size()};
  }
  common::Result<registry::Manifest> get_manifest(const registry::Repository&,
                                                  std::string_view id) override {
    calls.push_back("GET " + std::string(id));
    auto it = manifests.find(std::string(id));
    if (it == manifests.end())
      return common::make_error(common::ErrorKind::not_found, "no " + std::string(id));
    return it->second;
  }
  common::Result<std::string> put_manifest(const registry::Repository&, std::string_view,
                                           std::string_view, std::string_view,
                                           const registry::PutCondition&) override {
    return unused();
  }
  common::Result<void> delete_manifest(const registry::Repository&, std::string_view) override {
    return unused();
  }
  common::Result<bool> blob_exists(const registry::Repository&, std::string_view) override {
    return unused();
  }
  common::Result<std::string> get_blob(const registry::Repository&, std::string_view,
                                       std::size_t) override {
    return unused();
  }
  common::Result<void> put_blob(const registry::Repository&, std::string_view,
                                std::string_view) override {
    return unused();
  }
  common::Result<std::vector<std::string>> list_tags(const registry::Repository&) override {
    return unused();
  }
  common::Result<bool> has_tag(const registry::Repository&, std::string_view) override {
    return unused();
  }
  common::Result<registry::Referrers> list_referrers(const registry::Repository&, std::string_view,
                                                     std::string_view) override {
    return unused();
  }
  std::size_t request_count() const override { return calls.size(); }

private:
  static common::Error unused() {
    return common::Error(common::ErrorKind::internal, "not used by resolution");
  }
};

std::string image_bytes(const std::string& name) {
  return R"({"schemaVersion":2,"mediaType":")" + std::string(kImageType) +
         R"(","config":{},"layers":[],"annotations":{"name":")" + name + R"("}})";
}

struct Child {
  std::string digest;
  std::string platform; // "os/arch[/variant]", or "" for none
};

std::string index_bytes(const std::vector<Child>& children) {
  std::string entries;
  for (const auto& c : children) {
    entries += entries.empty() ? "" : ",";
    entries += R"({"mediaType":")" + std::string(kImageType) + R"(","digest":")" + c.digest +
               R"(","size":1)";
    if (!c.platform.empty()) {
      auto p = Platform::parse(c.platform);
      REQUIRE(p);
      entries += R"(,"platform":{"os":")" + p->os + R"(","architecture":")" + p->architecture +
                 R"(")" + (p->variant.empty() ? "" : R"(,"variant":")" + p->variant + R"(")") + "}";
    }
    entries += "}";
  }
  return R"({"schemaVersion":2,"mediaType":")" + std::string(registry::kOciIndex) +
         R"(","manifests":[)" + entries + "]}";
}

registry::Reference ref_of(const std::string& text) {
  auto ref = registry::Reference::parse(text);
  REQUIRE(ref);
  return *ref;
}

// An index app:v1 with an amd64 child, an arm64 child and one without a platform.
struct IndexScene {
  MapClient client;
  std::string amd64 = client.add(image_bytes("amd64"), kImageType);
  std::string arm64 = client.add(image_bytes("arm64"), kImageType);
  std::string bare = client.add(image_bytes("bare"), kImageType);
  std::string index =
      client.add(index_bytes({{amd64, "linux/amd64"}, {arm64, "linux/arm64/v8"}, {bare, ""}}),
                 registry::kOciIndex, "v1");
  registry::Reference ref = ref_of("127.0.0.1:5000/app:v1");
};

} // namespace

TEST_CASE("resolve: Platform::parse and str", "[resolve]") {
  struct Case {
    const char* text;
    const char* str; // nullptr: a usage error
  };
  const Case cases[] = {
      {"linux/amd64", "linux/amd64"},
      {"linux/arm64/v8", "linux/arm64/v8"},
      {"linux", nullptr},
      {"linux/", nullptr},
      {"/amd64", nullptr},
      {"linux//v8", nullptr},
      {"linux/arm/v7/x", nullptr},
      {"", nullptr},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    auto p = Platform::parse(c.text);
    if (!c.str) {
      REQUIRE_FALSE(p);
      CHECK(p.error().kind() == common::ErrorKind::usage);
      CHECK(p.error().message().find("expected os/architecture[/variant]") != std::string::npos);
      continue;
    }
    REQUIRE(p);
    CHECK(p->str() == c.str);
  }
}

TEST_CASE("resolve: select_platform picks what a node of that platform pulls", "[resolve]") {
  auto child = [](const char* platform) {
    Target t;
    t.role = Target::Role::child;
    if (*platform)
      t.platform = *Platform::parse(platform);
    return t;
  };
  const std::vector<Target> children = {child(""), child("linux/arm64/v8"), child("linux/arm/v6"),
                                        child("linux/arm/v7"), child("linux/amd64")};
  struct Case {
    const char* want;
    std::optional<std::size_t> pick;
  };
  const Case cases[] = {
      {"linux/amd64", 4},
      {"linux/arm64", 1}, // arm64's "v8" and "" are the same
      {"linux/arm64/v8", 1},
      {"linux/arm/v7", 3},
      {"linux/arm", 2}, // no variant-less entry: the first of that os and architecture
      {"linux/arm/v5", std::nullopt},
      {"windows/amd64", std::nullopt},
  };
  for (const auto& c : cases) {
    INFO(c.want);
    CHECK(registry::select_platform(children, *Platform::parse(c.want)) == c.pick);
  }
}

TEST_CASE("resolve: a plain reference is one HEAD and one target", "[resolve]") {
  IndexScene s;
  std::string image = s.client.add(image_bytes("single"), kImageType, "single");
  auto r = registry::resolve_targets(s.client, ref_of("127.0.0.1:5000/app:single"), {});
  REQUIRE(r);
  CHECK(s.client.calls == std::vector<std::string>{"HEAD single"});
  CHECK(r->digest == image);
  CHECK_FALSE(r->is_index);
  REQUIRE(r->targets.size() == 1);
  CHECK(r->targets[0].role == Target::Role::image);
  CHECK(r->targets[0].digest == image);
  CHECK(r->targets[0].media_type == kImageType);

  // An index without a selection is the index itself.
  s.client.calls.clear();
  auto index = registry::resolve_targets(s.client, s.ref, {});
  REQUIRE(index);
  CHECK(s.client.calls == std::vector<std::string>{"HEAD v1"});
  CHECK(index->is_index);
  REQUIRE(index->targets.size() == 1);
  CHECK(index->targets[0].role == Target::Role::index);
  CHECK(index->targets[0].digest == s.index);
}

TEST_CASE("resolve: recursive is one GET: the index, then each child in order", "[resolve]") {
  IndexScene s;
  auto r = registry::resolve_targets(s.client, s.ref, Selection{true, std::nullopt});
  REQUIRE(r);
  CHECK(s.client.calls == std::vector<std::string>{"GET v1"});
  CHECK(r->is_index);
  CHECK(r->digest == s.index);
  CHECK(r->media_type == registry::kOciIndex);
  REQUIRE(r->targets.size() == 4);
  CHECK(r->targets[0].role == Target::Role::index);
  CHECK(r->targets[0].digest == s.index);
  const std::string digests[] = {s.amd64, s.arm64, s.bare};
  for (std::size_t i = 0; i < 3; ++i) {
    CHECK(r->targets[i + 1].role == Target::Role::child);
    CHECK(r->targets[i + 1].digest == digests[i]);
    CHECK(r->targets[i + 1].media_type == kImageType);
  }
  REQUIRE(r->targets[2].platform);
  CHECK(r->targets[2].platform->str() == "linux/arm64/v8");
  CHECK_FALSE(r->targets[3].platform);

  // A single image: only itself.
  s.client.calls.clear();
  auto image = registry::resolve_targets(s.client, ref_of("127.0.0.1:5000/app@" + s.amd64),
                                         Selection{true, std::nullopt});
  REQUIRE(image);
  CHECK(s.client.calls == std::vector<std::string>{"GET " + s.amd64});
  REQUIRE(image->targets.size() == 1);
  CHECK(image->targets[0].role == Target::Role::image);
}

TEST_CASE("resolve: --platform picks one child, or says what the index has", "[resolve]") {
  IndexScene s;
  auto arm =
      registry::resolve_targets(s.client, s.ref, Selection{false, *Platform::parse("linux/arm64")});
  REQUIRE(arm);
  CHECK(arm->digest == s.index);
  REQUIRE(arm->targets.size() == 1);
  CHECK(arm->targets[0].role == Target::Role::child);
  CHECK(arm->targets[0].digest == s.arm64);

  auto none =
      registry::resolve_targets(s.client, s.ref, Selection{false, *Platform::parse("linux/s390x")});
  REQUIRE_FALSE(none);
  CHECK(none.error().kind() == common::ErrorKind::not_found);
  CHECK(none.error().message() == "the index 127.0.0.1:5000/app@" + s.index +
                                      " has no manifest for platform linux/s390x (it has: "
                                      "linux/amd64, linux/arm64/v8)");

  // A single image is verified as it is.
  auto image = registry::resolve_targets(s.client, ref_of("127.0.0.1:5000/app@" + s.amd64),
                                         Selection{false, *Platform::parse("linux/arm64")});
  REQUIRE(image);
  REQUIRE(image->targets.size() == 1);
  CHECK(image->targets[0].digest == s.amd64);
  CHECK(image->targets[0].role == Target::Role::image);
}

TEST_CASE("resolve: what the registry gets wrong", "[resolve]") {
  MapClient client;
  std::string image = client.add(image_bytes("a"), kImageType);
  std::string other = "sha256:" + std::string(64, 'f');
  client.manifests[other] = client.manifests[image]; // answers another digest than asked for
  for (bool recursive : {false, true}) {
    INFO(recursive);
    auto r = registry::resolve_targets(client, ref_of("127.0.0.1:5000/app@" + other),
                                       Selection{recursive, std::nullopt});
    REQUIRE_FALSE(r);
    CHECK(r.error().kind() == common::ErrorKind::registry);
    CHECK(r.error().message() == "the registry answered digest " + image + " for " + other);
  }

  std::string broken = client.add(R"({"manifests":{}})", registry::kOciIndex, "broken");
  auto r = registry::resolve_targets(client, ref_of("127.0.0.1:5000/app:broken"),
                                     Selection{true, std::nullopt});
  REQUIRE_FALSE(r);
  CHECK(r.error().kind() == common::ErrorKind::registry);
  CHECK(r.error().message().rfind("index " + broken + ": ", 0) == 0);

  auto missing = registry::resolve_targets(client, ref_of("127.0.0.1:5000/app:nope"), {});
  REQUIRE_FALSE(missing);
  CHECK(missing.error().kind() == common::ErrorKind::not_found);
}

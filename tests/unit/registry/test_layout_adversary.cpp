// The OCI layout client against hostile layouts: planted symlinks, FIFOs and directories among the
// blobs, digests that try to leave the layout, index.json that is not what it claims. Nothing
// may hang, read without bound, write outside the layout or report a write that was lost.
#include <catch2/catch.hpp>

#include <filesystem>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

#include "common/digest.h"
#include "registry/client.h"
#include "registry/layout.h"
#include "tests/support/scratch_dir.h"
#include "tests/unit/registry/file_helpers.h"

using namespace isign;
using namespace isign::testing;
using common::ErrorKind;
using registry::Client;
using registry::Repository;

namespace {

const std::string kOci = "application/vnd.oci.image.manifest.v1+json";
const std::string kManifest =
    R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
    R"("config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:)" +
    std::string(64, 'c') + R"(","size":2},"layers":[]})";

struct Layout {
  ScratchDir tmp{"isign-layout-adv-"};
  std::string dir = tmp / "app";
  Repository repo{"oci:", dir};
  std::unique_ptr<Client> client = registry::make_layout_client(dir);
  std::string blob(const std::string& digest) const {
    return dir + "/blobs/sha256/" + digest.substr(7);
  }
};

} // namespace

TEST_CASE("layout adversary: a blob planted as a symlink to /dev/null is not written through") {
  Layout l;
  REQUIRE(l.client->put_manifest(l.repo, "seed", kManifest, kOci)); // creates the layout
  const std::string data = "signature payload";
  const std::string digest = common::sha256_digest(data);
  REQUIRE(::symlink("/dev/null", l.blob(digest).c_str()) == 0);
  auto put = l.client->put_blob(l.repo, digest, data);
  if (put) { // a success must mean the bytes are there
    auto back = l.client->get_blob(l.repo, digest, 1024);
    REQUIRE(back);
    CHECK(*back == data);
  }
  const std::string manifest = kManifest + " ";
  const std::string mdigest = common::sha256_digest(manifest);
  REQUIRE(::symlink("/dev/null", l.blob(mdigest).c_str()) == 0);
  auto tagged = l.client->put_manifest(l.repo, "v1", manifest, kOci);
  if (tagged) {
    auto m = l.client->get_manifest(l.repo, "v1");
    REQUIRE(m);
    CHECK(m->bytes == manifest);
  }
}

TEST_CASE("layout adversary: a destination blob that is a directory or a dangling link is absent") {
  Layout l;
  REQUIRE(l.client->put_manifest(l.repo, "seed", kManifest, kOci));
  const std::string data = "layer";
  const std::string digest = common::sha256_digest(data);
  SECTION("dangling symlink") {
    REQUIRE(::symlink("/nonexistent/isign", l.blob(digest).c_str()) == 0);
    CHECK_FALSE(*l.client->blob_exists(l.repo, digest));
    REQUIRE(l.client->put_blob(l.repo, digest, data));
    CHECK(*l.client->get_blob(l.repo, digest, 64) == data);
  }
  SECTION("symlink to /dev/zero") {
    REQUIRE(::symlink("/dev/zero", l.blob(digest).c_str()) == 0);
    CHECK_FALSE(*l.client->blob_exists(l.repo, digest));
    auto read = l.client->get_blob(l.repo, digest, 64);
    REQUIRE_FALSE(read); // bounded, not an endless read
  }
  SECTION("directory") {
    std::filesystem::create_directories(l.blob(digest));
    CHECK_FALSE(*l.client->blob_exists(l.repo, digest));
    auto put = l.client->put_blob(l.repo, digest, data);
    REQUIRE_FALSE(put);
    CHECK(put.error().message().find(digest.substr(7)) != std::string::npos);
  }
  SECTION("FIFO") {
    REQUIRE(::mkfifo(l.blob(digest).c_str(), 0600) == 0);
    CHECK_FALSE(*l.client->blob_exists(l.repo, digest));
    REQUIRE(l.client->put_blob(l.repo, digest, data));
    CHECK(*l.client->get_blob(l.repo, digest, 64) == data);
  }
}

TEST_CASE("layout adversary: digests that leave the layout are refused, nothing read or written") {
  Layout l;
  REQUIRE(l.client->put_manifest(l.repo, "seed", kManifest, kOci));
  for (const std::string& bad :
       std::vector<std::string>{"sha256:../../../../etc/passwd", "sha256:/etc/passwd",
                                "sha256:" + std::string(62, 'a') + "/.."}) {
    CAPTURE(bad);
    CHECK_FALSE(l.client->get_blob(l.repo, bad, 1 << 20));
    CHECK_FALSE(l.client->blob_exists(l.repo, bad));
    CHECK_FALSE(l.client->put_blob(l.repo, bad, "x"));
    CHECK_FALSE(l.client->get_manifest(l.repo, bad));
    CHECK_FALSE(l.client->put_manifest(l.repo, bad, kManifest, kOci));
    CHECK_FALSE(l.client->delete_manifest(l.repo, bad));
  }
  // A tag whose index entry names an escaping digest.
  write(l.dir + "/index.json",
        R"({"schemaVersion":2,"manifests":[{"mediaType":")" + kOci +
            R"(","digest":"sha256:../../../etc/passwd","size":3,)"
            R"("annotations":{"org.opencontainers.image.ref.name":"evil"}}]})",
        0644);
  auto evil = l.client->get_manifest(l.repo, "evil");
  REQUIRE_FALSE(evil);
  CHECK(evil.error().message().find("cannot be checked") != std::string::npos);
}

TEST_CASE("layout adversary: hostile index.json and oci-layout are one clear error") {
  Layout l;
  REQUIRE(l.client->put_manifest(l.repo, "seed", kManifest, kOci));
  SECTION("oci-layout 2.0.0") {
    write(l.dir + "/oci-layout", R"({"imageLayoutVersion":"2.0.0"})", 0644);
    auto r = l.client->get_manifest(l.repo, "seed");
    REQUIRE_FALSE(r);
    CHECK(r.error().message().find("2.0.0") != std::string::npos);
    CHECK_FALSE(l.client->put_manifest(l.repo, "v2", kManifest, kOci));
  }
  SECTION("deeply nested") {
    write(l.dir + "/index.json", std::string(200000, '[') + std::string(200000, ']'), 0644);
    auto r = l.client->list_tags(l.repo);
    REQUIRE_FALSE(r);
    CHECK(r.error().message().find("index.json") != std::string::npos);
  }
  SECTION("a digest that is no string") {
    write(l.dir + "/index.json",
          R"({"schemaVersion":2,"manifests":[{"mediaType":"x","digest":7,"size":1}]})", 0644);
    auto r = l.client->put_manifest(l.repo, "v2", kManifest, kOci);
    REQUIRE_FALSE(r);
    CHECK(r.error().message().find("no string digest") != std::string::npos);
  }
  SECTION("index.json a symlink to /dev/zero") {
    std::filesystem::remove(l.dir + "/index.json");
    REQUIRE(::symlink("/dev/zero", (l.dir + "/index.json").c_str()) == 0);
    CHECK_FALSE(l.client->list_tags(l.repo)); // bounded
    CHECK_FALSE(l.client->put_manifest(l.repo, "v2", kManifest, kOci));
  }
}

TEST_CASE("layout adversary: a DIR that is a file, or read-only, fails and is left untouched") {
  ScratchDir tmp{"isign-layout-adv-"};
  const std::string file = tmp / "file";
  write(file, "not a layout", 0644);
  auto c = registry::make_layout_client(file);
  Repository repo{"oci:", file};
  CHECK_FALSE(c->put_manifest(repo, "v1", kManifest, kOci));
  CHECK(read(file) == "not a layout");
  auto got = c->get_manifest(repo, "v1");
  REQUIRE_FALSE(got);
  CHECK(got.error().kind() != ErrorKind::not_found);
  CHECK(got.error().message().find("not a directory") != std::string::npos);

  if (::geteuid() == 0)
    return; // root writes anywhere
  Layout l;
  REQUIRE(l.client->put_manifest(l.repo, "seed", kManifest, kOci));
  const std::string before = read(l.dir + "/index.json");
  REQUIRE(::chmod((l.dir + "/blobs/sha256").c_str(), 0555) == 0);
  REQUIRE(::chmod(l.dir.c_str(), 0555) == 0);
  auto put = l.client->put_manifest(l.repo, "v2", kManifest + "  ", kOci);
  CHECK_FALSE(put);
  CHECK(read(l.dir + "/index.json") == before);
  ::chmod(l.dir.c_str(), 0755);
  ::chmod((l.dir + "/blobs/sha256").c_str(), 0755);
}

TEST_CASE("layout adversary: a manifest put by digest, then tagged, is listed once") {
  Layout l;
  const std::string digest = common::sha256_digest(kManifest);
  REQUIRE(l.client->put_manifest(l.repo, digest, kManifest, kOci));
  REQUIRE(l.client->put_manifest(l.repo, "v1", kManifest, kOci));
  REQUIRE(l.client->put_manifest(l.repo, digest, kManifest, kOci)); // still once
  const std::string index = read(l.dir + "/index.json");
  std::size_t n = 0;
  for (auto at = index.find(digest); at != std::string::npos; at = index.find(digest, at + 1))
    ++n;
  CHECK(n == 1);
  CHECK(*l.client->list_tags(l.repo) == std::vector<std::string>{"v1"});
}

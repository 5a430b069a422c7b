// The OCI layout client over real files in a temporary directory: the bytes it writes, what it
// reads of other tools' layouts, conditional PUTs, refusals, and concurrent writers (threads and
// processes) that never lose an entry.
#include <catch2/catch.hpp>

#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "common/digest.h"
#include "registry/client.h"
#include "registry/layout.h"
#include "tests/support/scratch_dir.h"
#include "tests/unit/registry/file_helpers.h"

using namespace isign;
using namespace isign::testing;
using common::ErrorKind;
using registry::Client;
using registry::PutCondition;
using registry::Repository;

namespace {

const std::string kManifest =
    R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
    R"("config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:)" +
    std::string(64, 'c') + R"(","size":2},"layers":[]})";
const std::string kOci = "application/vnd.oci.image.manifest.v1+json";

struct Layout {
  ScratchDir tmp{"isign-layout-"};
  std::string dir = tmp / "app";
  Repository repo{"oci:", dir};
  std::unique_ptr<Client> client = registry::make_layout_client(dir);
  std::string index() const { return read(dir + "/index.json"); }
};

std::string hex(const std::string& digest) {
  return digest.substr(7);
}

} // namespace

TEST_CASE("layout: a manifest put by tag is read by tag and digest, index.json exact") {
  Layout l;
  auto missing = l.client->get_manifest(l.repo, "v1");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().kind() == ErrorKind::not_found);
  CHECK_FALSE(std::filesystem::exists(l.dir)); // reading creates nothing

  auto put = l.client->put_manifest(l.repo, "v1", kManifest, kOci);
  REQUIRE(put);
  const std::string digest = common::sha256_digest(kManifest);
  CHECK(*put == digest);
  CHECK(read(l.dir + "/oci-layout") == R"({"imageLayoutVersion":"1.0.0"})");
  CHECK(read(l.dir + "/blobs/sha256/" + hex(digest)) == kManifest);
  CHECK(l.index() == R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json",)"
                     R"("manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
                     R"("digest":")" +
                         digest + R"(","size":)" + std::to_string(kManifest.size()) +
                         R"(,"annotations":{"org.opencontainers.image.ref.name":"v1"}}]})");
  for (const std::string& ref : {std::string("v1"), digest}) {
    auto m = l.client->get_manifest(l.repo, ref);
    REQUIRE(m);
    CHECK(m->bytes == kManifest);
    CHECK(m->digest == digest);
    CHECK(m->media_type == kOci);
    CHECK(m->etag == digest);
    auto head = l.client->head_manifest(l.repo, ref);
    REQUIRE(head);
    CHECK(head->digest == digest);
    CHECK(head->size == kManifest.size());
  }
  CHECK(*l.client->list_tags(l.repo) == std::vector<std::string>{"v1"});
  CHECK(*l.client->has_tag(l.repo, "v1"));
  CHECK_FALSE(*l.client->has_tag(l.repo, "v2"));
  CHECK(l.client->consistent(l.repo));
  auto referrers = l.client->list_referrers(l.repo, digest);
  REQUIRE(referrers);
  CHECK_FALSE(referrers->api);
  CHECK(l.client->request_count() > 0);
}

TEST_CASE("layout: a manifest put by digest is an untagged entry listing what oras lists") {
  Layout l;
  const std::string subject = "sha256:" + std::string(64, 'a');
  const std::string referrer =
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
      R"("config":{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","digest":"sha256:)" +
      std::string(64, 'c') + R"(","size":2},"layers":[],"subject":{"mediaType":")" + kOci +
      R"(","digest":")" + subject + R"(","size":10},"annotations":{"k":"v","n":1}})";
  const std::string digest = common::sha256_digest(referrer);
  PutCondition condition;
  condition.index_annotations = {{"dev.cosignproject.cosign/kind", "signature"}};
  REQUIRE(l.client->put_manifest(l.repo, digest, referrer, kOci, condition));
  REQUIRE(l.client->put_manifest(l.repo, digest, referrer, kOci)); // listed once
  CHECK(l.index() ==
        R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json",)"
        R"("manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" +
            digest + R"(","size":)" + std::to_string(referrer.size()) +
            R"(,"artifactType":"application/vnd.dev.sigstore.bundle.v0.3+json",)"
            R"("annotations":{"dev.cosignproject.cosign/kind":"signature","k":"v"}}]})");
  CHECK(l.client->list_tags(l.repo)->empty());
  auto wrong = l.client->put_manifest(l.repo, subject, referrer, kOci);
  REQUIRE_FALSE(wrong);
  CHECK(wrong.error().message().find("DIGEST_INVALID") != std::string::npos);
}

TEST_CASE("layout: a manifest put by digest, then tagged, is listed once, by its tag") {
  Layout l;
  const std::string digest = common::sha256_digest(kManifest);
  REQUIRE(l.client->put_manifest(l.repo, digest, kManifest, kOci));
  REQUIRE(l.client->put_manifest(l.repo, "v1", kManifest, kOci));
  const std::string index = l.index();
  CHECK(index.find(digest) == index.rfind(digest));
  CHECK(index.find(R"("org.opencontainers.image.ref.name":"v1")") != std::string::npos);
  REQUIRE(l.client->put_manifest(l.repo, digest, kManifest, kOci)); // listed already, by its tag
  CHECK(l.index() == index);
}

TEST_CASE("layout: If-Match and If-None-Match are honoured exactly (412)") {
  Layout l;
  const std::string second = kManifest + " ";
  PutCondition none;
  none.if_none_match_any = true;
  REQUIRE(l.client->put_manifest(l.repo, "t", kManifest, kOci, none));
  auto again = l.client->put_manifest(l.repo, "t", second, kOci, none);
  REQUIRE_FALSE(again);
  CHECK(again.error().http_status() == 412);

  PutCondition stale;
  stale.if_match = "sha256:" + std::string(64, 'f');
  auto refused = l.client->put_manifest(l.repo, "t", second, kOci, stale);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().http_status() == 412);
  CHECK(l.client->get_manifest(l.repo, "t")->bytes == kManifest);

  PutCondition current;
  current.if_match = l.client->get_manifest(l.repo, "t")->etag;
  REQUIRE(l.client->put_manifest(l.repo, "t", second, kOci, current));
  CHECK(l.client->get_manifest(l.repo, "t")->bytes == second);
  CHECK(l.client->list_tags(l.repo)->size() == 1); // replaced, not added

  PutCondition on_missing;
  on_missing.if_match = common::sha256_digest(second);
  auto absent = l.client->put_manifest(l.repo, "other", kManifest, kOci, on_missing);
  REQUIRE_FALSE(absent);
  CHECK(absent.error().http_status() == 412);
}

TEST_CASE("layout: delete removes every entry of the digest and keeps the others") {
  Layout l;
  const std::string other = kManifest + "\n";
  REQUIRE(l.client->put_manifest(l.repo, "a", kManifest, kOci));
  REQUIRE(l.client->put_manifest(l.repo, "b", other, kOci));
  const std::string digest = common::sha256_digest(kManifest);
  REQUIRE(l.client->put_manifest(l.repo, "c", kManifest, kOci));
  REQUIRE(l.client->delete_manifest(l.repo, digest));
  CHECK(*l.client->list_tags(l.repo) == std::vector<std::string>{"b"});
  CHECK(l.client->get_manifest(l.repo, "a").error().kind() == ErrorKind::not_found);
  // The blob stays (content addressed): deleting again is no error, an unknown digest is.
  CHECK(l.client->delete_manifest(l.repo, digest));
  auto unknown = l.client->delete_manifest(l.repo, "sha256:" + std::string(64, '0'));
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error().kind() == ErrorKind::not_found);
}

TEST_CASE("layout: a layout as skopeo writes it is read, and its entries kept on write") {
  Layout l;
  const std::string digest = common::sha256_digest(kManifest);
  write(l.dir + "/oci-layout", R"({"imageLayoutVersion": "1.0.0"})", 0644);
  write(l.dir + "/blobs/sha256/" + hex(digest), kManifest, 0644);
  const std::string skopeo_entry =
      R"({"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" + digest +
      R"(","size":)" + std::to_string(kManifest.size()) +
      R"(,"annotations":{"org.opencontainers.image.ref.name":"v1"},"platform":{"architecture":"amd64","os":"linux"}})";
  write(l.dir + "/index.json",
        R"({"schemaVersion":2,"manifests":[)" + skopeo_entry + R"(],"annotations":{"x":"y"}})",
        0644);
  auto m = l.client->get_manifest(l.repo, "v1");
  REQUIRE(m);
  CHECK(m->digest == digest);
  CHECK(*l.client->list_tags(l.repo) == std::vector<std::string>{"v1"});

  const std::string sig = kManifest + "  ";
  REQUIRE(l.client->put_manifest(l.repo, "sha256-" + hex(digest) + ".sig", sig, kOci));
  CHECK(
      l.index() ==
      R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[)" +
          skopeo_entry +
          R"(,{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":")" +
          common::sha256_digest(sig) + R"(","size":)" + std::to_string(sig.size()) +
          R"(,"annotations":{"org.opencontainers.image.ref.name":"sha256-)" + hex(digest) +
          R"(.sig"}}],"annotations":{"x":"y"}})");
}

TEST_CASE("layout: a broken layout is refused with one line naming the file and the problem") {
  struct Case {
    std::string oci_layout, index, problem;
  };
  const std::vector<Case> cases = {
      {R"({"imageLayoutVersion":"1.0.0"})", "{not json", "index.json: not valid JSON"},
      {R"({"imageLayoutVersion":"1.0.0"})", R"({"schemaVersion":1,"manifests":[]})",
       "index.json: not an OCI image index: schemaVersion must be 2"},
      {R"({"imageLayoutVersion":"1.0.0"})", R"({"schemaVersion":2})",
       "index.json: not an OCI image index: it has no manifests array"},
      {R"({"imageLayoutVersion":"1.0.0"})", R"({"schemaVersion":2,"manifests":[{"size":1}]})",
       "index.json: manifests[0] has no string mediaType"},
      {R"({"imageLayoutVersion":"2.0.0"})", R"({"schemaVersion":2,"manifests":[]})",
       "oci-layout: imageLayoutVersion \"2.0.0\" is not supported (only 1.x)"},
      {"", R"({"schemaVersion":2,"manifests":[]})", "oci-layout is missing: not an OCI layout"},
  };
  for (const auto& c : cases) {
    INFO(c.problem);
    Layout l;
    if (!c.oci_layout.empty())
      write(l.dir + "/oci-layout", c.oci_layout, 0644);
    write(l.dir + "/index.json", c.index, 0644);
    auto got = l.client->get_manifest(l.repo, "v1");
    REQUIRE_FALSE(got);
    CHECK(got.error().kind() == ErrorKind::registry);
    CHECK(got.error().message().find(l.dir + "/" + c.problem) != std::string::npos);
    CHECK(got.error().message().find('\n') == std::string::npos);
    auto put = l.client->put_manifest(l.repo, "v1", kManifest, kOci);
    REQUIRE_FALSE(put);
    CHECK(read(l.dir + "/index.json") == c.index); // never replaced
  }
}

TEST_CASE("layout: blobs are checked against their digest on write and on read") {
  Layout l;
  const std::string data = "payload";
  const std::string digest = common::sha256_digest(data);
  auto wrong = l.client->put_blob(l.repo, "sha256:" + std::string(64, '1'), data);
  REQUIRE_FALSE(wrong);
  CHECK(wrong.error().message().find("DIGEST_INVALID") != std::string::npos);
  CHECK_FALSE(*l.client->blob_exists(l.repo, digest));
  REQUIRE(l.client->put_blob(l.repo, digest, data));
  REQUIRE(l.client->upload_blob(l.repo, digest, data)); // again: already there
  CHECK(*l.client->blob_exists(l.repo, digest));
  CHECK(*l.client->get_blob(l.repo, digest, 100) == data);
  auto limited = l.client->get_blob(l.repo, digest, 3);
  REQUIRE_FALSE(limited);
  CHECK(limited.error().kind() == ErrorKind::limit);
  write(l.dir + "/blobs/sha256/" + hex(digest), "tampered", 0644);
  auto tampered = l.client->get_blob(l.repo, digest, 100);
  REQUIRE_FALSE(tampered);
  CHECK(tampered.error().message().find("does not match its digest") != std::string::npos);
  auto absent = l.client->get_blob(l.repo, "sha256:" + std::string(64, '2'), 100);
  REQUIRE_FALSE(absent);
  CHECK(absent.error().kind() == ErrorKind::not_found);
  // Nothing but the layout's own files (no temporary file left behind).
  std::size_t files = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(l.dir))
    files += e.is_regular_file() ? 1 : 0;
  CHECK(files == 3); // oci-layout, index.json, the blob
}

namespace {

// A manifest of its own for name: kManifest with an annotation naming it.
std::string manifest_named(const std::string& name) {
  return kManifest.substr(0, kManifest.size() - 1) + R"(,"annotations":{"n":")" + name + "\"}}";
}

// count tags "<prefix><n>", each naming its own manifest, through a client of its own; the
// number of PUTs that failed (Catch's assertions are not for other threads and processes).
int add_tags(const std::string& dir, const std::string& prefix, int count) {
  auto client = registry::make_layout_client(dir);
  int failed = 0;
  for (int i = 0; i < count; ++i) {
    const std::string tag = prefix + std::to_string(i);
    failed += client->put_manifest({"oci:", dir}, tag, manifest_named(tag), kOci) ? 0 : 1;
  }
  return failed;
}

} // namespace

TEST_CASE("layout: concurrent writers never lose an entry (threads and processes)") {
  Layout l;
  int failed_a = -1, failed_b = -1;
  {
    std::thread a([&] { failed_a = add_tags(l.dir, "a", 50); });
    std::thread b([&] { failed_b = add_tags(l.dir, "b", 50); });
    a.join();
    b.join();
  }
  CHECK(failed_a == 0);
  CHECK(failed_b == 0);
  CHECK(l.client->list_tags(l.repo)->size() == 100);

  std::vector<pid_t> children;
  for (const char* prefix : {"p", "q"}) {
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0)
      ::_exit(add_tags(l.dir, prefix, 50));
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    CHECK((WIFEXITED(status) && WEXITSTATUS(status) == 0));
  }
  CHECK(l.client->list_tags(l.repo)->size() == 200);
}

TEST_CASE("Client::create routes oci: repositories to layouts without a registry transport") {
  struct NoNetwork : registry::Transport {
    common::Result<registry::HttpResponse> perform(registry::HttpRequest&) override {
      FAIL("a layout call reached the transport");
      return common::make_error(ErrorKind::internal, "unreachable");
    }
  };
  ScratchDir tmp;
  auto client = Client::create(registry::ClientOptions{}, std::make_unique<NoNetwork>());
  const Repository a{"oci:", tmp / "a"}, b{"oci:", tmp / "b"};
  REQUIRE(client->put_manifest(a, "v1", kManifest, kOci));
  CHECK(client->get_manifest(b, "v1").error().kind() == ErrorKind::not_found);
  CHECK(client->get_manifest(a, "v1")->bytes == kManifest);
  CHECK(client->consistent(a));
  CHECK_FALSE(client->consistent(Repository{"reg.example", "app"}));
  CHECK(client->request_count() == 3);
  CHECK(client->connection_count() == 0);
}

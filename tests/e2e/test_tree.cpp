// tree and download end to end against a real docker-registry: an image signed and attested in
// both formats by two keys, shown as text and JSON, downloaded as cosign prints it.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/e2e/attest_support.h"
#include "tests/e2e/sign_verify_support.h"

using namespace isign::testing;
using namespace isign::testing::exit_codes;
using nlohmann::json;

namespace {

std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string line; std::getline(in, line);)
    out.push_back(line);
  return out;
}

// Two keys, each signing and attesting (custom predicate) in both formats.
struct TreeScene : SignScene {
  std::string other = new_key_pair(dir, "o");
  TreeScene() {
    write_text(dir / "p.txt", "hello");
    for (const auto& k : {key, other}) {
      REQUIRE(sign_default(reg, k, {ref}).exit_code == kOk);
      REQUIRE(attest(reg, k, {"--predicate", dir / "p.txt", ref}).exit_code == kOk);
    }
  }
};

} // namespace

TEST_CASE("tree: text and json after signing and attesting in both formats with two keys",
          "[e2e][tree]") {
  TreeScene scene;
  auto& reg = scene.reg;
  auto text =
      isign_cmd("tree", with(reg.client_flags(), {"--key", scene.key + ".pub"}), {scene.ref});
  INFO(text.out);
  REQUIRE(text.exit_code == kOk);
  CHECK(contains(text.out, signature_tag(reg.url(), "app", scene.digest)));
  CHECK(contains(text.out, "referrers"));
  CHECK(contains(text.out, "(" + scene.key + ".pub)"));
  CHECK(contains(text.out, "containers/image"));
  CHECK(count_of(text.out, "layer ") == 4);

  auto out = isign_cmd("tree", with(reg.client_flags(), {"--output", "json"}), {scene.ref});
  REQUIRE(out.exit_code == kOk);
  auto doc = json::parse(out.out, nullptr, false);
  REQUIRE(doc.is_object());
  CHECK(doc["schema"] == 1);
  REQUIRE(doc["images"].size() == 1);
  const auto& entries = doc["images"][0]["entries"];
  REQUIRE(entries.size() == 8);
  int legacy = 0, bundles = 0;
  for (const auto& e : entries) {
    if (e["format"] == "legacy") {
      ++legacy;
      CHECK(e["keyId"].is_null()); // no --key given
    } else {
      ++bundles;
      CHECK(e["keyId"].is_string());
      CHECK(e["created"].is_string());
    }
  }
  CHECK(legacy == 4);
  CHECK(bundles == 4);
}

TEST_CASE("tree: nothing attached is said, exit 0", "[e2e][tree]") {
  SignScene scene;
  auto r = isign_cmd("tree", scene.reg.client_flags(), {scene.ref});
  CHECK(r.exit_code == kOk);
  CHECK(contains(r.out, "No supply chain artifacts found"));
}

TEST_CASE("download: signatures and attestations as cosign prints them", "[e2e][download]") {
  TreeScene scene;
  auto& reg = scene.reg;
  // "download" takes its subcommand first, then flags.
  auto sigs = isign_cmd("download", {"signature"}, with(reg.client_flags(), {scene.ref}));
  REQUIRE(sigs.exit_code == kOk);
  auto lines = lines_of(sigs.out);
  REQUIRE(lines.size() == 4); // 2 bundles, then 2 .sig layers
  for (std::size_t i = 0; i < 2; ++i) {
    auto b = json::parse(lines[i], nullptr, false);
    REQUIRE(b.is_object());
    CHECK(b.contains("mediaType"));
    CHECK(b.contains("dsseEnvelope"));
  }
  for (std::size_t i = 2; i < 4; ++i) {
    auto s = json::parse(lines[i], nullptr, false);
    REQUIRE(s.is_object());
    CHECK(s["Cert"].is_null());
    CHECK(s["RFC3161Timestamp"].is_null());
    auto payload = isign::common::base64_decode(s["Payload"].get<std::string>());
    REQUIRE(payload);
    CHECK(contains(*payload, scene.digest));
    const auto sig = s["Base64Signature"].get<std::string>();
    CHECK((signature_verifies(scene.key + ".pub", *payload, sig) ||
           signature_verifies(scene.other + ".pub", *payload, sig)));
  }

  auto atts = isign_cmd("download", {"attestation"}, with(reg.client_flags(), {scene.ref}));
  REQUIRE(atts.exit_code == kOk);
  auto envelopes = envelopes_printed(atts);
  REQUIRE(envelopes.size() == 4);
  for (const auto& e : envelopes)
    CHECK(e.statement["predicateType"] == "https://cosign.sigstore.dev/attestation/v1");
  auto typed = isign_cmd("download", {"attestation"},
                         with(reg.client_flags(), {"--predicate-type", "custom", scene.ref}));
  CHECK(typed.exit_code == kOk);
  auto none = isign_cmd("download", {"attestation"},
                        with(reg.client_flags(), {"--predicate-type", "cyclonedx", scene.ref}));
  CHECK(none.exit_code == kNoSignature);
  CHECK(contains(none.err, "no attestations with predicate type"));
  auto legacy = isign_cmd("download", {"signature"},
                          with(reg.client_flags(), {"--format", "legacy", scene.ref}));
  CHECK(lines_of(legacy.out).size() == 2);
}

// A .sig manifest as a registry serves it, read as the tag store reads it
// (cosign::read_signature_layers) and verified against fixed keys with blobs from memory.
// Input: the manifest, then any number of "\n--blob--\n<bytes>" sections added to the blob store
// (keyed by their sha256), next to the two signed payloads of testdata that are always there.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/digest.h"
#include "cosign/signature_manifest.h"
#include "keys/keys.h"
#include "registry/reference.h"
#include "tests/fuzz/fuzz_support.h"
#include "verify/verifier.h"

using namespace isign;
using common::ErrorKind;

namespace {

// testdata/keys/openssl/ec-p256-pkcs8.pub: signs testdata/payloads/containers-image.json.
constexpr std::string_view kContainersImageKey = R"(-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEnY6HflTsdwyi9+VhydC8puoCWjrK
PF34/xM/xb2OGQXLLkNYEvxQ6wsa4qSFGsryDQpSsDlbLh1iuBzNiza9ZQ==
-----END PUBLIC KEY-----
)";
// testdata/signatures/sigstore-rs/cosign.pub: signs testdata/signatures/sigstore-rs/payload.json.
constexpr std::string_view kSigstoreRsKey = R"(-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAENptdY/l3nB0yqkXLBWkZWQwo6+cu
OSWS1X9vPavpiQOoTTGC0xX57OojUadxF1cdQmrsiReWg2Wn4FneJfa8xw==
-----END PUBLIC KEY-----
)";
constexpr std::string_view kContainersImagePayload =
    R"({"critical":{"identity":{"docker-reference":"127.0.0.1:5000/test/app:signed"},"image":{"docker-manifest-digest":"sha256:6ee28169c7af6ef0a5a9689722824648dba83f9d6f34a940d0977cf47be65ea7"},"type":"cosign container image signature"},"optional":{"creator":"containers/image 5.23.1","timestamp":1700000000}})";
constexpr std::string_view kSigstoreRsPayload =
    R"({"critical":{"identity":{"docker-reference":"registry-testing.svc.lan/busybox"},"image":{"docker-manifest-digest":"sha256:f3cfc9d0dbf931d3db4685ec659b7ac68e2a578219da4aae65427886e649b06b"},"type":"cosign container image signature"},"optional":null})";

constexpr std::string_view kImageDigest =
    "sha256:6ee28169c7af6ef0a5a9689722824648dba83f9d6f34a940d0977cf47be65ea7";

const std::vector<keys::PublicKey>& public_keys() {
  static const std::vector<keys::PublicKey> keys = [] {
    std::vector<keys::PublicKey> out;
    for (auto pem : {kContainersImageKey, kSigstoreRsKey}) {
      auto key = keys::PublicKey::from_pem(pem);
      if (!key)
        fuzz::invariant_failed("a testdata public key does not load", __FILE__, __LINE__);
      out.push_back(std::move(*key));
    }
    return out;
  }();
  return keys;
}

const registry::Repository& image_repository() {
  static const registry::Repository repo = [] {
    auto r = registry::Repository::parse("127.0.0.1:5000/test/app");
    if (!r)
      fuzz::invariant_failed("the image repository does not parse", __FILE__, __LINE__);
    return *r;
  }();
  return repo;
}

bool one_line(const std::string& s) {
  return s.find('\n') == std::string::npos && s.find('\r') == std::string::npos;
}

void check_report(const common::Result<verify::Report>& report,
                  const verify::VerifyOptions& options) {
  if (!report) {
    const auto kind = report.error().kind();
    // A .sig manifest that cannot be read is the registry's damage (exit 7), never "forged".
    ISIGN_FUZZ_CHECK(kind == ErrorKind::registry || kind == ErrorKind::limit);
    ISIGN_FUZZ_CHECK(!report.error().message().empty());
    return;
  }
  ISIGN_FUZZ_CHECK(report->signatures.size() <= options.limits.max_layers);
  for (const auto& layer : report->signatures) {
    ISIGN_FUZZ_CHECK(!verify::failure_name(layer.failure).empty());
    if (!layer.ok()) {
      ISIGN_FUZZ_CHECK(!layer.reason.empty());
      ISIGN_FUZZ_CHECK(layer.fetch_error.has_value() ==
                       (layer.failure == verify::Failure::fetch_failed));
      continue;
    }
    // A valid signature: a key verified it, its payload parsed and signs this image.
    ISIGN_FUZZ_CHECK(layer.key_index.has_value() && *layer.key_index < public_keys().size());
    ISIGN_FUZZ_CHECK(layer.payload.has_value());
    ISIGN_FUZZ_CHECK(layer.payload->manifest_digest == kImageDigest);
    ISIGN_FUZZ_CHECK(common::sha256_digest(layer.payload_bytes) == layer.payload_digest);
  }
  ISIGN_FUZZ_CHECK(report->verified() == !report->valid().empty());
  if (!report->verified()) {
    const auto error = report->failure_error();
    ISIGN_FUZZ_CHECK(!error.message().empty());
    ISIGN_FUZZ_CHECK(one_line(error.message()));
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto input = fuzz::as_view(data, size);
  constexpr std::string_view kSeparator = "\n--blob--\n";
  auto [manifest, rest] = fuzz::split(input, kSeparator);

  std::map<std::string, std::string> blobs;
  for (auto payload : {kContainersImagePayload, kSigstoreRsPayload})
    blobs[common::sha256_digest(payload)] = std::string(payload);
  while (!rest.empty()) {
    auto [blob, next] = fuzz::split(rest, kSeparator);
    blobs[common::sha256_digest(blob)] = std::string(blob);
    rest = next;
  }
  std::size_t fetches = 0;
  verify::BlobFetcher fetch = [&](std::string_view digest,
                                  std::size_t max_size) -> common::Result<std::string> {
    ++fetches;
    auto it = blobs.find(std::string(digest));
    if (it == blobs.end())
      return common::make_error(ErrorKind::not_found, "blob unknown to the registry");
    if (it->second.size() > max_size)
      return common::make_error(ErrorKind::limit, "blob larger than the limit");
    return it->second;
  };

  auto read = cosign::read_signature_layers(manifest);
  if (!read) {
    // A .sig manifest that cannot be read is the registry's damage (exit 7), never "forged".
    ISIGN_FUZZ_CHECK(read.error().kind() == ErrorKind::registry);
    ISIGN_FUZZ_CHECK(one_line(read.error().message()));
    return 0;
  }
  verify::VerifyOptions defaults;
  check_report(verify::verify_signatures(*read, fetch, kImageDigest, image_repository(),
                                         public_keys(), defaults),
               defaults);
  ISIGN_FUZZ_CHECK(fetches <= defaults.limits.max_layers);

  verify::VerifyOptions strict;
  strict.identity = verify::IdentityRule::none;
  strict.required_annotations = {{"creator", "containers/image 5.23.1"}};
  strict.limits.max_layers = 3;
  strict.limits.max_payload_size = kContainersImagePayload.size(); // the boundary is allowed
  fetches = 0;
  check_report(verify::verify_signatures(*read, fetch, kImageDigest, image_repository(),
                                         public_keys(), strict),
               strict);
  ISIGN_FUZZ_CHECK(fetches <= strict.limits.max_layers);
  return 0;
}

// Simple-signing payloads (the signed bytes), parsed only after their signature verified, but
// anyone holding a key, or any tool, may have written them. A payload that parses is rebuilt
// with cosign::make_payload, which must give a payload that parses to the same content: what isign
// signs, isign reads back.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "cosign/payload.h"
#include "tests/fuzz/fuzz_support.h"

using namespace isign;

namespace {

bool valid_utf8_without_surrogates(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xe0) == 0xc0) {
      n = 1;
      cp = c & 0x1fu;
    } else if ((c & 0xf0) == 0xe0) {
      n = 2;
      cp = c & 0x0fu;
    } else if ((c & 0xf8) == 0xf0) {
      n = 3;
      cp = c & 0x07u;
    } else {
      return false;
    }
    if (i + n >= s.size())
      return false;
    for (std::size_t k = 1; k <= n; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80)
        return false;
      cp = (cp << 6) | (cc & 0x3fu);
    }
    const std::uint32_t min = n == 1 ? 0x80 : n == 2 ? 0x800 : 0x10000;
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
      return false;
    i += n + 1;
  }
  return true;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto payload = cosign::parse_payload(fuzz::as_view(data, size));
  if (!payload) {
    ISIGN_FUZZ_CHECK(!payload.error().message().empty());
    return 0;
  }
  ISIGN_FUZZ_CHECK(!payload->docker_reference.empty());
  ISIGN_FUZZ_CHECK(!payload->manifest_digest.empty());
  ISIGN_FUZZ_CHECK(payload->optional_null == (payload->optional_json == "null"));
  if (payload->creator)
    ISIGN_FUZZ_CHECK(payload->annotations.count("creator") == 1);

  // make_payload only writes sha256 digests, and writes invalid UTF-8 as U+FFFD.
  if (payload->manifest_digest.rfind("sha256:", 0) != 0)
    return 0;
  bool representable = valid_utf8_without_surrogates(payload->docker_reference);
  for (const auto& [key, value] : payload->annotations)
    representable =
        representable && valid_utf8_without_surrogates(key) && valid_utf8_without_surrogates(value);
  if (!representable)
    return 0;
  auto made = cosign::make_payload(
      payload->docker_reference, payload->manifest_digest,
      cosign::Annotations(payload->annotations.begin(), payload->annotations.end()));
  ISIGN_FUZZ_CHECK(made.ok());
  auto again = cosign::parse_payload(*made);
  ISIGN_FUZZ_CHECK(again.ok());
  ISIGN_FUZZ_CHECK(again->docker_reference == payload->docker_reference);
  ISIGN_FUZZ_CHECK(again->manifest_digest == payload->manifest_digest);
  ISIGN_FUZZ_CHECK(again->annotations == payload->annotations);
  ISIGN_FUZZ_CHECK(again->creator == payload->creator);
  return 0;
}

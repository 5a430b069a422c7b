// cosign v3's formats as they come from a registry or a file: the sigstore bundle (a referrer's
// layer, verify-blob's --bundle), the in-toto statement inside it, the referrer manifest and the
// referrers index at the tag. The first byte picks the parser. An index that reads is edited
// (a descriptor appended) and must read back with one more entry and every other entry's bytes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "cosign/bundle.h"
#include "cosign/referrer.h"
#include "tests/fuzz/fuzz_support.h"

using namespace isign;

namespace {

void bundle(std::string_view input) {
  auto b = cosign::parse_bundle(input);
  if (!b) {
    ISIGN_FUZZ_CHECK(!b.error().message().empty());
    return;
  }
  ISIGN_FUZZ_CHECK(b->envelope.has_value() != b->message.has_value());
  if (b->envelope) {
    ISIGN_FUZZ_CHECK(b->envelope->payload_type == cosign::kInTotoPayloadType);
    ISIGN_FUZZ_CHECK(!b->envelope->signature.empty());
    // What isign writes from a bundle it read parses back to the same envelope.
    auto again = cosign::parse_bundle(
        cosign::make_dsse_bundle(b->hint, b->envelope->payload, b->envelope->signature));
    ISIGN_FUZZ_CHECK(again.ok());
    ISIGN_FUZZ_CHECK(again->envelope->payload == b->envelope->payload);
    (void)cosign::parse_statement(b->envelope->payload);
  }
}

void statement(std::string_view input) {
  auto s = cosign::parse_statement(input);
  if (!s)
    return;
  ISIGN_FUZZ_CHECK(!s->subjects.empty());
  ISIGN_FUZZ_CHECK(s->type == cosign::kStatementTypeV1 || s->type == cosign::kStatementTypeV01);
}

void index(std::string_view input) {
  (void)cosign::read_referrer(input);
  auto entries = cosign::read_referrers_index(input);
  if (!entries)
    return;
  const std::string added =
      cosign::referrers_index_descriptor("application/vnd.oci.image.manifest.v1+json",
                                         "sha256:" + std::string(64, '0'), 1, "x/y", {{"k", "v"}});
  auto edited = cosign::edit_referrers_index(input, added, {});
  ISIGN_FUZZ_CHECK(edited.ok());
  auto reread = cosign::read_referrers_index(*edited);
  ISIGN_FUZZ_CHECK(reread.ok());
  ISIGN_FUZZ_CHECK(reread->size() == entries->size() + 1);
  for (std::size_t i = 0; i < entries->size(); ++i)
    ISIGN_FUZZ_CHECK((*reread)[i].descriptor.text == (*entries)[i].descriptor.text);
  ISIGN_FUZZ_CHECK(reread->back().descriptor.text == added);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0)
    return 0;
  const std::string_view input = fuzz::as_view(data + 1, size - 1);
  switch (data[0] % 3) {
  case 0:
    bundle(input);
    break;
  case 1:
    statement(input);
    break;
  default:
    index(input);
    break;
  }
  return 0;
}

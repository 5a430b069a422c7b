// AdmissionReview requests as anyone who can reach the webhook's port sends them.
// Invariants: a refusal is a usage error with a message; a parsed review's images each have a
// JSON Pointer under /spec ending in /image or /image/reference; the answer written for it, with
// every image patched and warnings, is strict JSON that echoes the uid.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>

#include "common/json.h"
#include "server/admission.h"
#include "tests/fuzz/fuzz_support.h"

using namespace isign;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = fuzz::as_view(data, size);
  auto review = server::parse_admission_review(text);
  if (!review) {
    ISIGN_FUZZ_CHECK(review.error().kind() == common::ErrorKind::usage);
    ISIGN_FUZZ_CHECK(!review.error().message().empty());
    return 0;
  }
  ISIGN_FUZZ_CHECK(!review->uid.empty());
  server::AdmissionAnswer answer;
  for (const auto& site : review->images) {
    ISIGN_FUZZ_CHECK(site.pointer.rfind("/spec/", 0) == 0);
    answer.patches.push_back({site.pointer, site.image + "@sha256:0"});
    answer.warnings.push_back(site.container + " " + site.image);
  }
  auto written = common::parse_strict_json(server::admission_response(*review, answer));
  ISIGN_FUZZ_CHECK(written.ok());
  ISIGN_FUZZ_CHECK((*written)["response"]["uid"] == review->uid);
  answer.allowed = false;
  answer.message = text.substr(0, 64);
  ISIGN_FUZZ_CHECK(common::parse_strict_json(server::admission_response(*review, answer)).ok());
  return 0;
}

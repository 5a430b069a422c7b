// WWW-Authenticate header values, as any registry (or anything pretending to be one) sends them.
#include <cstddef>
#include <cstdint>
#include <string>

#include "registry/challenge.h"
#include "tests/fuzz/fuzz_support.h"

using namespace isign;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto challenges = registry::parse_www_authenticate(fuzz::as_view(data, size));
  if (!challenges) {
    const std::string& message = challenges.error().message();
    ISIGN_FUZZ_CHECK(!message.empty());
    // One line, as every error of ours.
    ISIGN_FUZZ_CHECK(message.find('\n') == std::string::npos);
    return 0;
  }
  for (const auto& c : *challenges) {
    ISIGN_FUZZ_CHECK(!c.scheme.empty());
    for (char ch : c.scheme)
      ISIGN_FUZZ_CHECK(!(ch >= 'A' && ch <= 'Z'));
    (void)c.param("realm");
    (void)c.param("service");
    (void)c.param("scope");
  }
  return 0;
}

// Image references and registry hosts as users and config files write them.
// Invariants: a parsed reference prints as text that parses back to the same reference.
#include <cstddef>
#include <cstdint>

#include "registry/reference.h"
#include "tests/fuzz/fuzz_support.h"

using namespace isign;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto text = fuzz::as_view(data, size);

  if (auto ref = registry::Reference::parse(text)) {
    (void)ref->identifier();
    (void)ref->repository.api_host();
    auto again = registry::Reference::parse(ref->str());
    ISIGN_FUZZ_CHECK(again.ok());
    ISIGN_FUZZ_CHECK(again->repository == ref->repository);
    ISIGN_FUZZ_CHECK(again->digest == ref->digest);
    // str() spells an implied "latest" out.
    ISIGN_FUZZ_CHECK(again->tag == ref->tag ||
                     (ref->tag.empty() && ref->digest.empty() && again->tag == "latest"));
  } else {
    ISIGN_FUZZ_CHECK(!ref.error().message().empty());
  }

  if (auto repo = registry::Repository::parse(text)) {
    auto again = registry::Repository::parse(repo->str());
    ISIGN_FUZZ_CHECK(again.ok() && *again == *repo);
  }

  if (auto host = registry::parse_registry_host(text)) {
    auto again = registry::parse_registry_host(*host);
    ISIGN_FUZZ_CHECK(again.ok() && *again == *host);
  }
  return 0;
}

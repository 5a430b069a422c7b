// The helpers that turn a registry's answers into one-line messages.
#include <catch2/catch.hpp>

#include "registry/http_util.h"

using isign::registry::detail::quote_text;

TEST_CASE("quote_text: registry text in quotes, control bytes escaped, long text cut", "[http]") {
  CHECK(quote_text("application/json") == "'application/json'");
  // A mediaType with a newline (found by fuzz_registry) stays on the message's one line.
  CHECK(quote_text("applicatio\n/vnd") == "'applicatio\\x0a/vnd'");
  CHECK(quote_text(std::string("a\0b\x7f", 4)) == "'a\\x00b\\x7f'");
  CHECK(quote_text(std::string(150, 'x')) == "'" + std::string(100, 'x') + "...'");
}

// The verdict cache under a flood: one review naming more images than the cache holds must cost
// time in proportion to them, not to their product (the cache's lock is held meanwhile, and every
// review, cached ones on the I/O threads included, waits on it).
#include <catch2/catch.hpp>
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "server/verdicts.h"

using namespace isign::server;
using namespace std::chrono_literals;

TEST_CASE("adversary verdicts: a batch three times the cache's size is stored in linear time") {
  Clock::time_point t = Clock::time_point{} + 1h;
  VerdictCacheOptions o;
  o.now = [&t] { return t; };
  Verdicts verdicts(o, [](std::function<void()>) {});
  std::vector<std::string> keys;
  for (std::size_t i = 0; i < 3 * o.max_entries; ++i)
    keys.push_back("generation 127.0.0.1:5000/image" + std::to_string(i) + ":v1");
  const auto start = std::chrono::steady_clock::now();
  auto answers = verdicts.get(
      keys,
      [](const std::vector<std::string>& batch) {
        return std::vector<Verdict>(batch.size(), Verdict{false, false, "", "unsigned"});
      },
      Clock::now() + 60s);
  const auto took = std::chrono::steady_clock::now() - start;
  CHECK(answers.size() == keys.size());
  CHECK(verdicts.size() == o.max_entries);
  // Quadratic (a full scan per entry past the bound) takes tens of seconds here.
  CHECK(took < 2s);
  // A later, single key still finds room, and is served.
  t += 1s;
  verdicts.get(
      {"generation x:v1"},
      [](const std::vector<std::string>& b) {
        return std::vector<Verdict>(b.size(), Verdict{true, false, "sha256:1", ""});
      },
      Clock::now() + 60s);
  CHECK(verdicts.size() == o.max_entries);
  CHECK(verdicts.cached({"generation x:v1"}, {}));
}

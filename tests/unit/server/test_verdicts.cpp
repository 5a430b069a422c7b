// The verdict cache: lifetimes, refusals, background refreshes, one verification per image in
// flight, and a bound on its size. A fake clock: nothing sleeps but the single-flight test.
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "server/verdicts.h"

using namespace isign::server;
using namespace std::chrono_literals;

namespace {

struct Fixture {
  Clock::time_point t = Clock::time_point{} + 1h;
  std::vector<std::function<void()>> spawned;
  std::atomic<int> calls{0};
  Verdict next{true, false, "sha256:1", ""};
  Verdicts verdicts;

  explicit Fixture(VerdictCacheOptions o = {})
      : verdicts(with_clock(o), [this](std::function<void()> fn) { spawned.push_back(fn); }) {}

  VerdictCacheOptions with_clock(VerdictCacheOptions o) {
    o.now = [this] { return t; };
    return o;
  }
  Verdicts::VerifyBatch verify() {
    return [this](const std::vector<std::string>& keys) {
      ++calls;
      return std::vector<Verdict>(keys.size(), next);
    };
  }
  std::vector<Verdicts::Answer> get(std::vector<std::string> keys) {
    return verdicts.get(keys, verify(), Clock::now() + 5s);
  }
};

} // namespace

TEST_CASE("verdicts: a pass is served for its ttl, then verified again") {
  Fixture f;
  auto first = f.get({"a"});
  CHECK_FALSE(first[0].cached);
  CHECK(first[0].verdict.allowed);
  f.t += 29s;
  CHECK(f.get({"a"})[0].cached);
  CHECK(f.calls == 1);
  CHECK(f.verdicts.cached({"a"}, f.verify()));
  f.t += 31s; // 60 s: expired
  CHECK_FALSE(f.verdicts.cached({"a"}, f.verify()));
  CHECK_FALSE(f.get({"a"})[0].cached);
  CHECK(f.calls == 2);
}

TEST_CASE("verdicts: past refresh_after a hit re-checks in the background, and the news lands") {
  Fixture f;
  f.get({"a"});
  f.t += 31s;
  auto hit = f.get({"a"});
  CHECK(hit[0].cached);
  CHECK(hit[0].verdict.allowed);
  REQUIRE(f.spawned.size() == 1);
  // The signature was deleted meanwhile: the refresh refuses, and the next review sees it.
  f.next = Verdict{false, false, "sha256:1", "no signatures found"};
  f.get({"a"}); // a refresh in flight is not started twice
  CHECK(f.spawned.size() == 1);
  f.spawned[0]();
  auto after = f.get({"a"});
  CHECK(after[0].cached);
  CHECK_FALSE(after[0].verdict.allowed);
  CHECK(after[0].verdict.reason == "no signatures found");
}

TEST_CASE("verdicts: a refusal is served for negative_ttl only, an outage is never cached") {
  Fixture f;
  f.next = Verdict{false, false, "", "unsigned"};
  f.get({"a"});
  f.t += 9s;
  CHECK(f.get({"a"})[0].cached);
  f.t += 1s;
  CHECK_FALSE(f.get({"a"})[0].cached);
  f.next = Verdict{false, true, "", "registry unreachable"};
  f.t += 11s;
  f.get({"b"});
  CHECK_FALSE(f.get({"b"})[0].cached);
  CHECK(f.calls == 4);
}

TEST_CASE("verdicts: an outage keeps the last pass rather than replacing it") {
  Fixture f;
  f.get({"a"});
  f.next = Verdict{false, true, "", "registry unreachable"};
  f.t += 31s;
  f.get({"a"});
  REQUIRE(f.spawned.size() == 1);
  f.spawned[0]();
  CHECK(f.get({"a"})[0].verdict.allowed);
}

TEST_CASE("verdicts: concurrent reviews of one image share one verification") {
  Verdicts verdicts(VerdictCacheOptions{}, [](std::function<void()> fn) { fn(); });
  std::atomic<int> calls{0};
  std::atomic<bool> release{false};
  auto slow = [&](const std::vector<std::string>& keys) {
    ++calls;
    while (!release)
      std::this_thread::sleep_for(1ms);
    return std::vector<Verdict>(keys.size(), Verdict{true, false, "sha256:1", ""});
  };
  std::vector<std::thread> threads;
  std::atomic<int> allowed{0};
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&] {
      auto a = verdicts.get({"img", "img"}, slow, Clock::now() + 10s);
      allowed += a[0].verdict.allowed && a[1].verdict.allowed;
    });
  std::this_thread::sleep_for(50ms);
  release = true;
  for (auto& t : threads)
    t.join();
  CHECK(calls == 1);
  CHECK(allowed == 8);
}

TEST_CASE("verdicts: a review waiting on another's verification gives up at its deadline") {
  Verdicts verdicts(VerdictCacheOptions{}, [](std::function<void()> fn) { fn(); });
  std::atomic<bool> release{false};
  auto slow = [&](const std::vector<std::string>& keys) {
    while (!release)
      std::this_thread::sleep_for(1ms);
    return std::vector<Verdict>(keys.size(), Verdict{true, false, "sha256:1", ""});
  };
  std::thread leader([&] { verdicts.get({"img"}, slow, Clock::now() + 10s); });
  std::this_thread::sleep_for(20ms);
  auto waited = verdicts.get({"img"}, slow, Clock::now() + 30ms);
  CHECK_FALSE(waited[0].verdict.allowed);
  CHECK(waited[0].verdict.transient);
  CHECK_THAT(waited[0].verdict.reason, Catch::Contains("deadline"));
  release = true;
  leader.join();
}

TEST_CASE("verdicts: a verifier that throws refuses, and frees the key") {
  Fixture f;
  auto a = f.verdicts.get(
      {"a"},
      [](const std::vector<std::string>&) -> std::vector<Verdict> { throw std::bad_alloc(); },
      Clock::now() + 1s);
  CHECK_FALSE(a[0].verdict.allowed);
  CHECK(a[0].verdict.transient);
  CHECK(f.get({"a"})[0].verdict.allowed);
}

TEST_CASE("verdicts: the cache holds at most max_entries, dropping the oldest") {
  VerdictCacheOptions o;
  o.max_entries = 3;
  Fixture f(o);
  for (const char* k : {"a", "b", "c", "d"}) {
    f.get({k});
    f.t += 1s;
  }
  CHECK(f.verdicts.size() == 3);
  CHECK_FALSE(f.verdicts.cached({"a"}, f.verify()));
  CHECK(f.verdicts.cached({"d"}, f.verify()));
}

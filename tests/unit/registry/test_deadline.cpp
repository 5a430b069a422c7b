// with_deadline: views with deadlines of their own over one shared client, from several threads,
// through retries, token requests and waits for another thread's first request.
#include <catch2/catch.hpp>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "common/digest.h"
#include "registry/deadline.h"
#include "tests/unit/registry/scripted_client.h"

using namespace isign;
using namespace isign::registry;
using namespace isign::testing;
using common::ErrorKind;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

namespace {

const Repository kRepo{"reg.example:5000", "team/app"};
const std::string kDigest = common::sha256_digest("{}");

HttpResponse found() {
  return resp(200, "", {{"docker-content-digest", kDigest}});
}

// Answers every HEAD, thread-safe, recording each request's timeout by the reference it names.
class TimeoutRecorder : public Transport {
public:
  std::mutex mutex;
  std::map<std::string, std::vector<milliseconds>> timeouts; // by tag
  common::Result<HttpResponse> perform(HttpRequest& r) override {
    std::lock_guard lock(mutex);
    timeouts[r.url.substr(r.url.rfind('/') + 1)].push_back(r.timeout);
    return found();
  }
};

} // namespace

TEST_CASE("a view whose deadline has passed fails at once, naming it, and sends nothing",
          "[deadline]") {
  Harness h;
  auto view = with_deadline(*h.client, Clock::now() - std::chrono::seconds(1));
  auto m = view->get_manifest(kRepo, "v1");
  REQUIRE_FALSE(m);
  CHECK(m.error().kind() == ErrorKind::network);
  CHECK(m.error().message() ==
        "GET /v2/team/app/manifests/v1: the request's deadline passed before it could be sent");
  CHECK(h.log.empty());
  // The base client, and the thread, have no deadline once the view's call returned.
  h.reply(found());
  CHECK(h.client->head_manifest(kRepo, "v1"));
  CHECK(h.log.size() == 1);
}

TEST_CASE("views with different deadlines over one client each honour their own, from any thread",
          "[deadline]") {
  auto transport = std::make_unique<TimeoutRecorder>();
  TimeoutRecorder* recorder = transport.get();
  ClientOptions o;
  o.credential_lookup = [](std::string_view) {
    return common::Result<std::optional<Credentials>>(std::optional<Credentials>());
  };
  auto client = Client::create(std::move(o), std::move(transport));
  const auto start = Clock::now();
  auto late = with_deadline(*client, start + std::chrono::hours(1));
  auto soon = with_deadline(*client, start + std::chrono::seconds(30));
  auto past = with_deadline(*client, start - std::chrono::seconds(1));
  std::atomic<int> late_ok{0}, soon_ok{0}, past_failed{0}, base_ok{0};
  constexpr int kCalls = 20;
  std::vector<std::thread> threads;
  threads.emplace_back([&] {
    for (int i = 0; i < kCalls; ++i)
      late_ok += late->head_manifest(kRepo, "late") ? 1 : 0;
  });
  threads.emplace_back([&] {
    for (int i = 0; i < kCalls; ++i)
      soon_ok += soon->head_manifest(kRepo, "soon") ? 1 : 0;
  });
  threads.emplace_back([&] {
    for (int i = 0; i < kCalls; ++i) {
      auto d = past->head_manifest(kRepo, "past");
      past_failed += !d && d.error().kind() == ErrorKind::network ? 1 : 0;
    }
  });
  threads.emplace_back([&] {
    for (int i = 0; i < kCalls; ++i)
      base_ok += client->head_manifest(kRepo, "base") ? 1 : 0;
  });
  for (auto& t : threads)
    t.join();
  CHECK(late_ok == kCalls);
  CHECK(soon_ok == kCalls);
  CHECK(past_failed == kCalls);
  CHECK(base_ok == kCalls);
  CHECK(recorder->timeouts.count("past") == 0);
  for (auto t : recorder->timeouts["late"])
    CHECK((t > std::chrono::minutes(59) && t <= std::chrono::hours(1)));
  for (auto t : recorder->timeouts["soon"])
    CHECK((t > std::chrono::seconds(20) && t <= std::chrono::seconds(30)));
  for (auto t : recorder->timeouts["base"])
    CHECK(t == milliseconds(0)); // no deadline: the transport's own timeout only
}

TEST_CASE("the base client's deadline still applies through a view", "[deadline]") {
  SECTION("the base's has passed: the CLI's message") {
    ClientOptions o;
    o.deadline = Clock::now() - std::chrono::seconds(1);
    Harness h(o);
    auto view = with_deadline(*h.client, Clock::now() + std::chrono::hours(1));
    auto m = view->head_manifest(kRepo, "v1");
    REQUIRE_FALSE(m);
    CHECK_THAT(m.error().message(), Catch::Contains("the overall deadline passed"));
    CHECK_THAT(m.error().message(), Catch::Contains("(--deadline sets it)"));
    CHECK(h.log.empty());
  }
  SECTION("the earlier of the two bounds each request") {
    for (bool base_first : {true, false}) {
      ClientOptions o;
      const auto now = Clock::now();
      o.deadline = now + (base_first ? std::chrono::seconds(10) : std::chrono::hours(1));
      std::vector<milliseconds> timeouts;
      Harness h(o);
      h.transport->replies.push_back([&timeouts](HttpRequest& r) -> common::Result<HttpResponse> {
        timeouts.push_back(r.timeout);
        return found();
      });
      auto view = with_deadline(
          *h.client, now + (base_first ? std::chrono::hours(1) : std::chrono::seconds(10)));
      REQUIRE(view->head_manifest(kRepo, "v1"));
      REQUIRE(timeouts.size() == 1);
      CHECK((timeouts[0] > std::chrono::seconds(5) && timeouts[0] <= std::chrono::seconds(10)));
    }
  }
}

TEST_CASE("retries never wait past the view's deadline", "[deadline]") {
  Harness h;
  for (int i = 0; i < 4; ++i)
    h.reply(resp(503, "", {{"retry-after", "10"}}));
  auto view = with_deadline(*h.client, Clock::now() + milliseconds(300));
  auto m = view->head_manifest(kRepo, "v1");
  REQUIRE_FALSE(m);
  REQUIRE(h.waits.size() == 3);
  for (auto w : h.waits)
    CHECK(w <= milliseconds(300));
  // Without the view, Retry-After is honoured.
  for (int i = 0; i < 4; ++i)
    h.reply(resp(503, "", {{"retry-after", "10"}}));
  REQUIRE_FALSE(h.client->head_manifest(kRepo, "v1"));
  REQUIRE(h.waits.size() == 6);
  CHECK(h.waits[3] == milliseconds(10000));
}

TEST_CASE("a token request honours the view's deadline", "[deadline]") {
  Harness h;
  std::vector<milliseconds> timeouts;
  auto record = [&timeouts](HttpResponse answer) {
    return [&timeouts, answer](HttpRequest& r) -> common::Result<HttpResponse> {
      timeouts.push_back(r.timeout);
      return answer;
    };
  };
  h.transport->replies.push_back(
      record(resp(401, "", {{"www-authenticate", R"(Bearer realm="https://auth.example/t")"}})));
  h.transport->replies.push_back(record(resp(200, R"({"token":"T"})")));
  h.transport->replies.push_back(record(found()));
  auto view = with_deadline(*h.client, Clock::now() + std::chrono::seconds(10));
  REQUIRE(view->head_manifest(kRepo, "v1"));
  REQUIRE(h.log.size() == 3);
  CHECK(h.log[1].url.rfind("https://auth.example/t?", 0) == 0);
  REQUIRE(timeouts.size() == 3);
  for (auto t : timeouts)
    CHECK((t > milliseconds(0) && t <= std::chrono::seconds(10)));
}

namespace {

// A bearer-protected registry whose token service answers only once released.
class SlowTokenService : public Transport {
public:
  std::mutex mutex;
  std::condition_variable cv;
  bool released = false;
  bool token_asked = false;
  common::Result<HttpResponse> perform(HttpRequest& r) override {
    std::unique_lock lock(mutex);
    if (r.url.rfind("https://auth.example/", 0) == 0) {
      token_asked = true;
      cv.notify_all();
      cv.wait(lock, [this] { return released; });
      return resp(200, R"({"token":"T"})");
    }
    for (const auto& [k, v] : r.headers)
      if (k == "Authorization" && v == "Bearer T")
        return found();
    return resp(401, "", {{"www-authenticate", R"(Bearer realm="https://auth.example/t")"}});
  }
};

} // namespace

TEST_CASE("a view does not wait past its deadline for another call's first request or token",
          "[deadline]") {
  auto transport = std::make_unique<SlowTokenService>();
  SlowTokenService* service = transport.get();
  ClientOptions o;
  o.credential_lookup = [](std::string_view) {
    return common::Result<std::optional<Credentials>>(std::optional<Credentials>());
  };
  auto client = Client::create(std::move(o), std::move(transport));
  // The first request of the scope, without a deadline, stalls in its token request.
  std::thread first([&client] { CHECK(client->head_manifest(kRepo, "v1")); });
  {
    std::unique_lock lock(service->mutex);
    service->cv.wait(lock, [service] { return service->token_asked; });
  }
  auto view = with_deadline(*client, Clock::now() + milliseconds(200));
  const auto start = Clock::now();
  auto m = view->head_manifest(kRepo, "v1");
  const auto waited = Clock::now() - start;
  {
    std::lock_guard lock(service->mutex);
    service->released = true;
  }
  service->cv.notify_all();
  first.join();
  REQUIRE_FALSE(m);
  CHECK(m.error().kind() == ErrorKind::network);
  CHECK_THAT(m.error().message(), Catch::Contains("the request's deadline passed"));
  CHECK(waited < std::chrono::seconds(5));
}

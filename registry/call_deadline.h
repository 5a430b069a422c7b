// Internal to registry/: the deadline of the calls a thread makes, set by with_deadline's view
// (deadline.h) around each call it forwards, and read where the registry client sends and waits.
// A thread's own value, so that views with different deadlines share one client from any thread.
#pragma once

#include <chrono>
#include <mutex>
#include <optional>
#include <string_view>

#include "common/result.h"

namespace isign::registry::detail {

using Clock = std::chrono::steady_clock;

// Sets the calling thread's call deadline for its scope: the earlier of deadline and any deadline
// already set (a view over a view keeps the tighter one). Restores the previous one on exit.
class ScopedDeadline {
public:
  explicit ScopedDeadline(Clock::time_point deadline);
  ScopedDeadline(const ScopedDeadline&) = delete;
  ScopedDeadline& operator=(const ScopedDeadline&) = delete;
  ~ScopedDeadline();

private:
  std::optional<Clock::time_point> previous_;
};

// The deadline a request must meet: the earlier of the client's (--deadline) and the calling
// thread's; per_call says the thread's is the one that binds, for the message.
struct Deadline {
  std::optional<Clock::time_point> at;
  bool per_call = false;

  // The whole milliseconds left before it (0 once fewer remain); nullopt when there is none.
  std::optional<std::chrono::milliseconds> left() const;
};
Deadline effective_deadline(const std::optional<Clock::time_point>& client_deadline);

// The network error for what (e.g. "GET /v2/x/manifests/v1") when d passed before it could be
// sent, naming which deadline it was.
common::Error deadline_error(const Deadline& d, std::string_view what);

// m locked, waiting no later than d; not owned when d passed first (the caller then goes on
// without it, and its next request fails on the deadline).
std::unique_lock<std::timed_mutex> lock_until(std::timed_mutex& m, const Deadline& d);

} // namespace isign::registry::detail

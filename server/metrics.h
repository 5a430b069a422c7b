// What isign serve counts, in the Prometheus text format (version 0.0.4) at /metrics. Lock-free
// counters: every review updates them.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace isign::server {

enum class Endpoint { validate, mutate };
enum class Outcome { verified, refused, error }; // what one verification came to
enum class ReloadOf { policy, tls, registry_auth };

class Metrics {
public:
  // One review answered: its latency and whether it was allowed.
  void review(Endpoint endpoint, bool allowed, double seconds);
  // A review's image answered from the cache (hit) or not (miss: verified, or joined one in
  // flight).
  void cache(bool hit);
  void verification(Outcome outcome);
  // A verification that failed because of the registry (unreachable, 5xx, throttled, deadline).
  void registry_error();
  void reload(ReloadOf what, bool ok);
  // A request refused before review: 400, 404, 405, 413, 415, 431.
  void rejected_request(int status);
  void in_flight(int delta) { in_flight_ += delta; }

  std::string render() const;

  // Upper bounds of the latency histogram's buckets, in seconds.
  static constexpr std::array<double, 14> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                      0.025,  0.05,  0.1,    0.25,  0.5,
                                                      1,      2.5,   5,      10};

private:
  struct Histogram {
    std::array<std::atomic<std::uint64_t>, kBuckets.size()> buckets{};
    std::atomic<std::uint64_t> count{0};
    std::atomic<std::uint64_t> sum_micros{0};
  };
  std::array<Histogram, 2> latency_{};                            // by Endpoint
  std::array<std::array<std::atomic<std::uint64_t>, 2>, 2> reviews_{}; // [endpoint][allowed]
  std::atomic<std::uint64_t> hits_{0}, misses_{0}, registry_errors_{0};
  std::array<std::atomic<std::uint64_t>, 3> outcomes_{};
  std::array<std::array<std::atomic<std::uint64_t>, 2>, 3> reloads_{}; // [what][ok]
  std::array<std::atomic<std::uint64_t>, 6> rejected_{};
  std::atomic<std::int64_t> in_flight_{0};
};

} // namespace isign::server

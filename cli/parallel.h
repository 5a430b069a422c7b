// Running the per-image work of a command on a few threads over the one registry client.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <thread>
#include <vector>

namespace isign::cli {

// Images (and index children) a command works on at once: enough to hide registry round trips,
// few enough not to flood a registry.
inline constexpr std::size_t kParallelImages = 8;

// Runs fn(0), ..., fn(n-1) on up to `workers` threads (the calling thread among them), each
// taking the next index as soon as it is free; returns when all have returned.
template <class F> void parallel_for(std::size_t n, std::size_t workers, F fn) {
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    for (std::size_t i; (i = next++) < n;)
      fn(i);
  };
  std::vector<std::thread> threads;
  for (std::size_t w = 1; w < std::min(n, workers); ++w)
    threads.emplace_back(work);
  work();
  for (auto& t : threads)
    t.join();
}

} // namespace isign::cli

// Running independent pieces of work (images, index children) on a few threads.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

namespace isign::common {

// Runs fn(0), ..., fn(n-1) on up to `workers` threads (the calling thread among them), each
// taking the next index as soon as it is free; returns when all have returned. When no more
// threads can be started (a pids limit) the ones running do all the work. The first exception fn
// throws stops the rest from starting and is rethrown here, on the calling thread, once every
// thread has ended (an exception leaving a std::thread would abort the process).
template <class F> void parallel_for(std::size_t n, std::size_t workers, F fn) {
  std::atomic<std::size_t> next{0};
  std::mutex mu;
  std::exception_ptr failure;
  auto work = [&] {
    try {
      for (std::size_t i; (i = next++) < n;)
        fn(i);
    } catch (...) {
      std::lock_guard lock(mu);
      if (!failure)
        failure = std::current_exception();
      next = n;
    }
  };
  std::vector<std::thread> threads;
  threads.reserve(workers);
  for (std::size_t w = 1; w < std::min(n, workers); ++w) {
    try {
      threads.emplace_back(work);
    } catch (const std::system_error&) {
      break;
    }
  }
  work();
  for (auto& t : threads)
    t.join();
  if (failure)
    std::rethrow_exception(failure);
}

} // namespace isign::common

// The verdict cache of isign serve: what verifying an image under one policy came to, remembered
// for a bounded time, and one verification in flight per image shared by every review that
// needs it. Keys are built by the caller: the image as named (repository and digest, or tag),
// and the hash of the policy and every key it loaded, so a reload never serves an old verdict.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <unordered_map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace isign::server {

using Clock = std::chrono::steady_clock;

// What verifying one image came to.
struct Verdict {
  bool allowed = false;
  // The failure says nothing about the image (the registry was unreachable, answered 5xx, the
  // deadline passed): never cached, and what --fail-open lets through.
  bool transient = false;
  std::string digest; // what was verified ("sha256:..."); empty when the policy decided alone
  std::string reason; // why not, when refused; a note when allowed without verifying
};

struct VerdictCacheOptions {
  // A passing verdict is served for at most ttl; once older than refresh_after, a hit also
  // starts a verification in the background, so an image in use is re-checked (a deleted or
  // revoked signature is noticed) without a review ever waiting for it.
  std::chrono::milliseconds ttl{60000};
  std::chrono::milliseconds refresh_after{30000};
  // A refusal (unsigned, wrong key) is served for this long: a controller retrying a refused
  // Pod does not cost a verification each time, and a fix is noticed soon.
  std::chrono::milliseconds negative_ttl{10000};
  std::size_t max_entries = 20000;
  std::function<Clock::time_point()> now; // unset: steady_clock (tests inject one)
};

class Verdicts {
public:
  // Verifies the images of keys (one batch, on the calling thread); one verdict per key, in
  // order. Must not throw.
  using VerifyBatch = std::function<std::vector<Verdict>(const std::vector<std::string>& keys)>;
  // Runs work on another thread (background refreshes).
  using Spawn = std::function<void(std::function<void()> work)>;

  Verdicts(VerdictCacheOptions options, Spawn spawn);

  struct Answer {
    Verdict verdict;
    bool cached = false; // from the cache; false: verified now or waited for
  };

  // Fresh cached verdicts for every key, or nullopt when one is missing (nothing started). Hits
  // past refresh_after start their background refresh with verify.
  std::optional<std::vector<Answer>> cached(const std::vector<std::string>& keys,
                                            const VerifyBatch& verify);

  // A verdict for every key: cached, joined from a verification in flight, or verified here in
  // one batch of the keys no one else is verifying. A key still in flight elsewhere at deadline
  // answers a transient refusal saying so.
  std::vector<Answer> get(const std::vector<std::string>& keys, const VerifyBatch& verify,
                          Clock::time_point deadline);

  std::size_t size() const;

private:
  struct Entry {
    Verdict verdict;
    Clock::time_point at;
  };
  struct Flight {
    bool done = false;
    Verdict verdict;
  };
  Clock::time_point now() const;
  // Under mu_: the entry's verdict when it is fresh; starts a refresh when it is due.
  std::optional<Verdict> fresh(const std::string& key, Clock::time_point t,
                               std::vector<std::string>& refresh);
  void refresh_in_background(std::vector<std::string> keys, const VerifyBatch& verify);
  // Runs verify for keys this thread leads and publishes the verdicts.
  std::vector<Verdict> lead(const std::vector<std::string>& keys, const VerifyBatch& verify);
  void store(const std::string& key, const Verdict& v, Clock::time_point t);
  // Under mu_, once per batch stored: past max_entries, drops what expired, then the oldest. A
  // pass costs the whole map: once per batch, never once per entry of a batch of thousands.
  void trim(Clock::time_point t);

  VerdictCacheOptions options_;
  Spawn spawn_;
  mutable std::mutex mu_;
  std::condition_variable landed_;
  std::unordered_map<std::string, Entry> entries_;
  std::unordered_map<std::string, std::shared_ptr<Flight>> flights_;
};

} // namespace isign::server

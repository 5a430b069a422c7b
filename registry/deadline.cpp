// with_deadline's view, and the thread's call deadline it sets (call_deadline.h).
#include "registry/deadline.h"

#include "registry/call_deadline.h"

namespace isign::registry {

using common::Result;

namespace detail {

namespace {
// Per thread, not per client: the view sets it around a call and the registry client reads it
// deep inside, on the same thread, with no parameter threaded through every request function.
thread_local std::optional<Clock::time_point> t_call_deadline;
} // namespace

ScopedDeadline::ScopedDeadline(Clock::time_point deadline) : previous_(t_call_deadline) {
  if (!t_call_deadline || deadline < *t_call_deadline)
    t_call_deadline = deadline;
}

ScopedDeadline::~ScopedDeadline() {
  t_call_deadline = previous_;
}

std::optional<std::chrono::milliseconds> Deadline::left() const {
  if (!at)
    return std::nullopt;
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(*at - Clock::now());
  return std::max(ms, std::chrono::milliseconds(0));
}

Deadline effective_deadline(const std::optional<Clock::time_point>& client_deadline) {
  if (t_call_deadline && (!client_deadline || *t_call_deadline < *client_deadline))
    return {t_call_deadline, true};
  return {client_deadline, false};
}

common::Error deadline_error(const Deadline& d, std::string_view what) {
  // The CLI's text names its flag; a server's per-request deadline is no flag of this client's.
  return common::Error(common::ErrorKind::network,
                       std::string(what) +
                           (d.per_call ? ": the request's deadline passed before it could be sent"
                                       : ": the overall deadline passed before the request could "
                                         "be sent (--deadline sets it)"));
}

std::unique_lock<std::timed_mutex> lock_until(std::timed_mutex& m, const Deadline& d) {
  if (!d.at)
    return std::unique_lock(m);
  std::unique_lock lock(m, std::defer_lock);
  // try_lock_until may fail spuriously: not owned must mean the deadline passed.
  while (!lock.try_lock_until(*d.at) && Clock::now() < *d.at) {
  }
  return lock;
}

} // namespace detail

namespace {

// Every call forwarded to base with the thread's call deadline set around it, so that it holds on
// whichever thread calls (verify_all's workers too) and only for this view's calls.
class DeadlineView final : public Client {
public:
  DeadlineView(Client& base, detail::Clock::time_point deadline)
      : base_(base), deadline_(deadline) {}

  Result<Descriptor> head_manifest(const Repository& repo, std::string_view ref) override {
    detail::ScopedDeadline scope(deadline_);
    return base_.head_manifest(repo, ref);
  }
  Result<Manifest> get_manifest(const Repository& repo, std::string_view ref) override {
    detail::ScopedDeadline scope(deadline_);
    return base_.get_manifest(repo, ref);
  }
  using Client::put_manifest;
  Result<std::string> put_manifest(const Repository& repo, std::string_view ref,
                                   std::string_view bytes, std::string_view media_type,
                                   const PutCondition& condition) override {
    detail::ScopedDeadline scope(deadline_);
    return base_.put_manifest(repo, ref, bytes, media_type, condition);
  }
  Result<PutResult> put_manifest_with_subject(const Repository& repo, std::string_view ref,
                                              std::string_view bytes,
                                              std::string_view media_type) override {
    detail::ScopedDeadline scope(deadline_);
    return base_.put_manifest_with_subject(repo, ref, bytes, media_type);
  }
  Result<void> delete_manifest(const Repository& repo, std::string_view digest) override {
    detail::ScopedDeadline scope(deadline_);
    return base_.delete_manifest(repo, digest);
  }
  Result<bool> blob_exists(const Repository& repo, std::string_view digest) override {
    detail::ScopedDeadline scope(deadline_);
    return base_.blob_exists(repo, digest);
  }
  Result<std::string> get_blob(const Repository& repo, std::string_view digest,
                               std::size_t max_size) override {
    detail::ScopedDeadline scope(deadline_);
    return base_.get_blob(repo, digest, max_size);
  }
  Result<void> put_blob(const Repository& repo, std::string_view digest,
                        std::string_view bytes) override {
    detail::ScopedDeadline scope(deadline_);
    return base_.put_blob(repo, digest, bytes);
  }
  Result<void> upload_blob(const Repository& repo, std::string_view digest,
                           std::string_view bytes) override {
    detail::ScopedDeadline scope(deadline_);
    return base_.upload_blob(repo, digest, bytes);
  }
  Result<MountOutcome> mount_blob(const Repository& repo, std::string_view digest,
                                  const Repository& from,
                                  const std::function<Result<std::string>()>& fetch) override {
    detail::ScopedDeadline scope(deadline_);
    return base_.mount_blob(repo, digest, from, fetch);
  }
  Result<std::vector<std::string>> list_tags(const Repository& repo) override {
    detail::ScopedDeadline scope(deadline_);
    return base_.list_tags(repo);
  }
  Result<bool> has_tag(const Repository& repo, std::string_view tag) override {
    detail::ScopedDeadline scope(deadline_);
    return base_.has_tag(repo, tag);
  }
  Result<Referrers> list_referrers(const Repository& repo, std::string_view digest,
                                   std::string_view artifact_type) override {
    detail::ScopedDeadline scope(deadline_);
    return base_.list_referrers(repo, digest, artifact_type);
  }
  bool consistent(const Repository& repo) const override { return base_.consistent(repo); }
  std::size_t request_count() const override { return base_.request_count(); }
  std::size_t connection_count() const override { return base_.connection_count(); }

private:
  Client& base_;
  const detail::Clock::time_point deadline_;
};

} // namespace

std::unique_ptr<Client> with_deadline(Client& base,
                                      std::chrono::steady_clock::time_point deadline) {
  return std::make_unique<DeadlineView>(base, deadline);
}

} // namespace isign::registry

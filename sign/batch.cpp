#include "sign/batch.h"

#include <algorithm>

#include <map>
#include <mutex>

#include "common/parallel.h"

namespace isign::sign {

using common::Error;
using common::Result;

namespace {

// How an entry of kind in format is named to a user.
std::string describe(cosign::Format format, cosign::Kind kind) {
  if (format == cosign::Format::bundle)
    return "bundle (cosign v3 referrer)";
  return kind == cosign::Kind::attestation ? "attestation (cosign v2 .att)"
                                           : "signature (cosign v2 .sig)";
}

// One lock per image the batch signs. The same image named twice in a run (a release tag and
// latest) is attached to one name at a time, so the second finds the first's entries: two
// concurrent attaches would each find none and push a bundle each.
class SubjectLocks {
public:
  std::mutex& of(const std::string& name) {
    std::lock_guard lock(mu_);
    return locks_[name];
  }

private:
  std::mutex mu_;
  std::map<std::string, std::mutex> locks_; // nodes never move
};

// Makes the entries of target t of ref and attaches them, the formats side by side: each waits
// on its own confirmations and read-backs.
TargetSigned sign_target(const Batch& b, const registry::Reference& ref, const registry::Target& t,
                         SubjectLocks& locks) {
  TargetSigned out;
  out.target = t;
  out.name = ref.repository.str() + "@" + t.digest;
  // Index children are named by digest in the index: only what the user named can be a tag.
  out.named_by_tag = !ref.by_digest() && t.role != registry::Target::Role::child;
  const cosign::Subject subject{ref.repository, t.digest, t.media_type, t.size};
  for (cosign::Format format : b.formats) {
    auto entry = b.make(subject, format);
    if (!entry) {
      out.error = std::move(entry).error().context(b.verb + " '" + out.name + "'");
      return out;
    }
    out.entries.push_back(std::move(*entry));
  }
  if (b.on_signed)
    if (auto done = b.on_signed(out.entries); !done) {
      out.error = std::move(done).error();
      return out;
    }
  if (!b.upload)
    return out;
  std::vector<std::optional<Result<cosign::AttachResult>>> results(out.entries.size());
  {
    std::lock_guard one_at_a_time(locks.of(out.name));
    const std::size_t at_once = b.formats_at_once == 0 ? out.entries.size() : b.formats_at_once;
    common::parallel_for(out.entries.size(), at_once, [&](std::size_t i) {
      results[i] = b.store.attach(subject, out.entries[i], b.attach);
    });
  }
  std::vector<std::string> written;
  for (std::size_t i = 0; i < results.size(); ++i)
    if (*results[i])
      written.push_back(describe(out.entries[i].format, out.entries[i].kind));
  for (std::size_t i = 0; i < results.size(); ++i) {
    if (!*results[i]) {
      Error e = results[i]->error();
      // A rerun completes what a registry's answer or the network stopped; not what isign
      // itself refused (a referrers tag holding something else, say): it would refuse again.
      const bool rerun_helps = e.kind() == common::ErrorKind::network ||
                               e.kind() == common::ErrorKind::throttled || e.http_status() != 0;
      if (!written.empty())
        e.context("the " + written.front() + " was written, but the " +
                  describe(out.entries[i].format, out.entries[i].kind) + " was not" +
                  (rerun_helps ? " (run " + b.command + " again to complete it)" : ""));
      out.attach_errors.push_back(std::move(e).context(b.verb + " '" + out.name + "'"));
    }
    out.attached.push_back(Attached{out.entries[i].format, std::move(*results[i])});
  }
  return out;
}

RefSigned sign_ref(const Batch& b, const registry::Reference& ref, const std::string& input,
                   SubjectLocks& locks) {
  RefSigned out;
  auto resolved = registry::resolve_targets(b.client, ref, b.selection);
  if (!resolved) {
    out.error = std::move(resolved).error().context(b.verb + " '" + input + "'");
    return out;
  }
  for (const auto& t : resolved->targets)
    out.targets.push_back(sign_target(b, ref, t, locks));
  return out;
}

// Every entry created or attached in the batch, attached again.
std::vector<Recheck> recheck(const Batch& b, const std::vector<registry::Reference>& refs,
                             const std::vector<RefSigned>& done) {
  struct Written {
    cosign::Subject subject;
    const cosign::NewSignature* entry;
    const std::string* name;
  };
  std::vector<Written> all;
  for (std::size_t r = 0; r < done.size(); ++r)
    for (const auto& t : done[r].targets)
      for (std::size_t i = 0; i < t.attached.size(); ++i) {
        const auto& a = t.attached[i].result;
        if (a && (a->outcome == cosign::AttachOutcome::created ||
                  a->outcome == cosign::AttachOutcome::attached))
          all.push_back(Written{cosign::Subject{refs[r].repository, t.target.digest,
                                                t.target.media_type, t.target.size},
                                &t.entries[i], &t.name});
      }
  std::vector<std::optional<Result<cosign::AttachResult>>> again(all.size());
  const std::size_t recheck_workers =
      b.formats_at_once == 0 ? b.workers
                             : std::max<std::size_t>(1, b.workers * b.formats_at_once / 2);
  common::parallel_for(all.size(), recheck_workers, [&](std::size_t i) {
    again[i] = b.store.attach(all[i].subject, *all[i].entry, b.attach);
  });
  std::vector<Recheck> out;
  for (std::size_t i = 0; i < all.size(); ++i)
    out.push_back(Recheck{*all[i].name, all[i].entry->format, std::move(*again[i])});
  return out;
}

} // namespace

BatchResult sign_all(const Batch& batch, const std::vector<registry::Reference>& refs,
                     const std::vector<std::string>& inputs,
                     const std::function<void(std::size_t, const RefSigned&)>& on_done) {
  const std::size_t n = refs.size();
  std::vector<std::optional<RefSigned>> done(n);
  std::mutex mu;
  std::size_t next_to_report = 0;
  SubjectLocks locks;
  common::parallel_for(n, batch.workers, [&](std::size_t i) {
    RefSigned signed_ref =
        sign_ref(batch, refs[i], i < inputs.size() ? inputs[i] : refs[i].str(), locks);
    std::lock_guard lock(mu);
    done[i] = std::move(signed_ref);
    for (; next_to_report < n && done[next_to_report]; ++next_to_report)
      if (on_done)
        on_done(next_to_report, *done[next_to_report]);
  });
  BatchResult out;
  for (auto& d : done)
    out.refs.push_back(std::move(*d));
  out.rechecks = recheck(batch, refs, out.refs);
  return out;
}

} // namespace isign::sign

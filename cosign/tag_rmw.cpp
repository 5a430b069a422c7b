#include "cosign/tag_rmw.h"

#include <algorithm>
#include <chrono>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <thread>

#include "common/digest.h"
#include "common/encoding.h"
#include "cosign/constants.h"

namespace isign::cosign::detail {

using common::Error;
using common::ErrorKind;
using common::make_error;
using common::Result;

namespace {

// Read-modify-write rounds at least, on a consistent place (for_place).
constexpr int kConsistentAttempts = 64;

long jitter(long max_ms) {
  thread_local std::mt19937 rng{std::random_device{}()};
  return std::uniform_int_distribution<long>(0, std::max(0L, max_ms))(rng);
}

} // namespace

bool retryable_put_failure(const common::Error& e) {
  if (e.kind() != ErrorKind::registry && e.kind() != ErrorKind::network)
    return false;
  return e.http_status() != 401 && e.http_status() != 403;
}

common::Result<void> check_attachment_size(std::string_view what, std::size_t size, Kind kind,
                                           std::size_t limit) {
  if (size <= limit)
    return {};
  if (kind == Kind::attestation)
    return common::make_error(
        ErrorKind::limit, "the attestation's " + std::string(what) + " is " + std::to_string(size) +
                              " bytes, more than the limit of " + std::to_string(limit) +
                              " bytes: raise --max-predicate-size (verifiers must raise "
                              "their --max-payload-size as well)");
  return common::make_error(ErrorKind::limit,
                            "the " + std::string(what) + " is " + std::to_string(size) +
                                " bytes, more than verifiers fetch by default (" +
                                std::to_string(limit) +
                                " bytes, verify's --max-payload-size): use fewer or shorter "
                                "annotations");
}

AttachOptions for_place(const AttachOptions& options, const registry::Client& client,
                        const registry::Repository& repo) {
  AttachOptions out = options;
  if (client.consistent(repo)) {
    out.confirm_delay = std::chrono::milliseconds(0);
    out.max_settle = std::chrono::milliseconds(0);
    out.unknown_outcome_window = std::chrono::milliseconds(0);
    // Its 412 means another writer's PUT landed: the conditions stay, and since every refusal is
    // someone's progress, a crowd of signers gets the rounds it needs.
    out.max_precondition_failures = std::numeric_limits<int>::max();
    out.max_attempts = std::max(out.max_attempts, kConsistentAttempts);
  }
  return out;
}

void pause(const AttachOptions& options, long ms, long jitter_ms) {
  auto d = std::chrono::milliseconds(std::max(0L, ms) + jitter(jitter_ms));
  if (options.sleep)
    options.sleep(d);
  else
    std::this_thread::sleep_for(d);
}

namespace {

// A PUT whose outcome the client cannot know: the request may have been stored (a timeout or a
// lost connection after sending, a 5xx from a proxy in front of a registry that stored it).
bool outcome_unknown(const common::Error& e) {
  return e.kind() == ErrorKind::network || e.http_status() >= 500;
}

// One read_modify_write run: the options, the client and what it has seen so far.
class Attacher {
public:
  Attacher(registry::Client& client, const registry::Repository& repo, std::string tag,
           TagDocument& doc, const AttachOptions& options)
      : client_(client), repo_(repo), tag_(std::move(tag)), doc_(doc), options_(options) {}

  Result<AttachResult> run();

private:
  void sleep_ms(long ms) { pause(options_, ms, 0); }

  // The artifact at the tag, or nullopt once its absence is confirmed: a 404 alone is not proof
  // (a CDN or pull-through cache may serve an earlier 404, a replica may lag), and replacing an
  // artifact that exists would drop every signature in it. The tag list is asked, then the
  // manifest again after a pause.
  Result<std::optional<registry::Manifest>> read_current() {
    read_at_ = std::chrono::steady_clock::now();
    auto got = client_.get_manifest(repo_, tag_);
    if (got)
      return std::optional(std::move(*got));
    if (got.error().kind() != ErrorKind::not_found)
      return std::move(got).error().context("reading the existing signatures");
    auto listed = client_.has_tag(repo_, tag_);
    if (!listed && (listed.error().kind() == ErrorKind::network ||
                    listed.error().kind() == ErrorKind::throttled))
      return std::move(listed).error().context("confirming that " + tag_ + " does not exist");
    const bool in_list = listed && *listed; // a list that cannot be read leaves the second read
    constexpr int kRereads = 3;
    for (int i = 0; i < (in_list ? kRereads : 1); ++i) {
      sleep_ms(options_.confirm_delay.count() * (i + 1) +
               jitter(options_.confirm_delay.count() / 4));
      read_at_ = std::chrono::steady_clock::now();
      auto again = client_.get_manifest(repo_, tag_);
      if (again)
        return std::optional(std::move(*again));
      if (again.error().kind() != ErrorKind::not_found)
        return std::move(again).error().context("reading the existing signatures");
    }
    if (in_list)
      return make_error(ErrorKind::registry, "the registry lists " + tag_ +
                                                 " among the repository's tags but answers "
                                                 "404 for it; refusing to create a new " +
                                                 doc_.noun() +
                                                 ", which would "
                                                 "replace what it holds; try again later");
    return std::optional<registry::Manifest>();
  }

  Result<bool> has_ours(const registry::Manifest& m) {
    auto present = doc_.has_ours(m);
    ISIGN_TRY_CONTEXT(present, "reading back " + tag_);
    return *present;
  }

  Result<std::optional<AttachOutcome>> settled_by(registry::Manifest& current);
  Result<bool> write(const SignatureArtifact& artifact,
                     const std::optional<registry::Manifest>& current, int attempt);
  Result<bool> read_back(std::chrono::steady_clock::time_point started, const std::string& before);
  Result<AttachResult> after_success(AttachOutcome outcome);
  Result<void> watch_abandoned_puts();
  Result<void> restore(const registry::Manifest& now, const std::vector<StoredLayer>& missing);
  Error exhausted() const;

  registry::Client& client_;
  const registry::Repository& repo_;
  std::string tag_;
  TagDocument& doc_;
  const AttachOptions& options_;
  AttachResult result_;
  bool abandoned_ = false;                      // a PUT whose outcome is unknown was given up on
  std::optional<registry::Manifest> last_good_; // the artifact read back holding our layer
  int not_stored_ = 0, replaced_ = 0;           // read-backs without our layer, by cause
  int precondition_failures_ = 0;               // PUTs refused with 412
  std::string last_put_error_;
  bool in_flight_ = false; // an abandoned PUT may still be on its way to the registry
  // When the read our write is built on was sent: the settle before the read-back is a multiple
  // of the time from it to our PUT's answer. The pause that confirmed a 404 came before that
  // read, and a concurrent signer's write is built on its own last read too.
  std::chrono::steady_clock::time_point read_at_{};
};

Result<AttachResult> Attacher::run() {
  for (int attempt = 1; attempt <= options_.max_attempts; ++attempt) {
    auto current = read_current();
    ISIGN_TRY(current);
    if (*current) {
      auto settled = settled_by(**current);
      ISIGN_TRY(settled);
      if (*settled)
        return after_success(**settled);
    }
    auto artifact = doc_.build(*current);
    ISIGN_TRY(artifact);
    if (!artifact->changed)
      return after_success(AttachOutcome::already_present);
    auto written = write(*artifact, *current, attempt);
    ISIGN_TRY(written);
    if (!*written)
      continue; // a refused PUT worth a whole new round
    auto ours = read_back(read_at_, *current ? (*current)->digest : std::string());
    ISIGN_TRY(ours);
    if (*ours)
      return after_success(*current ? AttachOutcome::attached : AttachOutcome::created);
    sleep_ms(jitter(50 * attempt));
  }
  return exhausted();
}

// Whether current already settles the attach: an earlier PUT of ours that failed was stored
// after all, or a layer verify would accept is there (already_there).
Result<std::optional<AttachOutcome>> Attacher::settled_by(registry::Manifest& current) {
  if (abandoned_) {
    auto ours = has_ours(current);
    ISIGN_TRY(ours);
    if (*ours) {
      result_.notes.push_back("the registry reported an error for an earlier PUT of " + tag_ +
                              " (" + last_put_error_ + ") but had stored it");
      last_good_ = std::move(current);
      return std::optional(AttachOutcome::attached);
    }
  }
  return doc_.already_there(current);
}

// Blobs first, the manifest last, so a failure never leaves a dangling manifest. true: written;
// false: refused in a way worth another read-modify-write round (after a pause).
Result<bool> Attacher::write(const SignatureArtifact& artifact,
                             const std::optional<registry::Manifest>& current, int attempt) {
  // New content nearly always (a payload, the config listing the layers): uploaded unasked.
  for (const auto& blob : artifact.blobs_to_upload)
    ISIGN_TRY_CONTEXT(client_.upload_blob(repo_, blob.digest, blob.bytes),
                      "uploading signature blob " + blob.digest);
  // Registries that honour conditional PUTs get a compare-and-swap: If-Match with the ETag of
  // the artifact read, If-None-Match: * when there was none. After a few refusals (412) the
  // registry's ETags are not usable and only the read-back protects concurrent signers.
  registry::PutCondition condition;
  condition.index_annotations = options_.index_annotations;
  if (precondition_failures_ < options_.max_precondition_failures) {
    if (current)
      condition.if_match = current->etag;
    else
      condition.if_none_match_any = true;
  }
  auto put = client_.put_manifest(repo_, tag_, artifact.manifest, artifact.media_type, condition);
  if (put)
    return true;
  if (put.error().http_status() == 412)
    ++precondition_failures_;
  if (outcome_unknown(put.error())) {
    abandoned_ = true;
    last_put_error_ = put.error().message();
    // A gateway that gave up on the registry (502, 504) or a request we gave up on may still be
    // in flight; a registry's own 500 has ended.
    const long status = put.error().http_status();
    in_flight_ = in_flight_ || status == 0 || status == 502 || status == 504;
  }
  // Under concurrent writers distribution can refuse a PUT (e.g. DIGEST_INVALID while another
  // signer's blobs are being linked). Redoing the whole read-modify-write is safe: blobs are
  // content-addressed and the manifest is rebuilt from what is there now.
  if (retryable_put_failure(put.error()) && attempt < options_.max_attempts) {
    sleep_ms(20 + jitter(100 * attempt));
    return false;
  }
  return std::move(put).error().context("pushing " + tag_);
}

// Whether our layer is in the artifact read back after a settle delay. Distribution has no
// compare-and-swap on tags, so a concurrent signer that read the artifact before our PUT may
// overwrite it with a copy lacking our layer. Such a writer's read-to-PUT window is about as long
// as ours, so waiting a few times our own (from the read our write is built on, `started`, to the
// PUT's answer) before reading back catches it; then the caller merges again. before: the digest of
// the artifact we extended ("" if none).
Result<bool> Attacher::read_back(std::chrono::steady_clock::time_point started,
                                 const std::string& before) {
  auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::steady_clock::now() - started)
                     .count();
  sleep_ms(std::min<long>(options_.max_settle.count(), 3 * elapsed + 20 + jitter(30)));
  auto back = client_.get_manifest(repo_, tag_);
  if (!back && back.error().kind() != ErrorKind::not_found)
    return std::move(back).error().context("reading back " + tag_);
  // A registry that acknowledged the PUT yet has no such tag cannot be read to merge again:
  // another round would only write blind over whatever it really holds.
  if (!back)
    return make_error(ErrorKind::registry,
                      "pushing " + tag_ +
                          ": the registry accepted the PUT but answers 404 when it is read "
                          "back, so its reads cannot be trusted (a cache in front of it?); "
                          "whether the signatures it held were kept is unknown: check with "
                          "verify");
  auto ours = has_ours(*back);
  ISIGN_TRY(ours);
  if (*ours) {
    last_good_ = std::move(*back);
    return true;
  }
  // Our layer is not there: either the registry kept what was there before (it acknowledged the
  // PUT without storing it) or another signer's write replaced ours.
  if (back->digest == before)
    ++not_stored_;
  else
    ++replaced_;
  return false;
}

Error Attacher::exhausted() const {
  const std::string tries = std::to_string(options_.max_attempts) + " attempts";
  if (replaced_ == 0 && not_stored_ > 0)
    return make_error(ErrorKind::registry,
                      "pushing " + tag_ + ": the registry accepted every PUT (" + tries +
                          ") but reading it back shows the artifact unchanged: it does not store "
                          "what it acknowledges; check the registry");
  return make_error(ErrorKind::registry,
                    "pushing " + tag_ + ": other signers kept replacing the signature artifact (" +
                        tries + ", " + std::to_string(replaced_) + " replaced, " +
                        std::to_string(not_stored_) + " not stored); try again");
}

Result<AttachResult> Attacher::after_success(AttachOutcome outcome) {
  result_.outcome = outcome;
  if (abandoned_)
    ISIGN_TRY(watch_abandoned_puts());
  return std::move(result_);
}

// A PUT we gave up on may still be stored later, replacing whatever was written since (other
// signers' layers). For the window after success the artifact is read every poll interval, and
// every layer seen in any of those reads is remembered; when a read lacks layers seen before (the
// abandoned PUT landed, or a writer with a stale copy replaced the artifact), they are appended
// again. What another signer writes between our last read and such a landing stays exposed:
// README's Reliability section names that window.
Result<void> Attacher::watch_abandoned_puts() {
  const auto window =
      in_flight_ ? options_.unknown_outcome_window
                 : std::min(options_.unknown_outcome_window, std::chrono::milliseconds(2000));
  // Counted in polls rather than clock time, so that an injected sleep stands in for time.
  const long polls =
      window.count() / std::max(1L, static_cast<long>(options_.poll_interval.count()));
  std::map<std::string, StoredLayer> seen; // by identity()
  auto observe = [&](const std::vector<StoredLayer>& layers) {
    for (const auto& l : layers)
      seen.emplace(l.identity(), l);
  };
  if (last_good_)
    if (auto read = doc_.entries(*last_good_))
      observe(*read);
  int repairs = 0;
  constexpr int kMaxRepairs = 5;
  for (long poll = 0; poll < polls; ++poll) {
    sleep_ms(options_.poll_interval.count());
    auto now = client_.get_manifest(repo_, tag_);
    if (!now)
      continue; // a transient failure: the next poll decides
    auto present = doc_.entries(*now);
    ISIGN_TRY_CONTEXT(present, "watching " + tag_);
    std::set<std::string> ids;
    for (const auto& l : *present)
      ids.insert(l.identity());
    std::vector<StoredLayer> missing;
    for (const auto& [id, layer] : seen)
      if (!ids.count(id))
        missing.push_back(layer);
    observe(*present);
    if (missing.empty())
      continue;
    if (++repairs > kMaxRepairs)
      return make_error(ErrorKind::registry, "signature layers kept disappearing from " + tag_ +
                                                 " after a PUT of ours "
                                                 "had failed (" +
                                                 last_put_error_ + "); verify each signer's key");
    ISIGN_TRY_CONTEXT(restore(*now, missing), "putting back layers erased from " + tag_);
    result_.notes.push_back(std::to_string(missing.size()) + " signature layer(s) erased from " +
                            tag_ +
                            " (by a PUT that had failed and landed late, or a stale copy) "
                            "were put back");
  }
  return {};
}

// Appends missing (layers whose blobs the repository holds) to the artifact now holds.
Result<void> Attacher::restore(const registry::Manifest& now,
                               const std::vector<StoredLayer>& missing) {
  auto extended = doc_.restore(now, missing);
  ISIGN_TRY(extended);
  for (const auto& blob : extended->blobs_to_upload)
    ISIGN_TRY(client_.put_blob(repo_, blob.digest, blob.bytes));
  registry::PutCondition condition;
  condition.index_annotations = options_.index_annotations;
  condition.if_match = now.etag;
  auto put = client_.put_manifest(repo_, tag_, extended->manifest, extended->media_type, condition);
  ISIGN_TRY(put);
  return {};
}

} // namespace

Result<AttachResult> read_modify_write(registry::Client& client, const registry::Repository& repo,
                                       const std::string& tag, TagDocument& doc,
                                       const AttachOptions& options) {
  return Attacher(client, repo, tag, doc, options).run();
}

} // namespace isign::cosign::detail

// The OCI image layout client. Blobs are content addressed and written once; index.json is the
// only file rewritten, always whole, through a temporary file and a rename, under an exclusive
// flock(2) of the layout directory (the directory itself: no lock file is left among the layout's
// files) so that concurrent writers serialize their read-modify-writes and readers, who take no
// lock, see the old or the new file, never a torn one.
#include "registry/layout.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <mutex>
#include <optional>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>

#include "common/digest.h"
#include "common/file.h"
#include "common/json.h"
#include "registry/layout_index.h"
#include "registry/reference_rules.h"

namespace isign::registry {

using common::ErrorKind;
using common::make_error;
using common::Result;
using detail::LayoutIndex;

namespace {

constexpr std::size_t kMaxIndexSize = 64u << 20;
constexpr std::size_t kMaxLayoutFileSize = 1u << 16;
constexpr std::string_view kLayoutFile = "{\"imageLayoutVersion\":\"1.0.0\"}";

// An exclusive flock(2) of a directory, held until destroyed (closing the descriptor releases it).
class DirLock {
public:
  static Result<DirLock> take(const std::string& dir) {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
      return make_error(ErrorKind::io, "cannot open '" + dir + "': " + std::strerror(errno));
    DirLock lock(fd);
    int rc;
    while ((rc = ::flock(fd, LOCK_EX)) != 0 && errno == EINTR) {
    }
    if (rc != 0)
      return make_error(ErrorKind::io, "cannot lock '" + dir + "': " + std::strerror(errno));
    return lock;
  }
  DirLock(DirLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  DirLock(const DirLock&) = delete;
  DirLock& operator=(const DirLock&) = delete;
  DirLock& operator=(DirLock&&) = delete;
  ~DirLock() {
    if (fd_ >= 0)
      ::close(fd_);
  }

private:
  explicit DirLock(int fd) : fd_(fd) {}
  int fd_;
};

common::Error precondition_failed(const std::string& what, const std::string& why) {
  return make_error(ErrorKind::registry, "PUT " + what + ": 412 Precondition Failed (" + why + ")")
      .with_http_status(412);
}

class LayoutClient final : public Client {
public:
  LayoutClient(std::string dir, std::size_t max_manifest_size)
      : dir_(std::move(dir)), max_manifest_(max_manifest_size) {}

  Result<Descriptor> head_manifest(const Repository& repo, std::string_view ref) override {
    auto m = get_manifest(repo, ref);
    ISIGN_TRY(m);
    return Descriptor{m->media_type, m->digest, m->bytes.size()};
  }

  Result<Manifest> get_manifest(const Repository& repo, std::string_view ref) override {
    ISIGN_TRY(begin(repo));
    auto index = read_index();
    ISIGN_TRY(index);
    std::string digest, listed_type;
    if (ref.find(':') != std::string_view::npos) {
      ISIGN_TRY(valid_digest(ref));
      digest = std::string(ref);
    }
    const nlohmann::json* entry = nullptr;
    if (*index)
      for (const auto& e : (*index)->entries)
        if (digest.empty() ? detail::entry_ref_name(e) == ref
                           : detail::entry_string(e, "digest") == digest) {
          entry = &e;
          break;
        }
    if (entry)
      listed_type = detail::entry_string(*entry, "mediaType");
    if (digest.empty()) {
      if (!entry)
        return make_error(ErrorKind::not_found,
                          name(ref) + ": not found (no such tag in " + file("index.json") + ")");
      digest = detail::entry_string(*entry, "digest");
      if (!common::validate_sha256_digest(digest))
        return make_error(ErrorKind::registry, name(ref) + ": " + file("index.json") +
                                                   " names the digest " +
                                                   common::quote_for_message(digest) +
                                                   ", which cannot be checked (only sha256)");
    }
    auto bytes = read_blob(digest, max_manifest_);
    ISIGN_TRY_CONTEXT(bytes, "reading manifest " + name(digest));
    auto type = manifest_media_type(listed_type, *bytes);
    ISIGN_TRY_CONTEXT(type, "reading manifest " + name(digest));
    return Manifest{std::move(*type), digest, std::move(*bytes), digest};
  }

  using Client::put_manifest;
  Result<std::string> put_manifest(const Repository& repo, std::string_view ref,
                                   std::string_view bytes, std::string_view media_type,
                                   const PutCondition& condition) override {
    ISIGN_TRY(begin(repo));
    const std::string digest = common::sha256_digest(bytes);
    const bool by_digest = ref.find(':') != std::string_view::npos;
    if (by_digest) {
      ISIGN_TRY(valid_digest(ref));
      if (ref != digest)
        return make_error(ErrorKind::registry, "PUT " + name(ref) + ": the manifest's digest is " +
                                                   digest + " (DIGEST_INVALID)");
    } else if (auto problem = detail::tag_problem(ref); !problem.empty()) {
      return make_error(ErrorKind::usage, "PUT " + name(ref) + ": " + problem);
    }
    if (bytes.size() > max_manifest_)
      return make_error(ErrorKind::limit,
                        "PUT " + name(ref) + ": the manifest is " + std::to_string(bytes.size()) +
                            " bytes, more than the limit of " + std::to_string(max_manifest_));
    auto facts = detail::manifest_facts(bytes);
    ISIGN_TRY_CONTEXT(facts, "PUT " + name(ref));
    std::lock_guard guard(mu_);
    auto lock = lock_layout();
    ISIGN_TRY_CONTEXT(lock, "PUT " + name(ref));
    auto read = read_index();
    ISIGN_TRY_CONTEXT(read, "PUT " + name(ref));
    ISIGN_TRY_CONTEXT(write_blob(digest, bytes), "PUT " + name(ref));
    LayoutIndex index = read->value_or(LayoutIndex{});
    auto& entries = index.entries;
    const std::string type(bare_media_type(media_type));
    if (by_digest) {
      // An untagged entry, as oras lists a referrer; one already listed is left as it is.
      for (const auto& e : entries)
        if (detail::entry_string(e, "digest") == digest)
          return digest;
      auto annotations = facts->annotations;
      for (const auto& [k, v] : condition.index_annotations)
        annotations[k] = v;
      entries.push_back(
          detail::make_entry(type, digest, bytes.size(), facts->artifact_type, annotations));
    } else {
      auto tagged = [&](const nlohmann::json& e) { return detail::entry_ref_name(e) == ref; };
      auto at = std::find_if(entries.begin(), entries.end(), tagged);
      const std::string current =
          at == entries.end() ? std::string() : detail::entry_string(*at, "digest");
      if (!condition.if_match.empty() && current != condition.if_match)
        return precondition_failed(name(ref),
                                   "If-Match " + condition.if_match + ": the tag " +
                                       (current.empty() ? "does not exist" : "names " + current));
      if (condition.if_none_match_any && at != entries.end())
        return precondition_failed(name(ref), "If-None-Match: the tag exists, naming " + current);
      auto annotations = condition.index_annotations;
      annotations[std::string(detail::kRefNameAnnotation)] = std::string(ref);
      auto entry = detail::make_entry(type, digest, bytes.size(), "", annotations);
      if (at == entries.end()) {
        entries.push_back(std::move(entry));
      } else {
        *at = std::move(entry);
        entries.erase(std::remove_if(at + 1, entries.end(), tagged), entries.end());
      }
      // An untagged entry of this manifest (a copy writes by digest, then tags) is subsumed by
      // the tagged one: listed twice, tools that pick the layout's only image find two.
      std::erase_if(entries, [&](const nlohmann::json& e) {
        return detail::entry_string(e, "digest") == digest && detail::entry_ref_name(e).empty();
      });
    }
    ISIGN_TRY_CONTEXT(write_index(index), "PUT " + name(ref));
    return digest;
  }

  // Only the index entries go: blobs are content addressed and other entries (another tag, an
  // index's child) may share the manifest; an unreferenced blob costs disk space, not correctness.
  Result<void> delete_manifest(const Repository& repo, std::string_view digest) override {
    ISIGN_TRY(begin(repo));
    ISIGN_TRY(valid_digest(digest));
    std::lock_guard guard(mu_);
    auto read = read_index();
    ISIGN_TRY_CONTEXT(read, "DELETE " + name(digest));
    if (!*read)
      return make_error(ErrorKind::not_found, "DELETE " + name(digest) + ": not found");
    auto lock = lock_layout();
    ISIGN_TRY_CONTEXT(lock, "DELETE " + name(digest));
    read = read_index();
    ISIGN_TRY_CONTEXT(read, "DELETE " + name(digest));
    LayoutIndex index = read->value_or(LayoutIndex{});
    const auto before = index.entries.size();
    std::erase_if(index.entries, [&](const nlohmann::json& e) {
      return detail::entry_string(e, "digest") == digest;
    });
    if (index.entries.size() == before) {
      if (!common::path_exists(blob_path(digest)))
        return make_error(ErrorKind::not_found, "DELETE " + name(digest) + ": not found");
      return {};
    }
    ISIGN_TRY_CONTEXT(write_index(index), "DELETE " + name(digest));
    return {};
  }

  Result<bool> blob_exists(const Repository& repo, std::string_view digest) override {
    ISIGN_TRY(begin(repo));
    ISIGN_TRY(valid_digest(digest));
    // A planted directory, FIFO, device or dangling link is no blob: it is to be (re)written.
    struct stat st {};
    return ::stat(blob_path(digest).c_str(), &st) == 0 && S_ISREG(st.st_mode);
  }

  Result<std::string> get_blob(const Repository& repo, std::string_view digest,
                               std::size_t max_size) override {
    ISIGN_TRY(begin(repo));
    ISIGN_TRY(valid_digest(digest));
    auto blob = read_blob(digest, max_size);
    ISIGN_TRY_CONTEXT(blob, "reading blob " + name(digest));
    return blob;
  }

  Result<void> put_blob(const Repository& repo, std::string_view digest,
                        std::string_view bytes) override {
    ISIGN_TRY(begin(repo));
    ISIGN_TRY(valid_digest(digest));
    if (common::sha256_digest(bytes) != digest)
      return make_error(ErrorKind::registry,
                        "uploading blob " + name(digest) + ": the bytes' digest is " +
                            common::sha256_digest(bytes) + " (DIGEST_INVALID)");
    {
      std::lock_guard guard(mu_);
      if (!created_) {
        auto lock = lock_layout();
        ISIGN_TRY_CONTEXT(lock, "uploading blob " + name(digest));
      }
    }
    ISIGN_TRY_CONTEXT(write_blob(digest, bytes), "uploading blob " + name(digest));
    return {};
  }

  Result<std::vector<std::string>> list_tags(const Repository& repo) override {
    ISIGN_TRY(begin(repo));
    auto index = read_index();
    ISIGN_TRY_CONTEXT(index, "listing the tags of " + repo.str());
    if (!*index)
      return make_error(ErrorKind::not_found,
                        "listing the tags of " + repo.str() + ": no OCI layout there");
    std::vector<std::string> tags;
    for (const auto& e : (*index)->entries)
      if (auto tag = detail::entry_ref_name(e); !tag.empty())
        tags.push_back(std::move(tag));
    return tags;
  }

  Result<bool> has_tag(const Repository& repo, std::string_view tag) override {
    auto tags = list_tags(repo);
    if (!tags && tags.error().kind() == ErrorKind::not_found)
      return false;
    ISIGN_TRY(tags);
    return std::find(tags->begin(), tags->end(), tag) != tags->end();
  }

  Result<Referrers> list_referrers(const Repository& repo, std::string_view digest,
                                   std::string_view) override {
    ISIGN_TRY(begin(repo));
    ISIGN_TRY(valid_digest(digest));
    return Referrers{false, {}};
  }

  bool consistent(const Repository&) const override { return true; }
  std::size_t request_count() const override { return requests_.load(); }

private:
  // Counts the call; an internal error when repo is not this layout.
  Result<void> begin(const Repository& repo) {
    ++requests_;
    if (!repo.is_layout() || repo.name != dir_)
      return make_error(ErrorKind::internal,
                        "the layout client of " + dir_ + " was asked about " + repo.str());
    return {};
  }
  static Result<void> valid_digest(std::string_view digest) {
    auto ok = common::validate_sha256_digest(digest);
    if (!ok)
      return make_error(ErrorKind::usage, "invalid digest " + common::quote_for_message(digest) +
                                              ": expected sha256:<64 hex characters>");
    return {};
  }

  std::string name(std::string_view ref) const {
    return "oci:" + dir_ + (ref.find(':') != std::string_view::npos ? "@" : ":") + std::string(ref);
  }
  std::string file(std::string_view rel) const { return dir_ + "/" + std::string(rel); }
  std::string blob_path(std::string_view digest) const {
    return dir_ + "/blobs/sha256/" + std::string(digest.substr(7));
  }

  // The index, or nullopt when there is no layout yet (no index.json). oci-layout is checked.
  Result<std::optional<LayoutIndex>> read_index() const;
  Result<void> write_index(const LayoutIndex& index) const;
  Result<std::string> read_blob(std::string_view digest, std::size_t max_size) const;
  Result<void> write_blob(std::string_view digest, std::string_view bytes) const;
  // The layout created when missing (dir, blobs/sha256, oci-layout, index.json), then locked.
  // Called with mu_ held.
  Result<DirLock> lock_layout();

  const std::string dir_;
  const std::size_t max_manifest_;
  std::mutex mu_; // in-process writers of index.json; the flock serializes processes
  bool created_ = false;
  std::atomic<std::size_t> requests_{0};
};

Result<std::optional<LayoutIndex>> LayoutClient::read_index() const {
  // A file named as the layout would otherwise read as a layout without that tag.
  if (struct stat st{}; ::stat(dir_.c_str(), &st) == 0 && !S_ISDIR(st.st_mode))
    return make_error(ErrorKind::io, dir_ + " is not a directory: not an OCI layout");
  const std::string layout_file = file("oci-layout"), index_file = file("index.json");
  const bool has_layout_file = common::path_exists(layout_file);
  if (!common::path_exists(index_file)) // no layout yet, or one without an image yet
    return std::optional<LayoutIndex>();
  if (!has_layout_file)
    return make_error(ErrorKind::registry, layout_file + " is missing: not an OCI layout");
  auto layout = common::read_file(layout_file, kMaxLayoutFileSize);
  ISIGN_TRY(layout);
  ISIGN_TRY(detail::check_oci_layout(*layout, layout_file));
  auto bytes = common::read_file(index_file, kMaxIndexSize);
  ISIGN_TRY(bytes);
  auto index = detail::parse_layout_index(*bytes, index_file);
  ISIGN_TRY(index);
  return std::optional(std::move(*index));
}

Result<void> LayoutClient::write_index(const LayoutIndex& index) const {
  return common::write_file_atomic(file("index.json"), detail::serialize_layout_index(index), 0644,
                                   common::Overwrite::yes);
}

Result<std::string> LayoutClient::read_blob(std::string_view digest, std::size_t max_size) const {
  const std::string path = blob_path(digest);
  if (!common::path_exists(path))
    return make_error(ErrorKind::not_found, "not found (no " + path + ")");
  auto bytes = common::read_file(path, max_size);
  ISIGN_TRY(bytes);
  if (common::sha256_digest(*bytes) != digest)
    return make_error(ErrorKind::registry,
                      path + " does not match its digest: the layout is corrupt");
  return bytes;
}

Result<void> LayoutClient::write_blob(std::string_view digest, std::string_view bytes) const {
  const std::string path = blob_path(digest);
  if (common::path_exists(path)) {
    auto there = common::read_file(path, bytes.size() + 1);
    if (there && *there == bytes)
      return {};
  }
  // write_file_atomic writes into a special file rather than replace it: a blob planted as a
  // symlink to /dev/null, a FIFO or a device would swallow the bytes, so it is removed first.
  if (struct stat st{}; ::lstat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) {
    if (S_ISDIR(st.st_mode))
      return make_error(ErrorKind::io, path + " is a directory, not a blob: the layout is corrupt");
    if (::unlink(path.c_str()) != 0 && errno != ENOENT)
      return make_error(ErrorKind::io, "cannot replace '" + path + "': " + std::strerror(errno));
  }
  return common::write_file_atomic(path, bytes, 0644, common::Overwrite::yes);
}

Result<DirLock> LayoutClient::lock_layout() {
  std::error_code ec;
  std::filesystem::create_directories(dir_ + "/blobs/sha256", ec);
  if (ec)
    return make_error(ErrorKind::io, "cannot create '" + dir_ + "/blobs/sha256': " + ec.message());
  auto lock = DirLock::take(dir_);
  ISIGN_TRY(lock);
  // An index.json without oci-layout is left for read_index to refuse: it may be anything.
  if (!created_ && !common::path_exists(file("index.json"))) {
    if (!common::path_exists(file("oci-layout")))
      ISIGN_TRY(
          common::write_file_atomic(file("oci-layout"), kLayoutFile, 0644, common::Overwrite::yes));
    ISIGN_TRY(write_index(LayoutIndex{}));
  }
  created_ = true;
  return lock;
}

} // namespace

std::unique_ptr<Client> make_layout_client(std::string dir, std::size_t max_manifest_size) {
  return std::make_unique<LayoutClient>(std::move(dir), max_manifest_size);
}

} // namespace isign::registry

#include "server/snapshot.h"

#include <mutex>

#include "common/digest.h"
#include "common/file.h"

namespace isign::server {

namespace {

// Policies and keys are small; a file past this is not one (and is not read whole).
constexpr std::size_t kMaxWatchedFile = 1u << 20;

void add_file(std::string& acc, const std::string& path, const common::Result<std::string>& bytes) {
  acc += path;
  acc.push_back('\0');
  if (bytes) {
    acc += std::to_string(bytes->size()) + ":";
    acc += *bytes;
  } else {
    acc += "unreadable";
  }
  acc.push_back('\0');
}

std::string directory_of(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos)
    return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

} // namespace

common::Result<LoadedSnapshot> load_snapshot(const std::string& policy_path,
                                             std::shared_ptr<registry::Client> client) {
  auto text = common::read_file(policy_path, kMaxWatchedFile);
  ISIGN_TRY_CONTEXT(text, "policy '" + policy_path + "'");
  LoadedSnapshot loaded;
  loaded.files.push_back(policy_path);
  std::string acc;
  add_file(acc, policy_path, text);
  std::mutex mu; // the loader may be called from one thread only, but stays correct if not
  verify::PolicyLoadOptions options;
  options.base_dir = directory_of(policy_path);
  options.read_key_file = [&](const std::string& path) -> common::Result<std::string> {
    auto bytes = common::read_file(path, kMaxWatchedFile);
    std::lock_guard lock(mu);
    loaded.files.push_back(path);
    add_file(acc, path, bytes);
    return bytes;
  };
  auto policy = verify::parse_policy(*text, options);
  ISIGN_TRY_CONTEXT(policy, "policy '" + policy_path + "'");
  auto snapshot = std::make_shared<Snapshot>();
  snapshot->policy = std::move(*policy);
  snapshot->generation = common::sha256_digest(acc);
  snapshot->client = std::move(client);
  loaded.snapshot = std::move(snapshot);
  return loaded;
}

std::string files_fingerprint(const std::vector<std::string>& files) {
  std::string acc;
  for (const auto& f : files)
    add_file(acc, f, common::read_file(f, kMaxWatchedFile));
  return common::sha256_digest(acc);
}

} // namespace isign::server

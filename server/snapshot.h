// Loading what reviews are judged against (the policy and the keys it names) and noticing that
// the files behind it changed: a Kubernetes ConfigMap or Secret is swapped in place, without a
// signal to the process.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/result.h"
#include "registry/client.h"
#include "server/reviewer.h"

namespace isign::server {

struct LoadedSnapshot {
  std::shared_ptr<const Snapshot> snapshot;
  // Every file it was read from: the policy, then each key file (what to watch).
  std::vector<std::string> files;
};

// Parses the policy at policy_path (relative keys against its directory) over client. The
// snapshot's generation hashes the policy's and every key file's bytes. Errors: as
// verify::load_policy_file's, in the policy's context.
common::Result<LoadedSnapshot> load_snapshot(const std::string& policy_path,
                                             std::shared_ptr<registry::Client> client);

// sha256 over the paths and bytes of files (a missing or unreadable one counts as such): equal
// fingerprints, same contents.
std::string files_fingerprint(const std::vector<std::string>& files);

} // namespace isign::server

// A policy (verify/policy.h) written as a node's /etc/containers files, so that podman, skopeo and
// CRI-O (containers/image) refuse what `isign verify --policy` refuses for the `.sig` format:
// containers-policy.json(5) and a containers-registries.d(5) file turning on sigstore attachments.
#pragma once

#include <string>
#include <vector>

#include "common/result.h"
#include "verify/policy.h"

namespace isign::verify {

struct ContainersFiles {
  std::string policy_json;     // policy.json: default and the docker transport's scopes
  std::string registries_yaml; // registries.d/isign.yaml: use-sigstore-attachments per scope
  // One line each: what nodes will not check (a scope's attestations) or will check more
  // strictly than isign (remapIdentity), naming the scope.
  std::vector<std::string> warnings;
};

// The two files for policy, keys embedded as keyData (base64 of their PEM) so that the files need
// nothing else. Usage error naming the scope for what containers/image 5.23 (Debian 12's skopeo,
// podman, CRI-O) cannot express: identity "none", annotations, a threshold other than the number
// of distinct keys, a requirement isign itself cannot check, a scope with both a tag and a digest.
common::Result<ContainersFiles> write_containers_policy(const Policy& policy);

} // namespace isign::verify

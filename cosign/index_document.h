// The referrers index at tag sha256-<hex> as a document the tag read-modify-write loop extends
// (tag_rmw.h): its entries are referrer descriptors. Internal to cosign/ (the referrers store).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "cosign/tag_rmw.h"
#include "registry/client.h"

namespace isign::cosign::detail {

// The document that adds descriptor (one referrers index entry, exact JSON) for referrer_digest
// to subject's referrers index, repairing descriptors without an artifactType from their
// manifests, and refusing to rewrite a tag that holds anything but an OCI index of referrers
// (GitLab answers the image itself there). client and subject must outlive it.
std::unique_ptr<TagDocument> make_index_document(registry::Client& client, const Subject& subject,
                                                 std::string descriptor,
                                                 std::string referrer_digest);

// The document that removes the referrers `digests` from subject's referrers index (another
// writer's entries kept byte for byte); nothing to do when none of them is listed.
std::unique_ptr<TagDocument> make_index_removal(const Subject& subject,
                                                std::vector<std::string> digests);

} // namespace isign::cosign::detail

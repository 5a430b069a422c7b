// An OCI image layout directory (image-spec "OCI Image Layout": oci-layout, index.json,
// blobs/sha256/<hex>) as a registry::Client: what "oci:DIR" references name.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "registry/client.h"

namespace isign::registry {

// A client over the layout at dir (absolute, as Repository::name holds it for a layout). Tags
// are index.json entries annotated org.opencontainers.image.ref.name; manifests and blobs are
// blobs/sha256/<hex>, their digests checked on every read and write. Nothing is created until
// the first write (which creates dir, oci-layout and index.json); reading a layout that does not
// exist is not_found. Every file is written through a temporary file and a rename; index.json's
// read-modify-write runs under an exclusive flock(2) of dir, so processes and threads sharing a
// layout never lose an entry, and PutCondition is honoured exactly (a refusal is
// http_status() == 412). Calls naming another repository than dir are internal errors. No
// referrers API (Referrers::api false). Thread-safe.
std::unique_ptr<Client> make_layout_client(std::string dir,
                                           std::size_t max_manifest_size = 4u << 20);

} // namespace isign::registry

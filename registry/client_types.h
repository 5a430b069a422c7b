// The values the registry client takes and returns: its options, what a manifest, a descriptor or
// a referrers list holds, and the access a request needs. Kept apart from client.h so that the
// client's parts (auth, referrers) use them without including the client they make up.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "registry/credentials_types.h"
#include "registry/transport.h"

namespace isign::registry {

struct ClientOptions {
  TransportOptions transport;
  bool allow_http = false; // --allow-http-registry: plain HTTP for every registry
  Credentials credentials; // from flags; empty means: look in auth files/helpers
  // Looks up stored credentials for a registry host when `credentials` is empty; when unset,
  // registry::find_credentials (credentials.h) is used. Tests inject their own.
  std::function<common::Result<std::optional<Credentials>>(std::string_view registry)>
      credential_lookup;
  bool use_credential_store = true;
  int max_retries = 3; // idempotent requests only (GET/HEAD)
  std::chrono::milliseconds max_backoff{8000};
  // Waits between retries; unset: std::this_thread::sleep_for. Tests record the waits instead.
  std::function<void(std::chrono::milliseconds)> sleep;
  std::size_t max_manifest_size = 4u << 20;
  // When set, no request starts after this instant and none runs past it (--deadline): a run
  // ends in bounded time however many requests stall. Requests then fail as network errors.
  std::optional<std::chrono::steady_clock::time_point> deadline;
  // The clock by which cached tokens and credentials age (auth.h); unset: steady_clock::now.
  // For tests, which move it on instead of sleeping. Deadlines always run on the real clock.
  std::function<std::chrono::steady_clock::time_point()> now;
};

// A manifest as received: its exact bytes, its media type and its digest (sha256 of the bytes).
struct Manifest {
  std::string media_type;
  std::string digest;
  std::string bytes;
  std::string etag; // the ETag header as the registry sent it; empty when it sent none
};

// Preconditions of a manifest PUT (RFC 9110 conditional requests). A registry that honours them
// refuses the PUT with 412 when the tag changed since it was read; one that does not (CNCF
// distribution 2.8) ignores them.
struct PutCondition {
  std::string if_match;           // sent as If-Match: the ETag of the manifest the new one replaces
  bool if_none_match_any = false; // If-None-Match: *, the tag must not exist yet
  // Annotations for the manifest's entry in an OCI layout's index.json (cosign's `kind`);
  // registries ignore it.
  std::map<std::string, std::string> index_annotations{};
};

// A manifest as a HEAD names it: its media type ("" when the registry gave a generic one), its
// digest and its size (0 when the registry did not say).
struct Descriptor {
  std::string media_type;
  std::string digest;
  std::size_t size = 0;
};

// What a manifest PUT answered: the digest of the bytes sent, and the answer's OCI-Subject header
// ("" when absent). A registry that sets it to the manifest's subject digest has added the manifest
// to its referrers list (distribution-spec v1.1); one that does not leaves the referrers tag to the
// client.
struct PutResult {
  std::string digest;
  std::string oci_subject;
};

// What a cross-repository blob mount did (Client::mount_blob).
enum class MountOutcome {
  mounted,    // the registry linked the blob from the other repository: no bytes sent
  uploaded,   // it started an upload instead (no mount support, no access to the source): the
              // bytes were sent through it
  unsupported // nothing was asked (another host, or a client without mounts): upload it
};

// One descriptor of a referrers list (an OCI index's manifests[] entry), as the registry gave it.
struct ReferrerDescriptor {
  std::string media_type;
  std::string digest; // "sha256:<hex>", validated
  std::size_t size = 0;
  std::string artifact_type;                      // "" when absent
  std::map<std::string, std::string> annotations; // string values only
};

// The referrers of a manifest. api false: the registry has no referrers API (it answered 404, 400,
// 406, or a 200 of another Content-Type than an OCI index): callers fall back to the referrers tag.
struct Referrers {
  bool api = true;
  std::vector<ReferrerDescriptor> descriptors; // when api: every page's, in the registry's order
};

// A referrers list longer than this, or in more pages than kMaxReferrerPages, is a limit error.
inline constexpr std::size_t kMaxReferrers = 10000;
inline constexpr std::size_t kMaxReferrerPages = 1000;

// What a request asks of a repository: the token scope it needs (a push token serves pulls too).
enum class Access { pull, push };

} // namespace isign::registry

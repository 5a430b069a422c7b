// The referrers API (distribution-spec v1.1 "Listing Referrers") that Debian's docker-registry 2.8
// lacks, emulated by the fault proxy in front of it, so e2e tests can exercise both paths: the
// registry itself (no API: the referrers tag) and the proxy (the API, with OCI-Subject).
//
//   RegistryFixture reg;
//   ReferrersProxy proxy(reg);                       // a FaultProxy that also serves referrers
//   push_manifest(proxy, "app", digest, referrer, kOciManifestType); // answered OCI-Subject: ...
//   client->list_referrers({proxy.url(), "app"}, image_digest);       // api true, the referrer
//   proxy.inject({"GET", "/referrers/", Fault::throttle(0), -1});     // faults still apply first
//
// What the proxy does on top of forwarding: (a) a manifest PUT whose JSON body has a "subject"
// object is recorded after the registry stored it (2xx) and answered with OCI-Subject; (b) GET
// /v2/<name>/referrers/<digest> is answered from those records, never forwarded: 200, an OCI
// index (empty "manifests" when none, never 404), ?artifactType= honoured with
// OCI-Filters-Applied; (c) a manifest DELETE that succeeded removes the manifest from the records.
#pragma once

#include <cstddef>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/fault_proxy.h"
#include "tests/support/http_server.h"

namespace isign::testing {

struct ReferrersOptions {
  // Descriptors per page of a referrers answer, with Link: <...>; rel="next" while more remain;
  // 0: all in one page.
  std::size_t page_size = 0;
  // false: ?artifactType= is ignored and no OCI-Filters-Applied is sent (the client filters).
  bool filter = true;
};

// The records behind the emulation, thread-safe. FaultProxy owns one when serving referrers.
class ReferrersIndex {
public:
  explicit ReferrersIndex(ReferrersOptions options) : options_(options) {}

  // Whether request is a referrers listing (GET /v2/<name>/referrers/<digest>).
  static bool is_listing(const ServerRequest& request);
  // The answer to a listing (is_listing), from the records.
  ServerReply answer(const ServerRequest& request);
  // Sees every forwarded request with the registry's reply: records a stored manifest that has a
  // subject (and adds OCI-Subject to reply), forgets a deleted one.
  void observe(const ServerRequest& request, ServerReply& reply);

  // Listings answered so far.
  std::size_t served() const;
  // The digests recorded as referrers of subject in repo, in the order they were pushed.
  std::vector<std::string> referrers(const std::string& repo, const std::string& subject) const;

private:
  struct Record {
    std::string digest;
    std::string descriptor; // the JSON object listed, as bytes
    std::string artifact_type;
  };
  ReferrersOptions options_;
  mutable std::mutex mu_;
  // (repository, subject digest) -> the referrers, in push order
  std::map<std::pair<std::string, std::string>, std::vector<Record>> records_;
  std::size_t served_ = 0;
};

// A FaultProxy serving referrers (FaultProxy::serve_referrers); the fault rules apply first.
class ReferrersProxy : public FaultProxy {
public:
  explicit ReferrersProxy(const RegistryEndpoint& upstream, ReferrersOptions options = {})
      : FaultProxy(upstream) {
    serve_referrers(options);
  }
};

} // namespace isign::testing

// An in-memory registry for the library tests (cosign stores, sign and verify batches): manifests
// by tag or digest, blobs, scripted faults per call, and optionally a referrers API. Thread-safe.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <optional>

#include "common/digest.h"
#include "registry/client.h"

namespace isign::testing {

using common::ErrorKind;
using common::make_error;
using common::Result;

inline const registry::Repository kRepo{"reg.example", "app"};
inline const std::string kImage = "sha256:" + std::string(64, 'a');

// A registry in memory: tags, manifests by digest, blobs. Hooks script faults per call.
class FakeClient : public registry::Client {
public:
  std::mutex mu;                            // signers may share the registry from several threads
  std::map<std::string, std::string> tags;  // tag (or digest) -> manifest bytes
  std::map<std::string, std::string> blobs; // digest -> bytes
  int gets = 0, puts = 0;
  // Called before each manifest GET of kTag with the call's number (1-based); an error is
  // answered instead of the stored manifest.
  std::function<std::optional<common::Error>(int)> on_get;
  // Called for each manifest PUT: returns an error to answer, and whether to store the bytes.
  std::function<std::pair<std::optional<common::Error>, bool>(int)> on_put;
  bool list_has_tag = false; // what has_tag answers when the tag is not stored

  Result<registry::Descriptor> head_manifest(const registry::Repository&,
                                             std::string_view) override {
    return make_error(ErrorKind::internal, "not scripted");
  }
  Result<registry::Manifest> get_manifest(const registry::Repository&,
                                          std::string_view ref) override {
    std::lock_guard lock(mu);
    ++gets;
    if (on_get)
      if (auto e = on_get(gets))
        return *e;
    auto it = tags.find(std::string(ref));
    if (it == tags.end())
      return make_error(ErrorKind::not_found, "404");
    registry::Manifest m;
    m.bytes = it->second;
    m.digest = common::sha256_digest(m.bytes);
    // What the registry tells apart by Content-Type: an index has "manifests".
    m.media_type =
        std::string(m.bytes.find("\"manifests\"") != std::string::npos ? registry::kOciIndex
                                                                       : registry::kOciManifest);
    return m;
  }
  using Client::put_manifest;
  Result<std::string> put_manifest(const registry::Repository&, std::string_view ref,
                                   std::string_view bytes, std::string_view,
                                   const registry::PutCondition&) override {
    std::lock_guard lock(mu);
    ++puts;
    auto [error, store] = on_put ? on_put(puts) : std::pair{std::optional<common::Error>(), true};
    if (store)
      tags[std::string(ref)] = std::string(bytes);
    if (error)
      return *error;
    return common::sha256_digest(bytes);
  }
  Result<void> delete_manifest(const registry::Repository&, std::string_view) override {
    return {};
  }
  Result<bool> blob_exists(const registry::Repository&, std::string_view d) override {
    std::lock_guard lock(mu);
    return blobs.count(std::string(d)) > 0;
  }
  Result<std::string> get_blob(const registry::Repository&, std::string_view d,
                               std::size_t) override {
    std::lock_guard lock(mu);
    auto it = blobs.find(std::string(d));
    if (it == blobs.end())
      return make_error(ErrorKind::not_found, "blob 404");
    return it->second;
  }
  Result<void> put_blob(const registry::Repository&, std::string_view d,
                        std::string_view bytes) override {
    std::lock_guard lock(mu);
    blobs[std::string(d)] = std::string(bytes);
    return {};
  }
  Result<std::vector<std::string>> list_tags(const registry::Repository&) override {
    return std::vector<std::string>{};
  }
  Result<bool> has_tag(const registry::Repository&, std::string_view tag) override {
    std::lock_guard lock(mu);
    return list_has_tag || tags.count(std::string(tag)) > 0;
  }
  // Without referrers_api, a registry without the API (distribution 2.8); with it, the referrers
  // of a digest are the stored manifests whose "subject" names it.
  bool referrers_api = false;
  int listings = 0;
  Result<registry::Referrers> list_referrers(const registry::Repository&, std::string_view digest,
                                             std::string_view) override {
    std::lock_guard lock(mu);
    ++listings;
    if (!referrers_api)
      return registry::Referrers{false, {}};
    registry::Referrers out;
    for (const auto& [ref, bytes] : tags)
      if (ref.rfind("sha256:", 0) == 0 && bytes.find("\"subject\":{") != std::string::npos &&
          bytes.find(std::string(digest)) != std::string::npos)
        out.descriptors.push_back({std::string(registry::kOciManifest), ref, bytes.size(), "", {}});
    return out;
  }
  std::size_t request_count() const override { return 0; }
};

} // namespace isign::testing

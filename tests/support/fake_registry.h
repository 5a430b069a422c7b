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

  // The stored manifest's descriptor (not counted in gets, not scripted by on_get).
  Result<registry::Descriptor> head_manifest(const registry::Repository&,
                                             std::string_view ref) override {
    std::lock_guard lock(mu);
    auto it = tags.find(std::string(ref));
    if (it == tags.end())
      return make_error(ErrorKind::not_found, "404");
    return registry::Descriptor{media_type_of(it->second), common::sha256_digest(it->second),
                                it->second.size()};
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
    m.media_type = media_type_of(m.bytes);
    return m;
  }
  // What the registry tells apart by Content-Type: an index has "manifests".
  static std::string media_type_of(const std::string& bytes) {
    return std::string(bytes.find("\"manifests\"") != std::string::npos ? registry::kOciIndex
                                                                        : registry::kOciManifest);
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
  // With claim_oci_subject, a PUT of a manifest naming a subject answers OCI-Subject (as a
  // registry with the referrers API does, or a proxy that adds the header without one).
  bool claim_oci_subject = false;
  Result<registry::PutResult> put_manifest_with_subject(const registry::Repository& repo,
                                                        std::string_view ref,
                                                        std::string_view bytes,
                                                        std::string_view media_type) override {
    auto put = put_manifest(repo, ref, bytes, media_type, registry::PutCondition{});
    if (!put)
      return std::move(put).error();
    registry::PutResult out{*put, ""};
    const std::string key = "\"subject\":{";
    if (auto at = bytes.find(key); claim_oci_subject && at != std::string_view::npos)
      if (auto d = bytes.find("sha256:", at); d != std::string_view::npos)
        out.oci_subject = std::string(bytes.substr(d, 71));
    return out;
  }
  // Deletes what is stored under a digest (or tag), and every tag naming those bytes, as
  // distribution does; deleted counts the calls that found something. on_delete, when set,
  // answers an error instead (a registry refusing DELETE).
  int deleted = 0;
  std::function<std::optional<common::Error>(std::string_view)> on_delete;
  Result<void> delete_manifest(const registry::Repository&, std::string_view d) override {
    std::lock_guard lock(mu);
    if (on_delete)
      if (auto e = on_delete(d))
        return *e;
    std::size_t erased = tags.erase(std::string(d));
    for (auto it = tags.begin(); it != tags.end();)
      if (common::sha256_digest(it->second) == d) {
        it = tags.erase(it);
        ++erased;
      } else {
        ++it;
      }
    if (erased == 0)
      return common::make_error(common::ErrorKind::not_found, "no manifest " + std::string(d));
    ++deleted;
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
  // Called before each listing with its number (1-based): an answer given instead.
  std::function<std::optional<Result<registry::Referrers>>(int)> on_list;
  Result<registry::Referrers> list_referrers(const registry::Repository&, std::string_view digest,
                                             std::string_view) override {
    std::lock_guard lock(mu);
    ++listings;
    if (on_list)
      if (auto scripted = on_list(listings))
        return *scripted;
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

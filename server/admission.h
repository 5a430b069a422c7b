// Kubernetes admission reviews (admission.k8s.io/v1): reading the AdmissionReview the API server
// sends to a webhook, finding every image its object runs, and writing the AdmissionReview
// answered, with a JSON Patch when images are pinned to digests. No I/O: bytes in, bytes out.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace isign::server {

// One image of the reviewed object (a container's, or an image volume's: "/spec/volumes/1/image/
// reference"): where it is (an RFC 6901 pointer, the JSON Patch path) and
// what it says.
struct ImageSite {
  std::string pointer;   // "/spec/template/spec/containers/0/image"
  std::string container; // "containers[0] \"app\"": how messages name it
  std::string image;     // the image string as written
  // An UPDATE whose old object has this very image at this very place: nothing new would run
  // (a Pod's image is immutable; a workload's Pods are reviewed as they are created).
  bool unchanged = false;
};

struct AdmissionRequest {
  std::string api_version; // echoed in the answer
  std::string uid;
  std::string kind;      // request.kind.kind: "Pod", "Deployment", ...
  std::string group;     // request.kind.group: "", "apps", "batch"
  std::string namespace_name;
  std::string name;      // the object's name (metadata.name, or generateName, or request.name)
  std::string operation; // CREATE, UPDATE, DELETE, CONNECT
  bool dry_run = false;
  bool checked_kind = false;       // a kind whose images isign knows where to find
  std::vector<ImageSite> images;   // in document order; empty for other kinds and operations
};

// The largest review read; larger bodies are refused before they are parsed (413).
inline constexpr std::size_t kMaxReviewSize = 4u << 20;

// Parses an AdmissionReview request strictly (duplicate keys refuse it). Usage error naming what
// is wrong for anything that is not an admission.k8s.io/v1 AdmissionReview with a request and a
// uid, or whose images are not strings. Objects of kinds it does not know, and DELETE and CONNECT
// operations, parse with no images.
common::Result<AdmissionRequest> parse_admission_review(std::string_view body);

// One JSON Patch operation: the image at pointer replaced by value.
struct ImagePatch {
  std::string pointer;
  std::string value;
};

struct AdmissionAnswer {
  bool allowed = true;
  std::string message;               // why not (status.message), when refused
  std::vector<std::string> warnings; // shown to kubectl's user
  std::vector<ImagePatch> patches;   // only when allowed
};

// The AdmissionReview response document for request: apiVersion and kind echoed, response.uid,
// allowed, status {code 403, message} when refused, patchType JSONPatch and the base64 patch
// when there are patches. Warnings are cut to what the API server accepts.
std::string admission_response(const AdmissionRequest& request, const AdmissionAnswer& answer);

} // namespace isign::server

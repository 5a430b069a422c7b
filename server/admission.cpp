#include "server/admission.h"

#include <nlohmann/json.hpp>
#include <unordered_map>

#include "common/encoding.h"
#include "common/json.h"

namespace isign::server {

using common::ErrorKind;
using common::make_error;
using nlohmann::json;

namespace {

// Kubernetes objects nest deeper than signature documents (a CronJob's containers sit 7 levels
// down, annotations and CRDs more); still bounded, against a stack-exhausting body.
constexpr std::size_t kMaxReviewDepth = 128;

// The API server keeps warnings of up to 256 characters and 4096 in all (the rest is dropped).
constexpr std::size_t kMaxWarning = 256;
constexpr std::size_t kMaxWarnings = 4096;

common::Error bad(const std::string& what) {
  return make_error(ErrorKind::usage, "not an AdmissionReview: " + what);
}

const json* member(const json& obj, const char* key) {
  if (!obj.is_object())
    return nullptr;
  auto it = obj.find(key);
  return it == obj.end() ? nullptr : &*it;
}

std::string string_member(const json& obj, const char* key) {
  const json* v = member(obj, key);
  return v && v->is_string() ? v->get<std::string>() : std::string();
}

// Where a kind keeps its pod spec: Pod at /spec, the workload controllers at /spec/template/spec,
// CronJob at /spec/jobTemplate/spec/template/spec. Empty for kinds without images.
std::vector<std::string> pod_spec_path(const std::string& group, const std::string& kind) {
  if (group.empty() && kind == "Pod")
    return {"spec"};
  if ((group == "apps" && (kind == "Deployment" || kind == "ReplicaSet" ||
                           kind == "StatefulSet" || kind == "DaemonSet")) ||
      (group == "batch" && kind == "Job") || (group.empty() && kind == "ReplicationController"))
    return {"spec", "template", "spec"};
  if (group == "batch" && kind == "CronJob")
    return {"spec", "jobTemplate", "spec", "template", "spec"};
  return {};
}

common::Result<void> collect_images(const json& object, const std::vector<std::string>& path,
                                    std::vector<ImageSite>& out) {
  const json* spec = &object;
  std::string pointer;
  for (const auto& step : path) {
    spec = member(*spec, step.c_str());
    if (!spec || spec->is_null())
      return {}; // no pod spec: nothing runs
    if (!spec->is_object())
      return bad("/" + pointer.substr(pointer.empty() ? 0 : 1) + step + " is not an object");
    pointer += "/" + step;
  }
  for (const char* list : {"initContainers", "containers", "ephemeralContainers"}) {
    const json* containers = member(*spec, list);
    if (!containers || containers->is_null())
      continue;
    if (!containers->is_array())
      return bad(pointer + "/" + list + " is not a list");
    for (std::size_t i = 0; i < containers->size(); ++i) {
      const json& c = (*containers)[i];
      const std::string at = pointer + "/" + list + "/" + std::to_string(i);
      if (!c.is_object())
        return bad(at + " is not an object");
      const json* image = member(c, "image");
      // A container without an image is the API server's to refuse (or a defaulting webhook's
      // to fill): nothing to check here.
      if (!image || image->is_null())
        continue;
      if (!image->is_string())
        return bad(at + "/image is not a string");
      std::string label = std::string(list) + "[" + std::to_string(i) + "]";
      if (std::string name = string_member(c, "name"); !name.empty())
        label += " " + common::quote_for_message(name.substr(0, 64));
      out.push_back({at + "/image", std::move(label), image->get<std::string>()});
    }
  }
  // An image volume (ImageVolume, Kubernetes 1.31+) is pulled by the kubelet like a container's
  // image and mounted into containers that can run what it holds: checked as one.
  const json* volumes = member(*spec, "volumes");
  if (!volumes || volumes->is_null())
    return {};
  if (!volumes->is_array())
    return bad(pointer + "/volumes is not a list");
  for (std::size_t i = 0; i < volumes->size(); ++i) {
    const std::string at = pointer + "/volumes/" + std::to_string(i);
    const json* source = member((*volumes)[i], "image");
    if (!source || source->is_null())
      continue;
    const json* reference = member(*source, "reference");
    if (!reference || reference->is_null())
      continue; // the API server's to refuse
    if (!reference->is_string())
      return bad(at + "/image/reference is not a string");
    std::string label = "volumes[" + std::to_string(i) + "]";
    if (std::string name = string_member((*volumes)[i], "name"); !name.empty())
      label += " " + common::quote_for_message(name.substr(0, 64));
    out.push_back({at + "/image/reference", std::move(label), reference->get<std::string>()});
  }
  return {};
}

} // namespace

common::Result<AdmissionRequest> parse_admission_review(std::string_view body) {
  auto doc = common::parse_strict_json(body, kMaxReviewDepth);
  if (!doc)
    return bad(doc.error().message());
  if (!doc->is_object())
    return bad("the body is not a JSON object");
  AdmissionRequest r;
  r.api_version = string_member(*doc, "apiVersion");
  if (r.api_version != "admission.k8s.io/v1")
    return bad("apiVersion is " +
               (r.api_version.empty() ? std::string("missing")
                                      : common::quote_for_message(r.api_version.substr(0, 64))) +
               ", expected \"admission.k8s.io/v1\" (admissionReviewVersions: [\"v1\"])");
  if (string_member(*doc, "kind") != "AdmissionReview")
    return bad("kind is not \"AdmissionReview\"");
  const json* request = member(*doc, "request");
  if (!request || !request->is_object())
    return bad("no \"request\" object");
  r.uid = string_member(*request, "uid");
  if (r.uid.empty())
    return bad("request.uid is missing or empty");
  if (r.uid.size() > 256)
    return bad("request.uid is longer than 256 bytes");
  if (const json* kind = member(*request, "kind"); kind && kind->is_object()) {
    r.kind = string_member(*kind, "kind");
    r.group = string_member(*kind, "group");
  } else {
    return bad("request.kind is missing");
  }
  r.namespace_name = string_member(*request, "namespace");
  r.operation = string_member(*request, "operation");
  if (const json* dry = member(*request, "dryRun"); dry && dry->is_boolean())
    r.dry_run = dry->get<bool>();
  const json* object = member(*request, "object");
  r.name = string_member(*request, "name");
  if (object && object->is_object())
    if (const json* meta = member(*object, "metadata"); meta && meta->is_object()) {
      if (std::string name = string_member(*meta, "name"); !name.empty())
        r.name = name;
      else if (r.name.empty())
        r.name = string_member(*meta, "generateName");
    }
  const auto path = pod_spec_path(r.group, r.kind);
  r.checked_kind = !path.empty();
  // DELETE and CONNECT start nothing; CREATE and UPDATE carry the object to be stored.
  if (!r.checked_kind || (r.operation != "CREATE" && r.operation != "UPDATE"))
    return r;
  if (!object || !object->is_object())
    return bad("request.object is missing for " + r.operation + " of a " + r.kind);
  if (auto ok = collect_images(*object, path, r.images); !ok)
    return ok.error();
  if (r.operation == "UPDATE")
    if (const json* old = member(*request, "oldObject"); old && old->is_object()) {
      std::vector<ImageSite> before;
      if (collect_images(*old, path, before)) {
        // By pointer: tens of thousands of images on both sides must not cost their product.
        std::unordered_map<std::string, std::string> old_images;
        for (auto& b : before)
          old_images.emplace(std::move(b.pointer), std::move(b.image));
        for (auto& site : r.images)
          if (auto it = old_images.find(site.pointer); it != old_images.end())
            site.unchanged = it->second == site.image;
      }
    }
  return r;
}

std::string admission_response(const AdmissionRequest& request, const AdmissionAnswer& answer) {
  json response = {{"uid", request.uid}, {"allowed", answer.allowed}};
  if (!answer.allowed)
    response["status"] = {{"code", 403}, {"reason", "Forbidden"}, {"message", answer.message}};
  if (answer.allowed && !answer.patches.empty()) {
    json ops = json::array();
    for (const auto& p : answer.patches)
      ops.push_back({{"op", "replace"}, {"path", p.pointer}, {"value", p.value}});
    response["patchType"] = "JSONPatch";
    response["patch"] =
        common::base64_encode(ops.dump(-1, ' ', false, json::error_handler_t::replace));
  }
  if (!answer.warnings.empty()) {
    json warnings = json::array();
    std::size_t total = 0;
    for (const auto& w : answer.warnings) {
      std::string cut = w.size() > kMaxWarning ? w.substr(0, kMaxWarning - 3) + "..." : w;
      if (total + cut.size() > kMaxWarnings)
        break;
      total += cut.size();
      warnings.push_back(std::move(cut));
    }
    response["warnings"] = std::move(warnings);
  }
  json doc = {{"apiVersion", request.api_version.empty() ? "admission.k8s.io/v1"
                                                          : request.api_version},
              {"kind", "AdmissionReview"},
              {"response", std::move(response)}};
  // Replacement characters for invalid UTF-8 in messages (an image string quoted back), never an
  // exception.
  return doc.dump(-1, ' ', false, json::error_handler_t::replace);
}

} // namespace isign::server

#include "registry/media_types.h"

#include <cctype>

#include "registry/http_util.h"
#include "registry/json_util.h"

namespace isign::registry {

using common::ErrorKind;
using common::make_error;
using common::Result;
using detail::quote_text;

bool is_manifest_type(std::string_view t) {
  return t == kOciManifest || t == kOciIndex || t == kDockerManifest || t == kDockerManifestList;
}

bool is_index_type(std::string_view t) {
  return t == kOciIndex || t == kDockerManifestList;
}

std::string bare_media_type(std::string_view content_type) {
  std::string ct(content_type.substr(0, content_type.find(';')));
  while (!ct.empty() && (ct.back() == ' ' || ct.back() == '\t'))
    ct.pop_back();
  for (auto& c : ct)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ct;
}

bool is_generic_type(std::string_view ct) {
  return ct.empty() || ct == "application/json" || ct == "text/plain" ||
         ct == "application/octet-stream";
}

// A 200 text/html page is not something to sign, and an index served as an image manifest must
// not have its children skipped: hence the three-way agreement.
Result<std::string> manifest_media_type(std::string_view content_type, std::string_view bytes) {
  const std::string ct = bare_media_type(content_type);
  if (!is_generic_type(ct) && !is_manifest_type(ct))
    return make_error(ErrorKind::registry, "the answer has Content-Type " + quote_text(ct) +
                                               ", not an image manifest or index");
  auto doc = detail::parse_json(bytes);
  if (doc.is_discarded() || !doc.is_object())
    return make_error(ErrorKind::registry,
                      "the answer is not a JSON manifest (Content-Type " + quote_text(ct) + ")");
  std::string body_type;
  if (auto it = doc.find("mediaType"); it != doc.end()) {
    if (!it->is_string())
      return make_error(ErrorKind::registry, "the manifest's mediaType is not a string");
    body_type = it->get<std::string>();
  }
  const bool body_is_index = doc.contains("manifests");
  std::string type = !is_generic_type(ct) ? ct : body_type;
  if (type.empty())
    type = std::string(body_is_index ? kOciIndex : kOciManifest);
  if (!is_manifest_type(type))
    return make_error(ErrorKind::registry, "the manifest's media type " + quote_text(type) +
                                               " is not an image manifest or index");
  if (!body_type.empty() && body_type != type)
    return make_error(ErrorKind::registry, "the Content-Type " + quote_text(type) +
                                               " and the manifest's mediaType " +
                                               quote_text(body_type) + " disagree");
  const bool type_is_index = is_index_type(type);
  if (type_is_index != body_is_index)
    return make_error(
        ErrorKind::registry,
        std::string("the media type says ") + (type_is_index ? "an index" : "an image manifest") +
            " but the body " +
            (body_is_index ? "is an index (it lists \"manifests\")" : "has no \"manifests\" list"));
  return type;
}

} // namespace isign::registry

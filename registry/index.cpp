#include "registry/index.h"

#include <nlohmann/json.hpp>

#include "common/digest.h"
#include "registry/json_util.h"

namespace isign::registry {

namespace {

std::string string_member(const nlohmann::json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

} // namespace

common::Result<std::vector<IndexEntry>> parse_index(std::string_view bytes) {
  using common::ErrorKind;
  auto doc = detail::parse_json(bytes);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("manifests") ||
      !doc["manifests"].is_array())
    return common::make_error(ErrorKind::registry,
                              "the image index is not JSON with a manifests list");
  // Real indexes list a few dozen platforms; a registry's 20,000-entry index would otherwise cost
  // 20,000 requests.
  if (doc["manifests"].size() > kMaxIndexEntries)
    return common::make_error(ErrorKind::limit, "the image index has " +
                                                    std::to_string(doc["manifests"].size()) +
                                                    " entries, more than the limit of " +
                                                    std::to_string(kMaxIndexEntries));
  std::vector<IndexEntry> out;
  for (const auto& m : doc["manifests"]) {
    if (!m.is_object())
      return common::make_error(ErrorKind::registry,
                                "an entry of the image index is not an object");
    IndexEntry e;
    e.digest = string_member(m, "digest");
    // The registry's bytes are wrong, not the user's input: a registry error, not a usage one.
    if (auto ok = common::validate_sha256_digest(e.digest); !ok)
      return common::make_error(ErrorKind::registry,
                                "an entry of the image index: " + ok.error().message());
    e.media_type = string_member(m, "mediaType");
    if (auto size = m.find("size"); size != m.end() && size->is_number_unsigned())
      e.size = size->get<std::size_t>();
    if (auto p = m.find("platform"); p != m.end() && p->is_object()) {
      e.has_platform = true;
      e.os = string_member(*p, "os");
      e.architecture = string_member(*p, "architecture");
      e.variant = string_member(*p, "variant");
    }
    out.push_back(std::move(e));
  }
  return out;
}

} // namespace isign::registry

// Internal to registry/: a registry's JSON answers are parsed by common's strict parser, as the
// signature formats are: no NUL byte, no byte-order mark, no duplicate key at any depth (nlohmann
// keeps the last one, other readers may keep the first: an index with two "manifests" lists means
// two things), and bounded nesting.
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

#include "common/json.h"

namespace isign::registry::detail {

// The document, or a discarded value when text is not such JSON. Registry answers may nest one
// level deeper than the signature formats (65 containers), as they always could.
inline nlohmann::json parse_json(std::string_view text) {
  auto doc = common::parse_strict_json(text, common::kMaxJsonDepth + 1);
  return doc ? std::move(*doc) : nlohmann::json(nlohmann::json::value_t::discarded);
}

} // namespace isign::registry::detail

// Internal to registry/: reading one page of a referrers list (distribution-spec v1.1 "Listing
// Referrers"), an OCI image index whose manifests[] are the referrers' descriptors.
#pragma once

#include <string_view>
#include <vector>

#include "common/result.h"
#include "registry/client_types.h"

namespace isign::registry::detail {

// The descriptors of one page, in order. A registry error naming what is wrong unless bytes are
// strict JSON (json_util.h), an object whose "mediaType", when present, is the OCI index type, and
// whose "manifests" is an array of objects each with a string mediaType, a sha256 digest, an
// integer size in [0, 2^63), and, when present, a string artifactType and an object of string
// annotations.
common::Result<std::vector<ReferrerDescriptor>> parse_referrers_page(std::string_view bytes);

// Whether an OCI-Filters-Applied header value (a comma-separated list) names filter.
bool filter_applied(std::string_view header_value, std::string_view filter);

} // namespace isign::registry::detail

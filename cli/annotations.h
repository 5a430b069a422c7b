// -a/--annotations key=value flags, shared by sign and verify.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/result.h"

namespace isign::cli {

// Parses each "key=value" (split at the first '='; the value may be empty, the key may not).
// A key given twice is a usage error, as is an entry without '='.
common::Result<std::map<std::string, std::string>>
parse_annotations(const std::vector<std::string>& entries);

} // namespace isign::cli

// What verify prints about a target's signatures: its label, cosign's payload array, the counts
// and formats of the valid ones, and what the user should be warned of (cmd_verify.cpp).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "registry/resolve.h"
#include "verify/image_verifier.h"

namespace isign::cli {

// How a target is named in messages: "child linux/arm64 (sha256:...)".
std::string target_label(const registry::Target& t);

// The JSON array cosign prints: the verified payloads, each exactly as signed.
std::string payload_array(const verify::TargetResult& r);

// The most valid signatures, and the most signatures, any requirement of r counted.
std::size_t valid_count(const verify::TargetResult& r);
std::size_t signature_count(const verify::TargetResult& r);

// Where the valid signatures were found, by format: "1 legacy, 1 bundle".
std::string valid_formats(const verify::TargetResult& r);

// The valid bundles whose statement names no repository, by where they were found.
std::vector<std::string> unbound_bundles(const verify::TargetResult& r);

// One warning per place that could not be read while r passed on the others.
std::vector<std::string> unread_notes(const verify::TargetResult& r);

} // namespace isign::cli

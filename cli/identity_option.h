// --identity REPO: the repository a signature names (sign, attest; cosign's
// --sign-container-identity) or the image is checked as (verify, verify-attestation), in place of
// the reference's own. What makes an OCI layout's signatures good for the registry it is loaded
// into.
#pragma once

#include <cxxopts.hpp>
#include <optional>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "registry/reference.h"

namespace isign::cli {

// Adds --identity REPO with help; with cosign_spelling also --sign-container-identity REPO.
void add_identity_option(cxxopts::Options& opts, const char* help, bool cosign_spelling);

// The repository --identity (or --sign-container-identity) names, nullopt when neither is given.
// Usage error when it is no repository ("[registry/]repo" or "oci:DIR", no tag or digest) or the
// two spellings name different ones.
common::Result<std::optional<registry::Repository>> read_identity(const cxxopts::ParseResult& args);

// sign and attest: one note on stderr for the OCI layouts among refs signed without --identity:
// what their signatures name and why --identity may be wanted. verb: "signature", "attestation".
void note_layout_identity(const std::vector<registry::Reference>& refs,
                          const std::optional<registry::Repository>& identity,
                          std::string_view what);

} // namespace isign::cli

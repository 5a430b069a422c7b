// The versioned JSON report of a batch verify (README.md, "Verification reports"): the document
// `isign verify --output json` prints and `--report` writes.
#pragma once

#include <string>
#include <vector>

#include "common/result.h"
#include "registry/resolve.h"
#include "verify/batch.h"

namespace isign::verify {

// The report's schemaVersion. Changing a name or a field's meaning needs a new version.
// 2: each manifest has "attestations" (one entry per attestation rule, every attestation read).
inline constexpr int kReportSchemaVersion = 2;

// The report's stable status name for a failure ("invalid", "rejected" when rejected_by_policy,
// "no-signature", "not-found", ...).
std::string status_name(const common::Error& error, bool rejected_by_policy);

// The report's name of a target's role: "image", "index" or "child".
std::string role_name(registry::Target::Role role);

// The report document for outcomes (verify_all's, one per reference), with each reference as the
// user gave it in references and exit_code the process's: pretty-printed JSON, no final newline.
// Text that is not UTF-8 (a registry's, in messages) is replaced, never an error.
std::string report_document(const std::vector<std::string>& references,
                            const std::vector<RefOutcome>& outcomes, int exit_code);

} // namespace isign::verify

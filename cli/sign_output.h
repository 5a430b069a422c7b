// What sign and attest print about a batch (sign/batch.h): per reference, the tag warning, each
// entry pushed and what attaching it did, then the errors; and the recheck once the batch ended.
#pragma once

#include <string>
#include <vector>

#include "cosign/stored.h"
#include "registry/reference.h"
#include "sign/batch.h"

namespace isign::cli {

// Prints what signing (kind signature) or attesting one reference did, input as the user gave
// it: its messages on stderr, then its errors. Returns the first failure's exit code (kOk when
// there was none).
int print_signed(const std::string& input, const registry::Reference& ref, const sign::RefSigned& r,
                 cosign::Kind kind);

// What checking every entry written once more found: a concurrent signer's replacement is a
// warning (the entry is back), a failure its error. Returns the first failure's exit code.
int print_rechecks(const std::vector<sign::Recheck>& rechecks, cosign::Kind kind);

} // namespace isign::cli

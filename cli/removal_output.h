// What revoke and clean print on stdout: per place, what was removed and what was kept.
#pragma once

#include <string>

#include "cosign/removal.h"

namespace isign::cli {

// One line per place ("  reg/app:sha256-<hex>.sig: removed 1 signature(s), kept 2"), its notes
// on the lines after it ("    note: ..."); `none` when nothing was removed.
void print_removal(const std::string& subject, const cosign::Removal& removal,
                   const std::string& none);

} // namespace isign::cli

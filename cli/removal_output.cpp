#include "cli/removal_output.h"

#include <iostream>

#include "cli/cli.h"

namespace isign::cli {

void print_removal(const std::string& subject, const cosign::Removal& removal,
                   const std::string& none) {
  if (removal.places.empty()) {
    std::cout << one_line(subject) << ": " << none << "\n";
    return;
  }
  std::cout << one_line(subject) << ":\n";
  for (const auto& p : removal.places) {
    std::string line = p.where + ": removed " + std::to_string(p.removed) + " " +
                       std::string(cosign::format_name(p.format)) + " " +
                       std::string(cosign::kind_name(p.kind)) + "(s)";
    if (p.kept > 0)
      line += ", kept " + std::to_string(p.kept) + " of other signers";
    if (p.deleted)
      line += ", manifest deleted";
    std::cout << "  " << one_line(line) << "\n";
    for (const auto& n : p.notes)
      std::cout << "    note: " << one_line(n) << "\n";
  }
}

} // namespace isign::cli

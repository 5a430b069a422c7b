#include "cli/annotations.h"

namespace isign::cli {

common::Result<std::map<std::string, std::string>>
parse_annotations(const std::vector<std::string>& entries) {
  std::map<std::string, std::string> out;
  for (const auto& e : entries) {
    auto eq = e.find('=');
    if (eq == std::string::npos || eq == 0)
      return common::make_error(common::ErrorKind::usage,
                                "invalid annotation '" + e + "': expected key=value");
    auto [it, inserted] = out.emplace(e.substr(0, eq), e.substr(eq + 1));
    if (!inserted)
      return common::make_error(common::ErrorKind::usage,
                                "annotation '" + it->first + "' is given twice");
  }
  return out;
}

} // namespace isign::cli

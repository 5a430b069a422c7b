#include "cli/annotations.h"

#include "cli/cli.h"
#include "common/encoding.h"

namespace isign::cli {

common::Result<std::map<std::string, std::string>>
parse_annotations(const std::vector<std::string>& entries) {
  std::map<std::string, std::string> out;
  for (const auto& e : entries) {
    auto eq = e.find('=');
    if (eq == std::string::npos || eq == 0)
      return common::make_error(common::ErrorKind::usage,
                                "invalid annotation '" + e + "': expected key=value");
    // The payload is JSON: invalid UTF-8 would be signed as U+FFFD (as cosign does), which is
    // not what was typed, so it is refused here for sign and verify alike.
    if (!common::is_valid_utf8(e))
      return common::make_error(common::ErrorKind::usage,
                                "invalid annotation '" + e + "': it is not valid UTF-8");
    auto [it, inserted] = out.emplace(e.substr(0, eq), e.substr(eq + 1));
    if (!inserted)
      return common::make_error(common::ErrorKind::usage,
                                "annotation '" + it->first + "' is given twice");
  }
  return out;
}

} // namespace isign::cli

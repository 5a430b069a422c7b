#include "cli/cli.h"

namespace isign::cli {

int cmd_inspect(int argc, char** argv) {
  (void)argc;
  (void)argv;
  return report(common::make_error(common::ErrorKind::usage, "not implemented yet"));
}

} // namespace isign::cli

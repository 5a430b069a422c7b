#include <iostream>

#include "cli/cli.h"

namespace isign::cli {

int cmd_version(int argc, char** argv) {
  cxxopts::Options opts("version", "Print isign's version.");
  opts.add_options()("h,help", "show this help");
  int exit = kOk;
  if (!parse(opts, argc, argv, &exit))
    return exit;
  std::cout << "isign " << ISIGN_VERSION << '\n';
  return kOk;
}

} // namespace isign::cli

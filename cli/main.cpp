// isign: key-based container image signing, compatible with cosign's key files and artifacts.
#include <cstring>
#include <exception>
#include <iostream>
#include <string>

#include "cli/cli.h"
#include "registry/reference.h"

namespace {

void print_help() {
  std::cout << "isign: sign and verify container images with cosign-compatible keys\n\n"
               "Usage: isign <command> [flags] [args]\n\nCommands:\n";
  for (const auto& c : isign::cli::commands()) {
    std::string name(c.name);
    name.resize(20, ' ');
    std::cout << "  " << name << c.summary << '\n';
  }
  std::cout << "\nRun 'isign <command> --help' for a command's flags.\n";
}

// Runs a command; an exception escaping it (a bug, or a library throwing where we did not expect
// it: std::bad_alloc, std::system_error from std::thread) is one error line and kInternal, never
// std::terminate's abort and core dump. Its text may come from anywhere: made one safe line.
int run_guarded(const isign::cli::Command& command, int argc, char** argv) {
  using namespace isign::cli;
  const char* what = "unknown exception";
  try {
    return command.run(argc, argv);
  } catch (const std::exception& e) {
    what = e.what();
  } catch (...) {
  }
  try {
    std::cout << std::flush;
    std::cerr << "isign: error: internal error: " << one_line(what, 512) << '\n';
  } catch (...) {
  }
  return kInternal;
}

} // namespace

int main(int argc, char** argv) {
  using namespace isign::cli;
  if (argc < 2) {
    print_help();
    return kUsage;
  }
  std::string name = argv[1];
  if (name == "--help" || name == "-h" || name == "help") {
    print_help();
    return kOk;
  }
  if (name == "--version")
    name = "version";
  std::vector<std::string> names;
  for (const auto& c : commands()) {
    if (c.name == name)
      return run_guarded(c, argc - 1, argv + 1);
    names.emplace_back(c.name);
  }
  std::string hint = suggest(name, names);
  std::cerr << "isign: error: unknown command '"
            << one_line(isign::registry::redact_credentials(name), 256) << "'";
  if (!hint.empty())
    std::cerr << ", did you mean '" << hint << "'?";
  std::cerr << " (see 'isign --help')\n";
  return kUsage;
}

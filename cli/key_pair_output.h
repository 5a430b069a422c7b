// Writing a new key pair (NAME.key, NAME.pub): shared by generate-key-pair and import-key-pair.
#pragma once

#include <cxxopts.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "keys/keys.h"

namespace isign::cli {

struct KeyPairOutput {
  std::string prefix;        // writes <prefix>.key and <prefix>.pub
  bool force = false;        // replace existing files without asking
  bool legacy = false;       // ENCRYPTED COSIGN PRIVATE KEY, N=32768 (containers/image 5.23)
  std::string password_file; // see read_password()
};

// Adds --output-key-prefix (default default_prefix), --force, --legacy, --password-file and --help.
void add_key_pair_output_options(cxxopts::Options& opts, const std::string& default_prefix);

// The KeyPairOutput those options give; none after printing a usage error (empty prefix).
std::optional<KeyPairOutput> key_pair_output(std::string_view command,
                                             const cxxopts::ParseResult& args);

// Asks before replacing existing files (refuses without a terminal unless force), reads a new
// password, encrypts key and writes both files (private 0600, public 0644) so that neither is
// left half-written; prints what it wrote to stderr. Returns the process exit code.
int write_new_key_pair(const keys::PrivateKey& key, const KeyPairOutput& output);

} // namespace isign::cli

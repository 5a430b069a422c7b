// Shared plumbing of the isign command line: the command table, option parsing, error reporting.
#pragma once

#include <cstddef>
#include <cxxopts.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/exit_codes.h"
#include "common/result.h"

namespace isign::cli {

// Exit codes (common/exit_codes.h), documented in README.md ("Exit codes").
using common::exit_code_for;
using common::ExitCode;
using common::kInternal;
using common::kIo;
using common::kKey;
using common::kLimit;
using common::kNetwork;
using common::kNoSignature;
using common::kNotFound;
using common::kOk;
using common::kPassword;
using common::kRegistry;
using common::kThrottled;
using common::kUsage;
using common::kVerificationFailed;

// Images (and index children) a command works on at once (common::parallel_for): enough to hide
// registry round trips, few enough not to flood a registry.
inline constexpr std::size_t kParallelImages = 8;
// Images sign works on at once. A signer spends most of its time waiting, not asking: the pause
// that confirms a 404 before creating an artifact and the settle before reading back what it
// wrote (cosign/tag_rmw.cpp), which keep concurrent signers from losing signatures. More of them
// overlap those waits; the requests in flight stay few.
inline constexpr std::size_t kParallelSigners = 32;

// Returns text made safe to print as part of one terminal line: control bytes and invalid UTF-8
// become \xNN, and text longer than max_bytes keeps its start and end around "[... N bytes ...]".
// Messages echo what users and registries typed (paths, references), which may be anything.
std::string one_line(std::string_view text, std::size_t max_bytes = 4096);

// Prints "isign: error: <message>" to stderr and returns the exit code for the error's kind.
int report(const common::Error& error);
// Prints "isign: warning: <message>" to stderr.
void warn(std::string_view message);
// Warns that path, a file holding credentials that group or others could read (mode previous),
// was rewritten with mode `mode` (login, logout).
void warn_mode_tightened(std::string_view path, unsigned previous, unsigned mode);
// Prints a usage error with a hint to the command's --help; returns kUsage.
int usage_error(std::string_view command, std::string_view message);

// A subcommand: argv[0] is the command name; returns the process exit code.
struct Command {
  std::string_view name;
  std::string_view summary;
  int (*run)(int argc, char** argv);
};
const std::vector<Command>& commands();

// Parses argv with opts. On --help prints the help and returns kOk in *exit; on a parse error
// prints one error line (with a "did you mean" for misspelt flags) and returns kUsage in *exit.
// Arguments that no option or positional took are a usage error too.
std::optional<cxxopts::ParseResult> parse(cxxopts::Options& opts, int argc, char** argv, int* exit);

// A command's positional argument: its option's name, and how the usage line shows it ("REF").
struct Positional {
  std::string name;
  std::string shown;
};
// parse, with the positional argument declared first.
std::optional<cxxopts::ParseResult> parse(cxxopts::Options& opts, const Positional& positional,
                                          int argc, char** argv, int* exit);

// Levenshtein-based suggestion among candidates, or "" if nothing is close.
std::string suggest(std::string_view word, const std::vector<std::string>& candidates);

// A file to sign or verify (sign-blob, verify-blob), read whole: io or limit error (over 1 GiB)
// with its path.
common::Result<std::string> read_blob(const std::string& path);

// The command implementations (one file each: cmd_<name>.cpp).
int cmd_generate_key_pair(int argc, char** argv);
int cmd_public_key(int argc, char** argv);
int cmd_import_key_pair(int argc, char** argv);
int cmd_sign(int argc, char** argv);
int cmd_verify(int argc, char** argv);
int cmd_attest(int argc, char** argv);
int cmd_verify_attestation(int argc, char** argv);
int cmd_sign_blob(int argc, char** argv);
int cmd_verify_blob(int argc, char** argv);
int cmd_triangulate(int argc, char** argv);
int cmd_tree(int argc, char** argv);
int cmd_download(int argc, char** argv);
int cmd_revoke(int argc, char** argv);
int cmd_clean(int argc, char** argv);
int cmd_policy(int argc, char** argv);
int cmd_copy(int argc, char** argv);
int cmd_save(int argc, char** argv);
int cmd_load(int argc, char** argv);
int cmd_inspect(int argc, char** argv);
int cmd_list_tags(int argc, char** argv);
int cmd_login(int argc, char** argv);
int cmd_logout(int argc, char** argv);
int cmd_serve(int argc, char** argv);
int cmd_version(int argc, char** argv);

} // namespace isign::cli

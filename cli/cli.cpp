#include "cli/cli.h"

#include <algorithm>
#include <cctype>
#include <iostream>

#include "common/encoding.h"
#include "registry/reference.h"

namespace isign::cli {

std::string one_line(std::string_view text, std::size_t max_bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(std::min(text.size(), max_bytes) + 16);
  for (std::size_t i = 0; i < text.size();) {
    auto b = static_cast<unsigned char>(text[i]);
    if (b >= 0x20 && b < 0x7F) {
      out += static_cast<char>(b);
      ++i;
    } else if (std::size_t len = b >= 0x80 ? common::utf8_sequence_length(text, i) : 0; len > 0) {
      out.append(text.substr(i, len));
      i += len;
    } else {
      out += "\\x";
      out += kHex[b >> 4];
      out += kHex[b & 15];
      ++i;
    }
  }
  if (out.size() <= max_bytes || max_bytes < 64)
    return out;
  // Keep whole UTF-8 sequences at both cuts.
  std::size_t head = max_bytes / 2 - 16, tail = out.size() - (max_bytes / 2 - 16);
  while (head > 0 && (static_cast<unsigned char>(out[head]) & 0xC0) == 0x80)
    --head;
  while (tail < out.size() && (static_cast<unsigned char>(out[tail]) & 0xC0) == 0x80)
    ++tail;
  return out.substr(0, head) + "[... " + std::to_string(tail - head) + " bytes ...]" +
         out.substr(tail);
}

int report(const common::Error& error) {
  std::cerr << "isign: error: " << one_line(error.message()) << '\n';
  return exit_code_for(error.kind());
}

void warn(std::string_view message) {
  std::cerr << "isign: warning: " << one_line(message) << '\n';
}

void warn_mode_tightened(std::string_view path, unsigned previous, unsigned mode) {
  auto octal = [](unsigned m) {
    std::string out;
    for (int shift = 9; shift >= 0; shift -= 3)
      out += static_cast<char>('0' + ((m >> shift) & 7));
    return out;
  };
  warn("'" + std::string(path) +
       "' holds credentials but was readable by group or others: its "
       "mode was tightened from " +
       octal(previous) + " to " + octal(mode));
}

int usage_error(std::string_view command, std::string_view message) {
  std::cerr << "isign: error: " << one_line(message) << " (see 'isign " << command << " --help')\n";
  return kUsage;
}

const std::vector<Command>& commands() {
  static const std::vector<Command> table = {
      {"generate-key-pair", "generate an encrypted ECDSA P-256 key pair (cosign.key, cosign.pub)",
       cmd_generate_key_pair},
      {"import-key-pair", "encrypt an existing PEM private key into isign/cosign format",
       cmd_import_key_pair},
      {"public-key", "print the public key of an encrypted private key", cmd_public_key},
      {"sign", "sign image manifest digests and push the signatures", cmd_sign},
      {"verify", "verify image signatures against public keys", cmd_verify},
      {"attest", "sign a predicate (scan report, SBOM, provenance) about images and push it",
       cmd_attest},
      {"verify-attestation", "verify image attestations and gate on what they say",
       cmd_verify_attestation},
      {"sign-blob", "sign a file (a base64 signature, a sigstore bundle)", cmd_sign_blob},
      {"verify-blob", "verify a file against a sigstore bundle or a signature", cmd_verify_blob},
      {"copy", "copy images with their signatures and attestations to another repository",
       cmd_copy},
      {"save", "save an image with its signatures and attestations to an OCI layout directory",
       cmd_save},
      {"load", "push the images of an OCI layout directory, with their signatures, to a registry",
       cmd_load},
      {"triangulate", "print the location of an image's signature artifact", cmd_triangulate},
      {"tree", "show everything attached to an image, in both formats, and who reads it", cmd_tree},
      {"download", "print an image's signatures or attestations as cosign download does",
       cmd_download},
      {"revoke", "remove one signer's signatures and attestations (by its public key)", cmd_revoke},
      {"clean", "remove all signatures and/or attestations of an image", cmd_clean},
      {"policy", "write a policy as /etc/containers files for podman, skopeo and CRI-O",
       cmd_policy},
      {"inspect", "show an image manifest's digest, media type and size", cmd_inspect},
      {"list-tags", "list the tags of a repository", cmd_list_tags},
      {"login", "store registry credentials in the docker config", cmd_login},
      {"logout", "remove registry credentials from the docker config", cmd_logout},
      {"serve", "run the Kubernetes admission webhook (validate, and pin tags to digests)",
       cmd_serve},
      {"version", "print the version", cmd_version},
  };
  return table;
}

std::string suggest(std::string_view word, const std::vector<std::string>& candidates) {
  // Edit distance as ninja's "did you mean": suggest only when the typo is small.
  auto distance = [](std::string_view a, std::string_view b) {
    std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j)
      prev[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
      cur[0] = i;
      for (std::size_t j = 1; j <= b.size(); ++j) {
        std::size_t sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
        cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, sub});
      }
      std::swap(prev, cur);
    }
    return prev[b.size()];
  };
  std::string best;
  std::size_t best_d = 3; // more than two edits away is not a typo
  for (const auto& c : candidates) {
    std::size_t d = distance(word, c);
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  return best;
}

namespace {

bool is_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
}

// The option a cxxopts message names ("Option ‘threshold’ is missing an argument").
std::string option_in_message(std::string_view what) {
  std::size_t i = std::min(what.find(' '), what.size());
  while (i < what.size() && !is_name_char(what[i]))
    ++i;
  std::size_t end = i;
  while (end < what.size() && is_name_char(what[end]))
    ++end;
  return std::string(what.substr(i, end - i));
}

std::string dashed(const std::string& name) {
  return (name.size() == 1 ? "-" : "--") + name;
}

// The flag argv gave value to ("--threshold -1", "--threshold=-1", "-t-1"), or "": cxxopts does
// not say which flag a value that failed to parse belongs to.
std::string flag_of_value(std::string_view value, int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg.size() < 2 || arg[0] != '-')
      continue;
    if (auto eq = arg.find('='); arg[1] == '-' && eq != std::string_view::npos) {
      if (arg.substr(eq + 1) == value)
        return std::string(arg.substr(0, eq));
    } else if (i + 1 < argc && value == argv[i + 1]) {
      return std::string(arg);
    } else if (arg[1] != '-' && arg.substr(2) == value) {
      return std::string(arg.substr(0, 2));
    }
  }
  return "";
}

// What a flag's value must look like, from its help details.
std::string expected_value(const cxxopts::Options& opts, std::string_view flag) {
  while (!flag.empty() && flag.front() == '-')
    flag.remove_prefix(1);
  for (const auto& group : opts.groups())
    for (const auto& o : opts.group_help(group).options) {
      if (o.s != flag && std::find(o.l.begin(), o.l.end(), flag) == o.l.end())
        continue;
      if (o.is_boolean)
        return "true or false";
      if (o.arg_help == "SECONDS")
        return "a number of seconds";
      if (o.arg_help == "N" || o.arg_help == "BYTES")
        return "a non-negative integer";
      return "a valid " + o.arg_help;
    }
  return "a valid value";
}

// The text between the first and the last quote of a cxxopts message ("Argument ‘-1’ failed to
// parse" holds -1).
std::string quoted_in(std::string_view what) {
  auto open = what.find(cxxopts::LQUOTE);
  auto close = what.rfind(cxxopts::RQUOTE);
  if (open == std::string_view::npos || close == std::string_view::npos ||
      close < open + cxxopts::LQUOTE.size())
    return "";
  return std::string(
      what.substr(open + cxxopts::LQUOTE.size(), close - open - cxxopts::LQUOTE.size()));
}

// Why an argument is too long for cxxopts, or "". It matches every argument that starts with '-'
// with std::regex, whose matcher recurses once per byte: a 100 KB "--flag=..." overflows the
// stack. Only the flag's name is shown ("-pVALUE" holds a value right after the name).
std::string overlong_flag(int argc, char** argv) {
  constexpr std::size_t kMaxFlagArgument = 16384;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg.size() <= kMaxFlagArgument || arg[0] != '-')
      continue;
    std::string_view name = arg.substr(0, arg.rfind("--", 0) == 0 ? arg.find('=') : 2);
    if (name.size() > 64) // no flag has such a name: it may be a value
      name = name.substr(0, 2);
    return "the argument '" + std::string(name) + "...' is " + std::to_string(arg.size()) +
           " bytes long; give a long value as the next argument (" + std::string(name) + " VALUE)";
  }
  return "";
}

// One line naming the flag for every cxxopts parse error but an unknown flag.
std::string parse_error_message(const cxxopts::Options& opts,
                                const cxxopts::exceptions::exception& e, int argc, char** argv) {
  namespace ex = cxxopts::exceptions;
  const std::string what = e.what();
  if (dynamic_cast<const ex::incorrect_argument_type*>(&e)) {
    const std::string value = quoted_in(what);
    const std::string flag = flag_of_value(value, argc, argv);
    const std::string shown = "'" + registry::redact_credentials(value) + "'";
    if (flag.empty())
      return "invalid value " + shown;
    return "invalid value " + shown + " for " + flag + ": expected " + expected_value(opts, flag);
  }
  if (dynamic_cast<const ex::missing_argument*>(&e) ||
      dynamic_cast<const ex::option_requires_argument*>(&e))
    return dashed(option_in_message(what)) + " needs a value";
  if (dynamic_cast<const ex::gratuitous_argument_for_option*>(&e))
    return dashed(option_in_message(what)) + " takes no value";
  if (dynamic_cast<const ex::invalid_option_syntax*>(&e))
    return "invalid flag '" + registry::redact_credentials(quoted_in(what)) + "'";
  return registry::redact_credentials(what);
}

} // namespace

std::optional<cxxopts::ParseResult> parse(cxxopts::Options& opts, const Positional& positional,
                                          int argc, char** argv, int* exit) {
  opts.parse_positional({positional.name});
  opts.positional_help(positional.shown);
  return parse(opts, argc, argv, exit);
}

std::optional<cxxopts::ParseResult> parse(cxxopts::Options& opts, int argc, char** argv,
                                          int* exit) {
  std::string command = opts.program();
  if (auto problem = overlong_flag(argc, argv); !problem.empty()) {
    *exit = usage_error(command, problem);
    return std::nullopt;
  }
  try {
    auto result = opts.parse(argc, argv);
    if (result.count("help")) {
      std::cout << opts.help() << '\n';
      *exit = kOk;
      return std::nullopt;
    }
    if (!result.unmatched().empty()) {
      *exit =
          usage_error(command, "unexpected argument '" +
                                   registry::redact_credentials(result.unmatched().front()) + "'");
      return std::nullopt;
    }
    return result;
  } catch (const cxxopts::exceptions::no_such_option& e) {
    std::string flag = option_in_message(e.what());
    std::vector<std::string> names;
    for (const auto& group : opts.groups())
      for (const auto& o : opts.group_help(group).options)
        names.push_back(o.l.empty() ? o.s : o.l.front());
    std::string hint = suggest(flag, names);
    // cxxopts names the flag without its dashes: one letter was given as -X.
    std::string msg = "unknown flag '" + std::string(flag.size() == 1 ? "-" : "--") + flag + "'";
    if (!hint.empty())
      msg += ", did you mean '--" + hint + "'?";
    *exit = usage_error(command, msg);
  } catch (const cxxopts::exceptions::exception& e) {
    *exit = usage_error(command, parse_error_message(opts, e, argc, argv));
  }
  return std::nullopt;
}

} // namespace isign::cli

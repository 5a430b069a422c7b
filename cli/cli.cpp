#include "cli/cli.h"

#include <algorithm>
#include <cctype>
#include <iostream>

namespace isign::cli {

using common::ErrorKind;

int exit_code_for(ErrorKind kind) {
  switch (kind) {
  case ErrorKind::usage: return kUsage;
  case ErrorKind::io: return kIo;
  case ErrorKind::key: return kKey;
  case ErrorKind::password: return kPassword;
  case ErrorKind::network: return kNetwork;
  case ErrorKind::registry: return kRegistry;
  case ErrorKind::not_found: return kNotFound;
  case ErrorKind::throttled: return kThrottled;
  case ErrorKind::verification: return kVerificationFailed;
  case ErrorKind::no_signature: return kNoSignature;
  case ErrorKind::limit: return kLimit;
  case ErrorKind::internal: return kInternal;
  }
  return kInternal;
}

namespace {

// Length of the well-formed UTF-8 sequence at s[i] (RFC 3629: no overlong forms, no surrogates,
// nothing above U+10FFFF), or 0.
std::size_t utf8_length(std::string_view s, std::size_t i) {
  auto at = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char b = at(i);
  std::size_t len = 0;
  unsigned char lo = 0x80, hi = 0xBF; // allowed range of the second byte
  if (b >= 0xC2 && b <= 0xDF) {
    len = 2;
  } else if (b >= 0xE0 && b <= 0xEF) {
    len = 3;
    if (b == 0xE0) lo = 0xA0;
    if (b == 0xED) hi = 0x9F;
  } else if (b >= 0xF0 && b <= 0xF4) {
    len = 4;
    if (b == 0xF0) lo = 0x90;
    if (b == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (i + len > s.size() || at(i + 1) < lo || at(i + 1) > hi) return 0;
  for (std::size_t k = 2; k < len; ++k)
    if (at(i + k) < 0x80 || at(i + k) > 0xBF) return 0;
  return len;
}

} // namespace

bool is_valid_utf8(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    if (static_cast<unsigned char>(text[i]) < 0x80) {
      ++i;
      continue;
    }
    std::size_t len = utf8_length(text, i);
    if (len == 0) return false;
    i += len;
  }
  return true;
}

std::string one_line(std::string_view text, std::size_t max_bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(std::min(text.size(), max_bytes) + 16);
  for (std::size_t i = 0; i < text.size();) {
    auto b = static_cast<unsigned char>(text[i]);
    if (b >= 0x20 && b < 0x7F) {
      out += static_cast<char>(b);
      ++i;
    } else if (std::size_t len = b >= 0x80 ? utf8_length(text, i) : 0; len > 0) {
      out.append(text.substr(i, len));
      i += len;
    } else {
      out += "\\x";
      out += kHex[b >> 4];
      out += kHex[b & 15];
      ++i;
    }
  }
  if (out.size() <= max_bytes || max_bytes < 64) return out;
  // Keep whole UTF-8 sequences at both cuts.
  std::size_t head = max_bytes / 2 - 16, tail = out.size() - (max_bytes / 2 - 16);
  while (head > 0 && (static_cast<unsigned char>(out[head]) & 0xC0) == 0x80) --head;
  while (tail < out.size() && (static_cast<unsigned char>(out[tail]) & 0xC0) == 0x80) ++tail;
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

int usage_error(std::string_view command, std::string_view message) {
  std::cerr << "isign: error: " << one_line(message) << " (see 'isign " << command
            << " --help')\n";
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
      {"triangulate", "print the location of an image's signature artifact", cmd_triangulate},
      {"inspect", "show an image manifest's digest, media type and size", cmd_inspect},
      {"list-tags", "list the tags of a repository", cmd_list_tags},
      {"login", "store registry credentials in the docker config", cmd_login},
      {"logout", "remove registry credentials from the docker config", cmd_logout},
      {"version", "print the version", cmd_version},
  };
  return table;
}

std::string suggest(std::string_view word, const std::vector<std::string>& candidates) {
  // Edit distance as ninja's "did you mean": suggest only when the typo is small.
  auto distance = [](std::string_view a, std::string_view b) {
    std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
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

std::optional<cxxopts::ParseResult> parse(cxxopts::Options& opts, int argc, char** argv,
                                          int* exit) {
  std::string command = opts.program();
  try {
    auto result = opts.parse(argc, argv);
    if (result.count("help")) {
      std::cout << opts.help() << '\n';
      *exit = kOk;
      return std::nullopt;
    }
    if (!result.unmatched().empty()) {
      *exit = usage_error(command, "unexpected argument '" + result.unmatched().front() + "'");
      return std::nullopt;
    }
    return result;
  } catch (const cxxopts::exceptions::no_such_option& e) {
    // cxxopts says "Option 'x' does not exist" with typographic quotes; keep only the flag.
    std::string what = e.what();
    std::string flag;
    for (char c : what.substr(std::min(what.size(), std::string_view("Option ").size())))
      if (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == ' ')
        flag += c;
    if (auto end = flag.find(" does not exist"); end != std::string::npos) flag.resize(end);
    while (!flag.empty() && flag.front() == ' ') flag.erase(0, 1);
    std::vector<std::string> names;
    for (const auto& group : opts.groups())
      for (const auto& o : opts.group_help(group).options) names.push_back(o.l.empty() ? o.s : o.l.front());
    std::string hint = suggest(flag, names);
    std::string msg = "unknown flag '--" + flag + "'";
    if (!hint.empty()) msg += ", did you mean '--" + hint + "'?";
    *exit = usage_error(command, msg);
  } catch (const cxxopts::exceptions::exception& e) {
    *exit = usage_error(command, e.what());
  }
  return std::nullopt;
}

} // namespace isign::cli

// Helpers shared by the e2e tests of verify's causes, thresholds, policies and multi-arch checks.
#pragma once

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/cli.h"
#include "common/digest.h"
#include "common/encoding.h"
#include "tests/e2e/registry_cli.h"
#include "tests/support/images.h"

namespace isign::testing {

inline constexpr const char* kKeyPassword = "e2e-password";

// A key pair made by the binary (legacy scrypt N, fast) in dir; returns the prefix.
inline std::string new_key_pair(const TempDir& dir, const std::string& prefix) {
  RunOptions o;
  o.env = {{"COSIGN_PASSWORD", kKeyPassword}};
  auto r = run_isign({"generate-key-pair", "--legacy", "--output-key-prefix", dir / prefix}, o);
  REQUIRE(r.exit_code == 0);
  return dir / prefix;
}

// isign sign --key PREFIX.key FLAGS... ARGS...
inline RunResult sign_image(const std::vector<std::string>& flags, const std::string& key,
                            const std::vector<std::string>& args) {
  RunOptions o;
  o.env = {{"COSIGN_PASSWORD", kKeyPassword}};
  return isign_cmd("sign", with(flags, {"--key", key + ".key"}), args, o);
}

// isign verify FLAGS... ARGS...
inline RunResult verify_image(const std::vector<std::string>& flags,
                              const std::vector<std::string>& args, RunOptions o = {}) {
  return isign_cmd("verify", flags, args, std::move(o));
}

// --key PREFIX.pub for each prefix.
inline std::vector<std::string> key_flags(const std::vector<std::string>& prefixes) {
  std::vector<std::string> out;
  for (const auto& p : prefixes) {
    out.push_back("--key");
    out.push_back(p + ".pub");
  }
  return out;
}

// The --output json report document on stdout.
inline nlohmann::json report_of(const RunResult& r) {
  auto doc = nlohmann::json::parse(r.out, nullptr, false);
  INFO("stdout: " << r.out);
  REQUIRE_FALSE(doc.is_discarded());
  REQUIRE(doc.is_object());
  return doc;
}

// The key id verify reports for PREFIX.pub: sha256 of the DER SubjectPublicKeyInfo.
inline std::string key_id_of(const std::string& prefix) {
  std::string pem = read_text(prefix + ".pub"), b64;
  std::size_t start = pem.find('\n') + 1, end = pem.find("-----END");
  for (char c : pem.substr(start, end - start))
    if (c != '\n' && c != '\r') b64 += c;
  auto der = isign::common::base64_decode(b64);
  REQUIRE(der);
  return isign::common::sha256_digest(*der);
}

inline std::string sig_tag_of(const std::string& digest) {
  return "sha256-" + digest.substr(7) + ".sig";
}

} // namespace isign::testing

// The internal helpers of keys/: OpenSSL's error queue as messages, the key types isign supports,
// and PEM.
#include "keys/openssl_util.h"

#include <openssl/err.h>
#include <openssl/evp.h>

#include <array>
#include <string>

#include "common/encoding.h"
#include "common/secret.h"

namespace isign::keys::detail {

using common::Error;
using common::ErrorKind;
using common::make_error;
using common::Result;

std::string drain_openssl_errors() {
  std::string first;
  while (unsigned long code = ERR_get_error()) {
    if (!first.empty())
      continue;
    const char* reason = ERR_reason_error_string(code);
    first = reason != nullptr ? reason : "OpenSSL error " + std::to_string(code);
  }
  return first;
}

Error openssl_error(ErrorKind kind, std::string what) {
  std::string reason = drain_openssl_errors();
  if (!reason.empty())
    what += ": " + reason;
  return make_error(kind, std::move(what));
}

Result<Algorithm> supported_algorithm(const EVP_PKEY* pkey) {
  static constexpr std::string_view kSupported = "EC P-256, P-384, P-521, RSA, Ed25519";
  if (EVP_PKEY_is_a(pkey, "EC")) {
    std::array<char, 64> group{};
    std::size_t len = 0;
    if (EVP_PKEY_get_group_name(pkey, group.data(), group.size(), &len) != 1)
      return openssl_error(ErrorKind::key, "unsupported EC key: it has no named curve");
    std::string name(group.data(), len);
    // OpenSSL reports the SEC 2 names; accept the NIST aliases too.
    if (name == "prime256v1" || name == "P-256")
      return Algorithm::ecdsa_p256;
    if (name == "secp384r1" || name == "P-384")
      return Algorithm::ecdsa_p384;
    if (name == "secp521r1" || name == "P-521")
      return Algorithm::ecdsa_p521;
    return make_error(ErrorKind::key, "unsupported EC curve '" + name +
                                          "' (supported: " + std::string(kSupported) + ")");
  }
  if (EVP_PKEY_is_a(pkey, "RSA")) {
    // The floor cosign's key validation (sigstore goodkey) applies.
    int bits = EVP_PKEY_get_bits(pkey);
    if (bits < 2048)
      return make_error(ErrorKind::key, "unsupported RSA key of " + std::to_string(bits) +
                                            " bits (at least 2048 are required)");
    return Algorithm::rsa;
  }
  if (EVP_PKEY_is_a(pkey, "ED25519"))
    return Algorithm::ed25519;
  const char* type = EVP_PKEY_get0_type_name(pkey);
  return make_error(ErrorKind::key, std::string("unsupported key type '") +
                                        (type != nullptr ? type : "unknown") +
                                        "' (supported: " + std::string(kSupported) + ")");
}

std::string pem_encode(std::string_view label, std::string_view der) {
  std::string b64 = common::base64_encode(der);
  std::string out = "-----BEGIN " + std::string(label) + "-----\n";
  out.reserve(out.size() + b64.size() + b64.size() / 64 + 2 * label.size() + 32);
  for (std::size_t i = 0; i < b64.size(); i += 64) {
    out.append(b64, i, 64);
    out += '\n';
  }
  out += "-----END " + std::string(label) + "-----\n";
  common::secure_wipe(b64.data(), b64.size());
  return out;
}

Result<PemBlock> pem_decode(std::string_view text) {
  static constexpr std::string_view kBegin = "-----BEGIN ";
  static constexpr std::string_view kDashes = "-----";
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos)
    return make_error(ErrorKind::key, "the file is empty, not a PEM block");
  // BEGIN must start a line; text before it is ignored, as Go's pem.Decode does.
  std::size_t begin = 0;
  for (;;) {
    begin = text.find(kBegin, begin);
    if (begin == std::string_view::npos)
      return make_error(ErrorKind::key, "not a PEM block (no '-----BEGIN' line)");
    if (begin == 0 || text[begin - 1] == '\n')
      break;
    begin += kBegin.size();
  }
  std::size_t label_start = begin + kBegin.size();
  std::size_t line_end = text.find('\n', label_start);
  std::string_view first_line =
      text.substr(label_start, line_end == std::string_view::npos ? std::string_view::npos
                                                                  : line_end - label_start);
  if (!first_line.empty() && first_line.back() == '\r')
    first_line.remove_suffix(1);
  if (first_line.size() < kDashes.size() ||
      first_line.substr(first_line.size() - kDashes.size()) != kDashes)
    return make_error(ErrorKind::key, "not a PEM block (malformed '-----BEGIN' line)");
  PemBlock block;
  block.label = std::string(first_line.substr(0, first_line.size() - kDashes.size()));
  if (line_end == std::string_view::npos)
    return make_error(ErrorKind::key,
                      "truncated PEM block: no '-----END " + block.label + "-----' line");

  std::string end_marker = "-----END " + block.label + "-----";
  std::size_t end = text.find(end_marker, line_end + 1);
  if (end == std::string_view::npos || text[end - 1] != '\n') {
    if (text.find("-----END ", line_end + 1) != std::string_view::npos)
      return make_error(ErrorKind::key,
                        "malformed PEM block: its END line does not match '" + block.label + "'");
    return make_error(ErrorKind::key, "truncated PEM block: no '" + end_marker + "' line");
  }
  std::string_view body = text.substr(line_end + 1, end - line_end - 1);
  block.end_offset = end + end_marker.size();
  if (body.find(':') != std::string_view::npos)
    return make_error(ErrorKind::key,
                      "PEM headers (such as 'Proc-Type: 4,ENCRYPTED') are not supported");
  std::string compact;
  compact.reserve(body.size());
  for (char c : body)
    if (c != '\n' && c != '\r' && c != ' ' && c != '\t')
      compact += c;
  auto der = common::base64_decode(compact);
  common::secure_wipe(compact.data(), compact.size());
  if (!der)
    return make_error(ErrorKind::key, "bad base64 in the PEM block '" + block.label + "'");
  block.der = std::move(*der);
  return block;
}

} // namespace isign::keys::detail

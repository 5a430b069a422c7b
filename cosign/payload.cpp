#include "cosign/payload.h"

#include <cstddef>
#include <cstdint>

#include "common/digest.h"
#include "common/encoding.h"
#include "cosign/constants.h"

namespace isign::cosign {

using common::ErrorKind;
using common::make_error;
using common::Result;

namespace {

constexpr char kHex[] = "0123456789abcdef";

} // namespace

// Mirrors Go's encoding/json appendString with escapeHTML = true (json.Marshal's mode). The short
// escapes \b and \f are what Go >= 1.22 writes (older Go wrote \u0008 and \u000c, so payloads
// from old cosign builds differ only for annotation values holding those two control bytes).
std::string go_json_string(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out += '"';
  std::size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) {
      switch (b) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (b < 0x20 || b == '<' || b == '>' || b == '&') {
          out += "\\u00";
          out += kHex[b >> 4];
          out += kHex[b & 0xF];
        } else {
          out += static_cast<char>(b);
        }
      }
      ++i;
      continue;
    }
    // Go replaces exactly the bytes its utf8.DecodeRuneInString rejects, one \ufffd per byte;
    // common::utf8_sequence_length follows the same rules.
    const std::size_t len = common::utf8_sequence_length(s, i);
    if (len == 0) {
      out += "\\ufffd";
      ++i;
      continue;
    }
    // U+2028 and U+2029 (E2 80 A8/A9) break JSONP; Go escapes them unconditionally.
    if (len == 3 && b == 0xE2 && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
        (static_cast<unsigned char>(s[i + 2]) == 0xA8 ||
         static_cast<unsigned char>(s[i + 2]) == 0xA9)) {
      out += static_cast<unsigned char>(s[i + 2]) == 0xA8 ? "\\u2028" : "\\u2029";
    } else {
      out.append(s.substr(i, len));
    }
    i += len;
  }
  out += '"';
  return out;
}

Result<std::string> make_payload(std::string_view docker_reference,
                                 std::string_view manifest_digest, const Annotations& annotations) {
  if (docker_reference.empty())
    return make_error(ErrorKind::usage, "the payload needs a docker-reference (the repository)");
  ISIGN_TRY_CONTEXT(common::validate_sha256_digest(manifest_digest),
                    "building the signature payload");

  // cosign marshals sigstore's payload.SimpleContainerImage: struct fields declared in sorted
  // order, "optional" a Go map (sorted keys, null when there are no annotations).
  std::string out = "{\"critical\":{\"identity\":{\"docker-reference\":";
  out += go_json_string(docker_reference);
  out += "},\"image\":{\"docker-manifest-digest\":";
  out += go_json_string(manifest_digest);
  out += "},\"type\":";
  out += go_json_string(kSignatureType);
  out += "},\"optional\":";
  if (annotations.empty()) {
    out += "null";
  } else {
    // std::map orders std::string keys bytewise (char_traits<char> compares as unsigned char),
    // the order of Go's sort over map keys.
    out += '{';
    bool first = true;
    for (const auto& [key, value] : annotations) {
      if (!first)
        out += ',';
      first = false;
      out += go_json_string(key);
      out += ':';
      out += go_json_string(value);
    }
    out += '}';
  }
  out += '}';
  return out;
}

} // namespace isign::cosign

// The bytes inside a PEM block, for tests that look into key files (unit and end-to-end tests).
#pragma once

#include <catch2/catch.hpp>
#include <string>

#include "common/encoding.h"

namespace isign::testing {

// The base64 lines between the first line (-----BEGIN ...-----) and the next line that starts
// with "-----", decoded. Fails the test when they are not base64.
inline std::string pem_body(const std::string& pem_text) {
  std::string b64;
  std::size_t pos = pem_text.find('\n') + 1;
  while (pos < pem_text.size() && pem_text.compare(pos, 5, "-----") != 0) {
    auto nl = pem_text.find('\n', pos);
    if (nl == std::string::npos)
      nl = pem_text.size();
    for (std::size_t i = pos; i < nl; ++i)
      if (pem_text[i] != '\r')
        b64 += pem_text[i];
    pos = nl + 1;
  }
  auto bytes = isign::common::base64_decode(b64);
  REQUIRE(bytes);
  return *bytes;
}

} // namespace isign::testing

// The unit tests' access to testdata/ (ISIGN_TESTDATA_DIR is set by tests/CMakeLists.txt).
#pragma once

#include <catch2/catch.hpp>
#include <string>

#include "common/file.h"

namespace isign::unit {

// The bytes of testdata/<relative>; fails the test when it cannot be read.
inline std::string testdata_file(const std::string& relative) {
  auto data = common::read_file(std::string(ISIGN_TESTDATA_DIR) + "/" + relative);
  REQUIRE(data.ok());
  return *data;
}

} // namespace isign::unit

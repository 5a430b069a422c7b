// Small file helpers of the credentials unit tests: write with a mode, read whole, the mode bits.
#pragma once

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/stat.h>

namespace isign::testing {

// Writes data to path (creating its directories) and sets its mode.
inline void write(const std::string& path, const std::string& data, mode_t mode = 0600) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path, std::ios::binary | std::ios::trunc) << data;
  REQUIRE(::chmod(path.c_str(), mode) == 0);
}

// The whole file, or "" when it cannot be read.
inline std::string read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The permission bits of path, which must exist.
inline mode_t mode_of(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

} // namespace isign::testing

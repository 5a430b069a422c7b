// For unit tests (the e2e harness has TempDir in process.h): a fresh directory under the system's
// temporary directory, removed with everything in it when the object goes.
#pragma once

#include <filesystem>
#include <random>
#include <string>

namespace isign::testing {

class ScratchDir {
public:
  explicit ScratchDir(const std::string& prefix = "isign-test-") {
    std::random_device rd;
    for (;;) {
      path_ = std::filesystem::temp_directory_path() / (prefix + std::to_string(rd()));
      if (std::filesystem::create_directory(path_))
        break;
    }
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string str() const { return path_.string(); }
  std::string operator/(const std::string& rel) const { return (path_ / rel).string(); }

private:
  std::filesystem::path path_;
};

} // namespace isign::testing

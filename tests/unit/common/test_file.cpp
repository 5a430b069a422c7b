#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <sys/stat.h>

#include "common/file.h"
#include "common/result.h"

using namespace isign::common;
namespace fs = std::filesystem;

namespace {
fs::path temp_dir() {
  std::string tmpl = (fs::temp_directory_path() / "isign-test-XXXXXX").string();
  REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
  return tmpl;
}
} // namespace

TEST_CASE("write_file_atomic writes with the mode and refuses to overwrite", "[file]") {
  auto dir = temp_dir();
  auto path = (dir / "k.key").string();
  REQUIRE(write_file_atomic(path, "secret", 0600, Overwrite::no).ok());
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(*read_file(path) == "secret");

  auto again = write_file_atomic(path, "other", 0600, Overwrite::no);
  REQUIRE_FALSE(again.ok());
  CHECK(again.error().message().find("already exists") != std::string::npos);
  CHECK(*read_file(path) == "secret");

  REQUIRE(write_file_atomic(path, "other", 0644, Overwrite::yes).ok());
  CHECK(*read_file(path) == "other");
  // No temporary files are left behind.
  CHECK(std::distance(fs::directory_iterator(dir), fs::directory_iterator()) == 1);
  fs::remove_all(dir);
}

TEST_CASE("read_file errors name the path", "[file]") {
  auto dir = temp_dir();
  auto missing = read_file((dir / "nope").string());
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().kind() == ErrorKind::io);
  CHECK(missing.error().message().find("nope") != std::string::npos);

  auto d = read_file(dir.string());
  REQUIRE_FALSE(d.ok());
  CHECK(d.error().message().find("directory") != std::string::npos);

  REQUIRE(
      write_file_atomic((dir / "big").string(), std::string(100, 'x'), 0644, Overwrite::no).ok());
  auto big = read_file((dir / "big").string(), 10);
  REQUIRE_FALSE(big.ok());
  CHECK(big.error().kind() == ErrorKind::limit);
  fs::remove_all(dir);
}

TEST_CASE("Error context is prepended outermost first", "[result]") {
  Result<int> r = make_error(ErrorKind::network, "connection refused");
  auto e = std::move(r).error().context("GET /v2/").context("resolving 'x'");
  CHECK(e.message() == "resolving 'x': GET /v2/: connection refused");
  CHECK(e.kind() == ErrorKind::network);
}

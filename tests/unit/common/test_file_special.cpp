// read_file and write_file_atomic on files that are not regular files: FIFOs, devices, symlinks
// to devices. None may block forever or replace a device node.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <string>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

#include "common/file.h"
#include "tests/support/fifo.h"

using isign::common::ErrorKind;
using isign::common::FifoWait;
using isign::common::Overwrite;
using isign::common::read_file;
using isign::common::write_file_atomic;
using isign::testing::open_fifo_writer_if_read;
using isign::testing::write_all_and_close;

namespace {

struct Dir {
  std::string path;
  Dir() {
    char tmpl[] = "/tmp/isign-file-special-XXXXXX";
    REQUIRE(::mkdtemp(tmpl) != nullptr);
    path = tmpl;
  }
  ~Dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string operator/(const std::string& name) const { return path + "/" + name; }
};

mode_t file_type(const std::string& path) {
  struct stat st {};
  REQUIRE(::lstat(path.c_str(), &st) == 0);
  return st.st_mode & S_IFMT;
}

} // namespace

TEST_CASE("read_file: a FIFO without a writer reads as empty instead of blocking", "[file]") {
  Dir dir;
  REQUIRE(::mkfifo((dir / "fifo").c_str(), 0600) == 0);
  auto r = read_file(dir / "fifo");
  REQUIRE(r);
  CHECK(r->empty());
}

TEST_CASE("read_file: a FIFO with a writer is read to its end", "[file]") {
  Dir dir;
  const std::string fifo = dir / "fifo";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  // The writer opens first (blocking until the reader comes), as a shell's <(...) does.
  std::thread writer([&] {
    int fd = ::open(fifo.c_str(), O_WRONLY);
    REQUIRE(fd >= 0);
    write_all_and_close(fd, std::string(100000, 'x'));
  });
  // Wait until the writer is blocked in open(): a reader that opens first sees no writer yet.
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  auto r = read_file(fifo);
  writer.join();
  REQUIRE(r);
  CHECK(r->size() == 100000);
}

TEST_CASE("read_file: a FIFO whose writer opens after the reader is read to its end", "[file]") {
  // `mkfifo p; isign sign-blob p & producer > p`: the reader opens first, and for a moment the
  // FIFO has no writer. That moment is not the end of the file: 200 ms (both waits) and 2.5 s
  // (past the bounded wait: data to sign is waited for as cat waits).
  auto [delay, wait] = GENERATE(table<int, FifoWait>(
      {{200, FifoWait::bounded}, {200, FifoWait::until_writer}, {2500, FifoWait::until_writer}}));
  CAPTURE(delay);
  Dir dir;
  const std::string fifo = dir / "fifo";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  const std::string data = "late writer\n" + std::string(70000, 'y') + "\nend\n";
  std::atomic<bool> reader_done{false};
  std::atomic<bool> wrote{false};
  std::thread writer([&, delay = delay] {
    std::this_thread::sleep_for(std::chrono::milliseconds(delay));
    // O_NONBLOCK: if the reader has already given up, the open fails (ENXIO) instead of
    // waiting forever for a reader that is gone.
    int fd = -1;
    while (fd < 0 && !reader_done)
      if ((fd = open_fifo_writer_if_read(fifo)) < 0)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    if (fd < 0)
      return;
    wrote = write_all_and_close(fd, data);
  });
  auto r = read_file(fifo, 16u << 20, wait);
  reader_done = true;
  writer.join();
  REQUIRE(r);
  CHECK(wrote);
  CHECK(r->size() == data.size());
  CHECK((*r == data)); // not decomposed: Catch would print all 70 KB
}

TEST_CASE("write_file_atomic: a symlink to a device is written through, never replaced", "[file]") {
  Dir dir;
  REQUIRE(::symlink("/dev/null", (dir / "null").c_str()) == 0);
  REQUIRE(write_file_atomic(dir / "null", "data", 0644, Overwrite::yes));
  CHECK(file_type(dir / "null") == S_IFLNK);
  CHECK(file_type("/dev/null") == S_IFCHR);

  // A full device: the error names the path and the cause; the device stays a device.
  REQUIRE(::symlink("/dev/full", (dir / "full").c_str()) == 0);
  auto full = write_file_atomic(dir / "full", "data", 0644, Overwrite::yes);
  REQUIRE_FALSE(full);
  CHECK(full.error().kind() == ErrorKind::io);
  CHECK(full.error().message() == "cannot write '" + (dir / "full") + "': No space left on device");
  CHECK(file_type(dir / "full") == S_IFLNK);
  CHECK(file_type("/dev/full") == S_IFCHR);
  // Overwrite::no still refuses an existing path.
  CHECK_FALSE(write_file_atomic(dir / "null", "data", 0644, Overwrite::no));
}

TEST_CASE("write_file_atomic: a FIFO without a reader is an error, not a hang", "[file]") {
  Dir dir;
  REQUIRE(::mkfifo((dir / "fifo").c_str(), 0600) == 0);
  auto w = write_file_atomic(dir / "fifo", "data", 0644, Overwrite::yes);
  REQUIRE_FALSE(w);
  CHECK(w.error().message() == "cannot open '" + (dir / "fifo") + "': No such device or address");
  CHECK(file_type(dir / "fifo") == S_IFIFO);
}

TEST_CASE("write_file_atomic: a directory is refused by name", "[file]") {
  Dir dir;
  auto w = write_file_atomic(dir.path, "data", 0644, Overwrite::yes);
  REQUIRE_FALSE(w);
  CHECK(w.error().message() == "cannot write '" + dir.path + "': it is a directory");
}

// sign-blob on files that are not regular files, through the built binary: a named pipe whose
// writer comes after isign opened it is signed in full, not as the empty file it looks like for a
// moment.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <fcntl.h>
#include <filesystem>
#include <string>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

#include "tests/e2e/sign_verify_support.h"
#include "tests/support/fifo.h"

using namespace isign::testing;
using namespace isign::testing::exit_codes;

namespace {

// Whether some process has path open (Linux: /proc/<pid>/fd links). Opening a FIFO for writing
// to find out would itself be the writer this test must hold back.
bool opened_by_any_process(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  for (fs::directory_iterator p("/proc", ec), end; !ec && p != end; p.increment(ec)) {
    const std::string pid = p->path().filename();
    if (pid.empty() || pid.find_first_not_of("0123456789") != std::string::npos)
      continue;
    std::error_code fd_ec;
    for (fs::directory_iterator f(p->path() / "fd", fd_ec), fend; !fd_ec && f != fend;
         f.increment(fd_ec)) {
      std::error_code link_ec;
      if (fs::read_symlink(f->path(), link_ec) == path)
        return true;
    }
  }
  return false;
}

} // namespace

TEST_CASE("sign-blob: a named pipe whose writer comes late is signed in full", "[e2e][cli][blob]") {
  TempDir dir;
  const std::string key = new_key_pair(dir, "k");
  const std::string fifo = std::filesystem::canonical(dir.path()).string() + "/blob.fifo";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  const std::string data = "signed through a pipe\n" + random_bytes(5000);

  // The writer waits until isign has the pipe open, then 200 ms more, and only then opens it:
  // until that moment the pipe has a reader and no writer.
  std::atomic<bool> isign_done{false};
  std::atomic<bool> wrote{false};
  std::thread writer([&] {
    while (!isign_done && !opened_by_any_process(fifo))
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    if (isign_done)
      return;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    // O_NONBLOCK: a reader that already left makes the open fail (ENXIO), never wait forever.
    int fd = open_fifo_writer_if_read(fifo);
    if (fd < 0)
      return;
    wrote = write_all_and_close(fd, data);
  });
  RunOptions pw;
  pw.env = {{"COSIGN_PASSWORD", kKeyPassword}};
  auto sign =
      isign_cmd("sign-blob", {"--key", key + ".key", "--bundle", dir / "b.json"}, {fifo}, pw);
  isign_done = true;
  writer.join();
  CHECK(wrote); // isign was still reading when the writer came
  REQUIRE(sign.exit_code == kOk);

  // The bundle signs the bytes the writer wrote, not an empty file.
  write_text(dir / "blob.bin", data);
  write_text(dir / "empty.bin", "");
  CHECK(isign_cmd("verify-blob", {"--key", key + ".pub", "--bundle", dir / "b.json"},
                  {dir / "blob.bin"})
            .exit_code == kOk);
  CHECK(isign_cmd("verify-blob", {"--key", key + ".pub", "--bundle", dir / "b.json"},
                  {dir / "empty.bin"})
            .exit_code == kInvalid);
}

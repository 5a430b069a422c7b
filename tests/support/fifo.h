// Writing into a named pipe from a test's writer thread (the producer side of `isign ... fifo`).
// Header-only: unit tests that do not link the test support library use it too.
#pragma once

#include <cstddef>
#include <fcntl.h>
#include <string>
#include <string_view>
#include <unistd.h>

namespace isign::testing {

// Opens fifo for writing only when a reader has it open now, and makes the descriptor blocking.
// O_NONBLOCK: with no reader (one that already gave up) the open fails (ENXIO) instead of waiting
// forever. -1 when it failed.
inline int open_fifo_writer_if_read(const std::string& fifo) {
  int fd = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK);
  if (fd >= 0)
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  return fd;
}

// Writes data to fd until all of it is written or a write fails, then closes fd. Whether all of
// data was written.
inline bool write_all_and_close(int fd, std::string_view data) {
  std::size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n <= 0)
      break;
    off += static_cast<std::size_t>(n);
  }
  ::close(fd);
  return off == data.size();
}

} // namespace isign::testing

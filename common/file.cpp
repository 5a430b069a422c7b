#include "common/file.h"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string_view>

namespace isign::common {
namespace {

// How long read_file gives a FIFO's writer to come (see wait_for_writer).
constexpr std::chrono::milliseconds kFifoWriterWait{2000};

Error io_error(const std::string& what, const std::string& path, int err) {
  return make_error(ErrorKind::io, what + " '" + path + "': " + std::strerror(err));
}

// Closes the descriptor on scope exit.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0)
      ::close(fd);
  }
};

// A FIFO opened O_NONBLOCK before its writer (`isign sign-blob p & producer > p`) has no writer
// for a moment, and a read then is an end of file that is not the end of the data. Waits until the
// first writer has written or come and gone (poll: POLLIN or POLLHUP; Linux reports no POLLHUP
// before a first writer): at most kFifoWriterWait (FifoWait::bounded), or for as long as it takes
// (FifoWait::until_writer, as `cat` waits). A writer that is there afterwards is then read to its
// end by the blocking read; a FIFO that no writer opened in the bounded wait reads as empty.
void wait_for_writer(int fd, FifoWait wait) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + kFifoWriterWait;
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (wait == FifoWait::bounded && left <= 0)
      return;
    pollfd p{};
    p.fd = fd;
    p.events = POLLIN;
    const int n = ::poll(&p, 1, wait == FifoWait::bounded ? static_cast<int>(left) : -1);
    if (n != 0 && !(n < 0 && errno == EINTR))
      return;
  }
}

// Writes all of data to fd, retrying short writes and EINTR. False with errno set on failure.
bool write_all(int fd, std::string_view data) {
  std::size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return false;
    }
    off += static_cast<std::size_t>(n);
  }
  return true;
}

// Makes fd block again after an O_NONBLOCK open. False with errno set on failure.
bool clear_nonblock(int fd) {
  int flags = ::fcntl(fd, F_GETFL);
  return flags >= 0 && ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) == 0;
}

std::string dir_of(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos)
    return ".";
  if (slash == 0)
    return "/";
  return path.substr(0, slash);
}

} // namespace

Result<std::string> read_file(const std::string& path, std::size_t max_size, FifoWait wait) {
  // O_NONBLOCK: opening a FIFO that has no writer would otherwise wait forever. A pipe with a
  // writer (--password-file <(...)) is then read normally, one whose writer comes a moment later
  // too (wait_for_writer); one that no writer opens reads as empty.
  Fd f{::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)};
  if (f.fd < 0)
    return io_error("cannot open", path, errno);
  struct stat st {};
  if (::fstat(f.fd, &st) != 0)
    return io_error("cannot stat", path, errno);
  if (S_ISDIR(st.st_mode))
    return make_error(ErrorKind::io, "cannot read '" + path + "': it is a directory, not a file");
  if (S_ISFIFO(st.st_mode))
    wait_for_writer(f.fd, wait);
  if (!S_ISREG(st.st_mode) && !clear_nonblock(f.fd))
    return io_error("cannot read", path, errno);
  if (S_ISREG(st.st_mode) && static_cast<std::size_t>(st.st_size) > max_size)
    return make_error(ErrorKind::limit,
                      "'" + path + "' is larger than " + std::to_string(max_size) + " bytes");
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(f.fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return io_error("cannot read", path, errno);
    }
    if (n == 0)
      break;
    out.append(buf, static_cast<std::size_t>(n));
    if (out.size() > max_size)
      return make_error(ErrorKind::limit,
                        "'" + path + "' is larger than " + std::to_string(max_size) + " bytes");
  }
  return out;
}

namespace {

// Writes data into an existing device, FIFO or socket (--outfile /dev/stdout): such a file cannot
// be replaced atomically, and renaming a temporary file over it would replace the device node
// itself (as root: /dev/null or /dev/stdout) with a regular file.
Result<void> write_special(const std::string& path, std::string_view data) {
  // O_NONBLOCK: a FIFO without a reader fails (ENXIO) instead of blocking the open forever.
  Fd f{::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)};
  if (f.fd < 0)
    return io_error("cannot open", path, errno);
  if (!clear_nonblock(f.fd) || !write_all(f.fd, data))
    return io_error("cannot write", path, errno);
  int fd = f.fd;
  f.fd = -1;
  if (::close(fd) != 0)
    return io_error("cannot write", path, errno);
  return {};
}

} // namespace

Result<void> write_file_atomic(const std::string& path, std::string_view data, mode_t mode,
                               Overwrite overwrite) {
  if (overwrite == Overwrite::no && path_exists(path))
    return make_error(ErrorKind::io, "'" + path + "' already exists");
  if (struct stat st{}; ::stat(path.c_str(), &st) == 0) {
    if (S_ISDIR(st.st_mode))
      return make_error(ErrorKind::io, "cannot write '" + path + "': it is a directory");
    if (!S_ISREG(st.st_mode))
      return write_special(path, data);
  }
  std::string tmpl = dir_of(path) + "/.isign-tmp-XXXXXX";
  int fd = ::mkstemp(tmpl.data());
  if (fd < 0)
    return io_error("cannot create a temporary file in", dir_of(path), errno);
  Fd f{fd};
  auto fail = [&](const char* what) {
    int err = errno;
    ::unlink(tmpl.c_str());
    return io_error(what, path, err);
  };
  // mkstemp creates 0600; set the final mode before any byte is written.
  if (::fchmod(f.fd, mode) != 0)
    return fail("cannot set the mode of");
  if (!write_all(f.fd, data))
    return fail("cannot write");
  if (::fsync(f.fd) != 0)
    return fail("cannot write");
  if (::close(f.fd) != 0) {
    f.fd = -1;
    return fail("cannot write");
  }
  f.fd = -1;
  if (overwrite == Overwrite::no) {
    // link() fails if path exists, so a file created meanwhile is never replaced.
    if (::link(tmpl.c_str(), path.c_str()) != 0) {
      int err = errno;
      ::unlink(tmpl.c_str());
      if (err == EEXIST)
        return make_error(ErrorKind::io, "'" + path + "' already exists");
      return io_error("cannot write", path, err);
    }
    ::unlink(tmpl.c_str());
  } else if (::rename(tmpl.c_str(), path.c_str()) != 0) {
    return fail("cannot write");
  }
  return {};
}

bool path_exists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

} // namespace isign::common

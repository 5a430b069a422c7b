#include "common/file.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string_view>

namespace isign::common {
namespace {

Error io_error(const std::string& what, const std::string& path, int err) {
  return make_error(ErrorKind::io, what + " '" + path + "': " + std::strerror(err));
}

// Closes the descriptor on scope exit.
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

std::string dir_of(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

} // namespace

Result<std::string> read_file(const std::string& path, std::size_t max_size) {
  Fd f{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (f.fd < 0) return io_error("cannot open", path, errno);
  struct stat st {};
  if (::fstat(f.fd, &st) != 0) return io_error("cannot stat", path, errno);
  if (S_ISDIR(st.st_mode))
    return make_error(ErrorKind::io, "cannot read '" + path + "': it is a directory, not a file");
  if (S_ISREG(st.st_mode) && static_cast<std::size_t>(st.st_size) > max_size)
    return make_error(ErrorKind::limit, "'" + path + "' is larger than " +
                                            std::to_string(max_size) + " bytes");
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(f.fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return io_error("cannot read", path, errno);
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
    if (out.size() > max_size)
      return make_error(ErrorKind::limit, "'" + path + "' is larger than " +
                                              std::to_string(max_size) + " bytes");
  }
  return out;
}

Result<void> write_file_atomic(const std::string& path, std::string_view data, mode_t mode,
                               Overwrite overwrite) {
  if (overwrite == Overwrite::no && path_exists(path))
    return make_error(ErrorKind::io, "'" + path + "' already exists");
  std::string tmpl = dir_of(path) + "/.isign-tmp-XXXXXX";
  int fd = ::mkstemp(tmpl.data());
  if (fd < 0) return io_error("cannot create a temporary file in", dir_of(path), errno);
  Fd f{fd};
  auto fail = [&](const char* what) {
    int err = errno;
    ::unlink(tmpl.c_str());
    return io_error(what, path, err);
  };
  // mkstemp creates 0600; set the final mode before any byte is written.
  if (::fchmod(f.fd, mode) != 0) return fail("cannot set the mode of");
  std::size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::write(f.fd, data.data() + off, data.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail("cannot write");
    }
    off += static_cast<std::size_t>(n);
  }
  if (::fsync(f.fd) != 0) return fail("cannot write");
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
      if (err == EEXIST) return make_error(ErrorKind::io, "'" + path + "' already exists");
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

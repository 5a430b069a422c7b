#include "common/subprocess.h"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/secret.h"

extern char** environ;

namespace isign::common {

namespace {

using Clock = std::chrono::steady_clock;

class Fd {
public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(o.release()) {}
  Fd& operator=(Fd&& o) noexcept {
    reset(o.release());
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }
  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset(int fd = -1) {
    if (fd_ >= 0)
      ::close(fd_);
    fd_ = fd;
  }

private:
  int fd_ = -1;
};

Error sys_error(const std::string& what, int err = errno) {
  return make_error(ErrorKind::io, what + ": " + std::strerror(err));
}

// Both ends of the child's stdin, stdout and stderr until it is started; ours only after.
struct Channels {
  Fd in, out, err;                   // ours: stdin's writing end, the output reading ends
  Fd child_in, child_out, child_err; // the child's
  void close_child_ends() {
    child_in.reset();
    child_out.reset();
    child_err.reset();
  }
};

Result<Channels> open_channels() {
  Channels c;
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0)
    return sys_error("pipe");
  c.out.reset(fds[0]);
  c.child_out.reset(fds[1]);
  if (::pipe2(fds, O_CLOEXEC) != 0)
    return sys_error("pipe");
  c.err.reset(fds[0]);
  c.child_err.reset(fds[1]);
  // A socket for stdin so that a child exiting without reading cannot kill us with SIGPIPE
  // (send() with MSG_NOSIGNAL), whatever this process does with SIGPIPE.
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
    return sys_error("socketpair");
  c.in.reset(fds[0]);
  c.child_in.reset(fds[1]);
  return c;
}

// posix_spawn's file actions and attributes, destroyed with the object.
class SpawnSetup {
public:
  SpawnSetup() {
    actions_ok_ = ::posix_spawn_file_actions_init(&actions_) == 0;
    attr_ok_ = ::posix_spawnattr_init(&attr_) == 0;
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
  ~SpawnSetup() {
    if (actions_ok_)
      ::posix_spawn_file_actions_destroy(&actions_);
    if (attr_ok_)
      ::posix_spawnattr_destroy(&attr_);
  }
  bool ok() const { return actions_ok_ && attr_ok_; }

  void standard_streams(const Channels& c, const std::string& cwd) {
    ::posix_spawn_file_actions_adddup2(&actions_, c.child_in.get(), 0);
    ::posix_spawn_file_actions_adddup2(&actions_, c.child_out.get(), 1);
    ::posix_spawn_file_actions_adddup2(&actions_, c.child_err.get(), 2);
#if defined(__GLIBC__) && __GLIBC_PREREQ(2, 34)
    // The child gets stdin/stdout/stderr only, never a descriptor some library left inheritable
    // (a registry connection, a key file).
    ::posix_spawn_file_actions_addclosefrom_np(&actions_, 3);
#endif
    if (!cwd.empty())
      ::posix_spawn_file_actions_addchdir_np(&actions_, cwd.c_str());
  }

  void default_signals() {
    sigset_t defaults, empty;
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    sigemptyset(&empty);
    ::posix_spawnattr_setsigdefault(&attr_, &defaults);
    ::posix_spawnattr_setsigmask(&attr_, &empty);
    ::posix_spawnattr_setflags(&attr_, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
  }

  const posix_spawn_file_actions_t* actions() const {
    return &actions_;
  }
  const posix_spawnattr_t* attr() const {
    return &attr_;
  }

private:
  posix_spawn_file_actions_t actions_{};
  posix_spawnattr_t attr_{};
  bool actions_ok_ = false;
  bool attr_ok_ = false;
};

// Pointers into strings for execve's argv and envp, null-terminated.
std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (auto& s : strings)
    out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

Result<pid_t> spawn(const std::vector<std::string>& argv, const SubprocessOptions& options,
                    const Channels& channels) {
  SpawnSetup setup;
  if (!setup.ok())
    return sys_error("posix_spawn");
  setup.standard_streams(channels, options.cwd);
  if (options.default_signals)
    setup.default_signals();
  std::vector<std::string> args = argv;
  std::vector<char*> c_args = c_strings(args);
  std::vector<std::string> env = options.environment.value_or(std::vector<std::string>());
  std::vector<char*> c_env = c_strings(env);
  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, args[0].c_str(), setup.actions(), setup.attr(), c_args.data(),
                         options.environment ? c_env.data() : environ);
  if (rc != 0)
    return sys_error("cannot start it", rc);
  return pid;
}

void kill_and_reap(pid_t pid) {
  ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
}

// Sends what the child's stdin takes now; closes it once everything is sent, or when the child
// closed its end (its exit status tells the rest).
void feed(Fd& in, std::string_view input, std::size_t& sent) {
  while (sent < input.size()) {
    ssize_t n =
        ::send(in.get(), input.data() + sent, input.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
      return;
    if (n < 0)
      break;
    sent += static_cast<std::size_t>(n);
  }
  in.reset();
}

enum class Stream { open, closed, overflow };

// Reads one chunk of fd into sink: past max, an overflow, or the excess dropped (drop_excess).
Stream read_chunk(Fd& fd, std::string& sink, std::size_t max, bool drop_excess) {
  char buf[16384];
  ssize_t n = ::read(fd.get(), buf, sizeof buf);
  if (n < 0 && errno == EINTR)
    return Stream::open;
  if (n <= 0) {
    fd.reset();
    return Stream::closed;
  }
  auto len = static_cast<std::size_t>(n);
  if (!drop_excess) {
    sink.append(buf, len);
    return sink.size() > max ? Stream::overflow : Stream::open;
  }
  if (sink.size() < max)
    sink.append(buf, std::min(len, max - sink.size()));
  return Stream::open;
}

int poll_ms(Clock::duration left) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(left).count();
  return static_cast<int>(std::clamp<long long>(ms, 0, INT_MAX));
}

enum class Outcome { finished, timed_out, overflow };

// Feeds stdin and drains stdout and stderr together, so that neither side waits on a full pipe,
// until the child has closed both outputs and taken all its input (or closed its stdin).
Result<Outcome> exchange(Channels& c, const SubprocessOptions& options, Clock::time_point deadline,
                         SubprocessResult& result) {
  std::size_t sent = 0;
  if (options.input.empty())
    c.in.reset();
  while (c.out || c.err || c.in) {
    auto left = deadline - Clock::now();
    if (left <= Clock::duration::zero())
      return Outcome::timed_out;
    pollfd fds[3] = {{c.out.get(), POLLIN, 0}, {c.err.get(), POLLIN, 0}, {c.in.get(), POLLOUT, 0}};
    if (::poll(fds, 3, poll_ms(left)) < 0) {
      if (errno == EINTR)
        continue;
      return sys_error("poll");
    }
    if (c.in && fds[2].revents != 0)
      feed(c.in, options.input, sent);
    if (c.out && fds[0].revents != 0 &&
        read_chunk(c.out, result.out, options.max_stdout, false) == Stream::overflow)
      return Outcome::overflow;
    if (c.err && fds[1].revents != 0)
      read_chunk(c.err, result.err, options.max_stderr, true);
  }
  return Outcome::finished;
}

// Waits for the child to exit until deadline: it may run on after closing its outputs. false
// when the deadline passed first.
Result<bool> reap(pid_t pid, Clock::time_point deadline, SubprocessResult& result) {
  for (;;) {
    int status = 0;
    pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) {
      result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      result.signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
      return true;
    }
    if (done < 0 && errno != EINTR)
      return sys_error("waitpid");
    if (Clock::now() >= deadline)
      return false;
    ::poll(nullptr, 0, 10);
  }
}

} // namespace

Result<SubprocessResult> run_subprocess(const std::vector<std::string>& argv,
                                        const SubprocessOptions& options) {
  if (argv.empty() || argv[0].empty())
    return make_error(ErrorKind::internal, "no program to run");
  auto channels = open_channels();
  ISIGN_TRY(channels);
  auto pid = spawn(argv, options, *channels);
  ISIGN_TRY(pid);
  channels->close_child_ends();

  const auto deadline = Clock::now() + options.timeout;
  SubprocessResult result;
  auto outcome = exchange(*channels, options, deadline, result);
  if (!outcome) {
    kill_and_reap(*pid);
    return std::move(outcome).error();
  }
  if (*outcome == Outcome::finished) {
    auto reaped = reap(*pid, deadline, result);
    ISIGN_TRY(reaped);
    if (*reaped)
      return result;
    outcome = Outcome::timed_out;
  }
  kill_and_reap(*pid);
  result.exit_code = -1;
  result.signal = SIGKILL;
  if (*outcome == Outcome::overflow) {
    secure_wipe(result.out.data(), result.out.size());
    result.out.clear();
    result.stdout_overflow = true;
  } else {
    result.timed_out = true;
  }
  return result;
}

std::optional<std::string> find_program(std::string_view program, std::string_view search_path) {
  std::size_t start = 0;
  for (;;) {
    auto colon = search_path.find(':', start);
    std::string dir(search_path.substr(
        start, colon == std::string_view::npos ? std::string_view::npos : colon - start));
    if (dir.empty())
      dir = ".";
    std::string candidate = dir + "/" + std::string(program);
    struct stat st {};
    if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        ::access(candidate.c_str(), X_OK) == 0)
      return candidate;
    if (colon == std::string_view::npos)
      return std::nullopt;
    start = colon + 1;
  }
}

} // namespace isign::common

#include "cli/password.h"

#include <array>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include "cli/key_source.h"
#include "common/file.h"

namespace isign::cli {

using common::ErrorKind;
using common::make_error;
using common::Result;
using common::SecretString;

namespace {

// Longer input is not a password someone typed; stop reading rather than grow without bound.
constexpr std::size_t kMaxPasswordSize = 64 * 1024;

// Reads one line (without its '\n') from fd into line, byte by byte so nothing after the line is
// consumed. False on a read error; an immediate EOF gives an empty line.
bool read_line(int fd, SecretString* line, bool* too_long) {
  *too_long = false;
  for (;;) {
    char c = 0;
    ssize_t n = ::read(fd, &c, 1);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return false;
    }
    if (n == 0 || c == '\n')
      return true;
    if (line->size() >= kMaxPasswordSize) {
      *too_long = true;
      return true;
    }
    line->mut() += c;
  }
}

// The controlling terminal, opened for prompts. Echo is restored even when a signal ends the
// process while echo is off (Ctrl-C at the prompt must not leave the shell without echo).
class Terminal {
public:
  static int fd_for_signal;
  static termios saved_for_signal;

  Terminal() : fd_(::open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)) {}
  ~Terminal() {
    echo_on();
    if (fd_ >= 0)
      ::close(fd_);
  }
  Terminal(const Terminal&) = delete;
  Terminal& operator=(const Terminal&) = delete;

  bool available() const { return fd_ >= 0; }

  void write(std::string_view text) const {
    while (!text.empty()) {
      ssize_t n = ::write(fd_, text.data(), text.size());
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return;
      text.remove_prefix(static_cast<std::size_t>(n));
    }
  }

  Result<SecretString> read_secret(std::string_view prompt) {
    write(prompt);
    echo_off();
    SecretString line;
    bool too_long = false;
    bool ok = read_line(fd_, &line, &too_long);
    int err = errno;
    echo_on();
    write("\n"); // the user's Enter was not echoed
    if (!ok)
      return make_error(ErrorKind::io, std::string("cannot read the password from the terminal: ") +
                                           std::strerror(err));
    if (too_long)
      return make_error(ErrorKind::usage, "the password is too long");
    return line;
  }

  Result<std::string> read_answer(std::string_view prompt) {
    write(prompt);
    SecretString line;
    bool too_long = false;
    if (!read_line(fd_, &line, &too_long))
      return make_error(ErrorKind::io, "cannot read the answer from the terminal");
    return line.str();
  }

private:
  static void restore_and_reraise(int sig) {
    // Only async-signal-safe calls here.
    ::tcsetattr(fd_for_signal, TCSANOW, &saved_for_signal);
    ::signal(sig, SIG_DFL);
    ::raise(sig);
  }

  void echo_off() {
    if (::tcgetattr(fd_, &saved_) != 0)
      return; // not a real terminal: nothing to hide
    fd_for_signal = fd_;
    saved_for_signal = saved_;
    struct sigaction sa {};
    sa.sa_handler = &Terminal::restore_and_reraise;
    ::sigemptyset(&sa.sa_mask);
    for (std::size_t i = 0; i < kSignals.size(); ++i)
      ::sigaction(kSignals[i], &sa, &old_[i]);
    termios quiet = saved_;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(fd_, TCSANOW, &quiet);
    echo_off_ = true;
  }

  void echo_on() {
    if (!echo_off_)
      return;
    ::tcsetattr(fd_, TCSANOW, &saved_);
    for (std::size_t i = 0; i < kSignals.size(); ++i)
      ::sigaction(kSignals[i], &old_[i], nullptr);
    echo_off_ = false;
  }

  static constexpr std::array<int, 4> kSignals = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
  int fd_;
  bool echo_off_ = false;
  termios saved_{};
  std::array<struct sigaction, 4> old_{};
};

int Terminal::fd_for_signal = -1;
termios Terminal::saved_for_signal{};

Result<SecretString> read_password_file(const std::string& path) {
  SecretString line;
  if (path == "-") {
    bool too_long = false;
    if (!read_line(STDIN_FILENO, &line, &too_long))
      return make_error(ErrorKind::io, std::string("cannot read the password from stdin: ") +
                                           std::strerror(errno));
    if (too_long)
      return make_error(ErrorKind::usage, "the password on stdin is too long");
    return line;
  }
  auto data = common::read_file(path, kMaxPasswordSize);
  if (!data)
    return std::move(data.error()).context("reading the password file");
  SecretString whole(std::move(*data));
  // containers/image keeps the first line and drops only its '\n'.
  auto nl = whole.str().find('\n');
  line.mut().assign(whole.str(), 0, nl == std::string::npos ? whole.size() : nl);
  return line;
}

} // namespace

Result<SecretString> read_password(PasswordPurpose purpose, const std::string& password_file) {
  if (!password_file.empty())
    return read_password_file(password_file);
  if (const char* env = std::getenv(kPasswordEnv))
    return SecretString(env);

  Terminal tty;
  if (!tty.available())
    return make_error(ErrorKind::usage,
                      std::string("no password given and no terminal to ask on: set ") +
                          kPasswordEnv + " or use --password-file FILE ('-' for stdin)");
  auto first = tty.read_secret("Enter password for private key: ");
  if (!first || purpose == PasswordPurpose::decrypt)
    return first;
  auto second = tty.read_secret("Enter password for private key again: ");
  if (!second)
    return second;
  if (first->str() != second->str())
    return make_error(ErrorKind::password, "the two passwords do not match");
  return first;
}

void add_password_file_option(cxxopts::Options& opts) {
  opts.add_options()("password-file",
                     "read the key's password from the first line of FILE ('-': stdin) "
                     "instead of COSIGN_PASSWORD or a prompt",
                     cxxopts::value<std::string>()->default_value(""), "FILE");
}

Result<bool> confirm_on_terminal(const std::string& question) {
  Terminal tty;
  if (!tty.available())
    return make_error(ErrorKind::usage, "no terminal to ask: " + question);
  auto answer = tty.read_answer(question + " (y/n)? ");
  if (!answer)
    return std::move(answer.error());
  return *answer == "y" || *answer == "Y" || *answer == "yes" || *answer == "Yes" ||
         *answer == "YES";
}

Result<keys::PrivateKey> load_private_key(const std::string& path,
                                          const std::string& password_file) {
  std::string context = "loading private key '" + path + "'";
  auto contents = read_key_source(path);
  ISIGN_TRY_CONTEXT(contents, context);
  // A file that cannot be a key is reported before anyone is asked for a password.
  ISIGN_TRY_CONTEXT(keys::check_encrypted_key_file(*contents), context);
  auto password = read_password(PasswordPurpose::decrypt, password_file);
  ISIGN_TRY(password);
  auto key = keys::decrypt_private_key(*contents, *password);
  common::secure_wipe(contents->data(), contents->size());
  ISIGN_TRY_CONTEXT(key, context);
  return key;
}

} // namespace isign::cli

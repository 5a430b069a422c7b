// Running a program without a shell: its stdin fed, its stdout and stderr collected with bounds,
// and killed when it runs too long.
#pragma once

#include <chrono>
#include <cstddef>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace isign::common {

struct SubprocessOptions {
  std::string_view input; // written to the child's stdin, which is then closed (EOF)
  // After this the child is killed (SIGKILL) and reaped; the result says timed_out.
  std::chrono::milliseconds timeout{30000};
  // More stdout than this and the child is killed; the result says stdout_overflow and holds no
  // stdout (what was read is wiped: it may be a secret).
  std::size_t max_stdout = std::numeric_limits<std::size_t>::max();
  // Only the first max_stderr bytes of stderr are kept; the rest is read and dropped.
  std::size_t max_stderr = std::numeric_limits<std::size_t>::max();
  // The child's whole environment as "NAME=value" entries; nullopt: this process's environment.
  std::optional<std::vector<std::string>> environment;
  std::string cwd; // the child's working directory; empty: this process's
  // When true, the child starts with SIGPIPE's default action and no signal blocked, whatever
  // this process ignores or blocks; when false it inherits both, as posix_spawn does by default.
  bool default_signals = true;
};

struct SubprocessResult {
  int exit_code = -1; // the status it exited with; -1 when a signal ended it
  int signal = 0;     // the signal that ended it; 0 when it exited
  bool timed_out = false;
  bool stdout_overflow = false;
  std::string out; // may hold a secret (a credential helper's answer): callers wipe it
  std::string err;

  // The exit status as a shell reports it: exit_code, or 128 + signal.
  int status() const { return exit_code >= 0 ? exit_code : 128 + signal; }
};

// Runs argv[0] (a path: see find_program; never a shell) with argv, feeding input and reading
// stdout and stderr together so that no pipe fills up. The child gets stdin, stdout and stderr
// only: every other descriptor of this process is closed in it. A timeout or too much output is
// reported in the result, not as an error. Errors (io) are the system calls that failed, named
// without the program ("pipe: ...", "cannot start it: ...", "poll: ..."): callers add which
// program they ran as context.
Result<SubprocessResult> run_subprocess(const std::vector<std::string>& argv,
                                        const SubprocessOptions& options);

// The first regular, executable file named program in the directories of search_path (a PATH
// value; an empty entry is the current directory), as its path; nullopt when there is none.
std::optional<std::string> find_program(std::string_view program, std::string_view search_path);

} // namespace isign::common

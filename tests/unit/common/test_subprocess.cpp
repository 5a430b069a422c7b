// run_subprocess and find_program against /bin/sh: stdin, bounded outputs, exit statuses, the
// timeout and the environment.
#include <catch2/catch.hpp>

#include <chrono>
#include <csignal>
#include <string>
#include <vector>

#include "common/subprocess.h"

using isign::common::find_program;
using isign::common::run_subprocess;
using isign::common::SubprocessOptions;

namespace {

std::vector<std::string> sh(const std::string& script) {
  return {"/bin/sh", "-c", script};
}

} // namespace

TEST_CASE("subprocess: stdin in, stdout and stderr out, exit status", "[subprocess]") {
  SubprocessOptions o;
  o.input = "hello";
  auto r = run_subprocess(sh("cat; echo oops >&2; exit 3"), o);
  REQUIRE(r);
  CHECK(r->out == "hello");
  CHECK(r->err == "oops\n");
  CHECK(r->exit_code == 3);
  CHECK(r->signal == 0);
  CHECK(r->status() == 3);
  CHECK_FALSE(r->timed_out);
}

TEST_CASE("subprocess: input larger than a socket buffer while the child writes back",
          "[subprocess]") {
  SubprocessOptions o;
  std::string input(4u << 20, 'x');
  o.input = input;
  auto r = run_subprocess(sh("cat"), o);
  REQUIRE(r);
  CHECK(r->out.size() == input.size());
  CHECK(r->exit_code == 0);
}

TEST_CASE("subprocess: a child that never reads its stdin", "[subprocess]") {
  SubprocessOptions o;
  std::string input(4u << 20, 'x');
  o.input = input;
  auto r = run_subprocess(sh("exec 0<&-; echo done"), o);
  REQUIRE(r);
  CHECK(r->out == "done\n");
  CHECK(r->exit_code == 0);
}

TEST_CASE("subprocess: output bounds", "[subprocess]") {
  SubprocessOptions o;
  o.max_stdout = 10;
  auto over = run_subprocess(sh("printf 'secret-secret-secret'"), o);
  REQUIRE(over);
  CHECK(over->stdout_overflow);
  CHECK(over->out.empty());
  CHECK(over->exit_code == -1);

  SubprocessOptions e;
  e.max_stderr = 4;
  auto cut = run_subprocess(sh("printf 'abcdefgh' >&2; printf out"), e);
  REQUIRE(cut);
  CHECK(cut->err == "abcd");
  CHECK(cut->out == "out");
  CHECK(cut->exit_code == 0);
}

TEST_CASE("subprocess: timeout, also after the child closed its outputs", "[subprocess]") {
  SubprocessOptions o;
  o.timeout = std::chrono::milliseconds(300);
  auto start = std::chrono::steady_clock::now();
  auto r = run_subprocess(sh("exec >&- 2>&-; sleep 10"), o);
  REQUIRE(r);
  CHECK(r->timed_out);
  CHECK(r->exit_code == -1);
  CHECK(r->signal == SIGKILL);
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
}

TEST_CASE("subprocess: a signal is reported as a shell does", "[subprocess]") {
  auto r = run_subprocess(sh("kill -TERM $$"), {});
  REQUIRE(r);
  CHECK(r->exit_code == -1);
  CHECK(r->signal == SIGTERM);
  CHECK(r->status() == 128 + SIGTERM);
}

TEST_CASE("subprocess: environment and working directory", "[subprocess]") {
  SubprocessOptions o;
  o.environment = std::vector<std::string>{"ONLY=this"};
  o.cwd = "/usr";
  auto r = run_subprocess({"/usr/bin/env"}, o);
  REQUIRE(r);
  CHECK(r->out == "ONLY=this\n");
  auto pwd = run_subprocess(sh("pwd"), o);
  REQUIRE(pwd);
  CHECK(pwd->out == "/usr\n");
}

TEST_CASE("subprocess: a program that cannot start is an io error", "[subprocess]") {
  auto r = run_subprocess({"/nonexistent/program"}, {});
  REQUIRE_FALSE(r);
  CHECK(r.error().kind() == isign::common::ErrorKind::io);
  CHECK(r.error().message().rfind("cannot start it: ", 0) == 0);
}

TEST_CASE("subprocess: find_program searches a PATH value", "[subprocess]") {
  CHECK(find_program("sh", "/nonexistent:/bin") == std::optional<std::string>("/bin/sh"));
  CHECK_FALSE(find_program("sh", "/nonexistent"));
  CHECK_FALSE(find_program("no-such-program-isign", "/bin:/usr/bin"));
}

// The reliability table (issue 6, README "Reliability"): `isign verify` and `isign sign` through
// the fault proxy in front of a real registry, one row per fault. Each row says what the run must
// end with; every run must also end in bounded time, never crash, and print at most one error line.
// A sign that fails must leave the .sig artifact exactly as it was (blobs first, manifest last).
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/cli.h"
#include "tests/e2e/registry_cli.h"
#include "tests/support/fault_proxy.h"
#include "tests/support/images.h"

using namespace isign::testing;
namespace cli = isign::cli;

namespace {

constexpr const char* kKeyPassword = "fault-table-key-password";
constexpr const char* kRepo = "app";

// One key pair for the whole process (legacy N keeps it fast).
const std::string& key_prefix() {
  static TempDir dir;
  static const std::string prefix = generate_key_pair(dir, "k", kKeyPassword);
  return prefix;
}

// What a row's faults may refer to, known once the registry runs and the image is signed once.
struct Scene {
  std::string registry_origin; // "http://127.0.0.1:PORT" of the registry itself
  std::string second_proxy;    // "http://127.0.0.1:PORT" of another (fault-free) proxy
  std::string sig_path;        // "/manifests/sha256-<hex>.sig"
  std::string sig_manifest;    // its bytes before the run
  std::string payload_digest;  // the first signature's payload blob
};

enum class Cmd { verify, sign };

struct Row {
  const char* fault; // what the proxy does (the README table's first column)
  Cmd command;
  std::function<std::vector<FaultRule>(const Scene&)> rules;
  int exit_code;       // expected
  const char* message; // expected in the error line ("" when the run succeeds)
  double max_seconds;  // the run must end within this
  std::vector<std::string> flags{};
};

std::vector<FaultRule> on(const std::string& method, const std::string& path, Fault f, int times) {
  return {{method, path, std::move(f), times}};
}

std::string big_body() {
  return std::string(5u << 20, ' ') + "{}";
}

// The rows. Paths: "/manifests/" matches the image HEAD and the .sig GET (and PUT); a Scene's
// sig_path only the .sig; "/blobs/sha256:" GETs are the payload (verify) or the .sig config
// (sign reads it to extend the artifact).
std::vector<Row> rows() {
  using S = const Scene&;
  std::vector<Row> out;
  for (Cmd c : {Cmd::verify, Cmd::sign}) {
    for (int status : {500, 502, 503}) {
      out.push_back({status == 500   ? "500 once"
                     : status == 502 ? "502 once"
                                     : "503 once",
                     c,
                     [status](S) { return on("", "/manifests/", Fault::http_status(status), 1); },
                     cli::kOk, "", 20});
      out.push_back({status == 500   ? "500 always"
                     : status == 502 ? "502 always"
                                     : "503 always",
                     c,
                     [status](S) { return on("", "/manifests/", Fault::http_status(status), -1); },
                     cli::kRegistry, "", 20});
    }
    out.push_back({"429 + Retry-After: 1, once", c,
                   [](S) { return on("", "/manifests/", Fault::throttle(1), 1); }, cli::kOk, "",
                   20});
    out.push_back({"429 + Retry-After: 0, always", c,
                   [](S) { return on("", "/manifests/", Fault::throttle(0), -1); }, cli::kThrottled,
                   "throttl", 20});
    out.push_back({"connection closed mid-body (.sig manifest), once", c,
                   [](S s) { return on("GET", s.sig_path, Fault::close_mid_body(), 1); }, cli::kOk,
                   "", 20});
    out.push_back({"connection closed mid-body (blob), once", c,
                   [](S) { return on("GET", "/blobs/sha256:", Fault::close_mid_body(), 1); },
                   cli::kOk, "", 20});
    out.push_back({"truncated blob", c,
                   [](S) { return on("GET", "/blobs/sha256:", Fault::truncate_body(), -1); },
                   cli::kRegistry, "truncated or corrupted", 20});
    out.push_back({"corrupted blob (one bit flipped)", c,
                   [](S) { return on("GET", "/blobs/sha256:", Fault::corrupt_body(), -1); },
                   cli::kRegistry, "truncated or corrupted", 20});
    out.push_back(
        {".sig manifest bytes differ from Docker-Content-Digest", c,
         [](S s) { return on("GET", s.sig_path, Fault::replace_body(s.sig_manifest + "\n"), -1); },
         cli::kRegistry, "does not match the bytes received", 20});
    out.push_back(
        {"stall past --timeout 2",
         c,
         [](S) { return on("", "/manifests/", Fault::stall(std::chrono::seconds(30)), -1); },
         cli::kNetwork,
         "timed out",
         15,
         {"--timeout", "2"}});
    out.push_back(
        {"307 redirect of blob GETs to the registry", c,
         [](S s) { return on("GET", "/blobs/sha256:", Fault::redirect(s.registry_origin), -1); },
         cli::kOk, "", 20});
    out.push_back(
        {"307 redirect of blob GETs to a second proxy", c,
         [](S s) { return on("GET", "/blobs/sha256:", Fault::redirect(s.second_proxy), -1); },
         cli::kOk, "", 20});
    out.push_back({"oversized .sig manifest (5 MiB)", c,
                   [](S s) { return on("GET", s.sig_path, Fault::replace_body(big_body()), -1); },
                   cli::kLimit, "larger than the limit of 4194304 bytes", 20});
  }
  // Writes only sign does.
  out.push_back({"500 always on blob upload (POST)", Cmd::sign,
                 [](S) { return on("POST", "/blobs/uploads/", Fault::http_status(500), -1); },
                 cli::kRegistry, "500", 20});
  out.push_back({"500 once on the .sig manifest PUT", Cmd::sign,
                 [](S s) { return on("PUT", s.sig_path, Fault::http_status(500), 1); }, cli::kOk,
                 "", 20});
  out.push_back({"500 always on the .sig manifest PUT", Cmd::sign,
                 [](S s) { return on("PUT", s.sig_path, Fault::http_status(500), -1); },
                 cli::kRegistry, "500", 30});
  // What a registry that honours If-Match answers when another signer changed the tag.
  out.push_back({"412 Precondition Failed once on the .sig manifest PUT", Cmd::sign,
                 [](S s) { return on("PUT", s.sig_path, Fault::http_status(412), 1); }, cli::kOk,
                 "", 20});
  out.push_back({"412 Precondition Failed always on the .sig manifest PUT", Cmd::sign,
                 [](S s) { return on("PUT", s.sig_path, Fault::http_status(412), -1); },
                 cli::kRegistry, "412", 30});
  out.push_back({"connection dropped on the .sig manifest PUT", Cmd::sign,
                 [](S s) { return on("PUT", s.sig_path, Fault::drop(), -1); }, cli::kNetwork, "",
                 30});
  out.push_back({"oversized payload blob (larger than its descriptor)", Cmd::verify,
                 [](S s) {
                   return on("GET", "/blobs/" + s.payload_digest,
                             Fault::replace_body(std::string(4096, 'x')), -1);
                 },
                 cli::kVerificationFailed, "fetch-failed: fetching the payload", 20});
  return out;
}

std::size_t error_lines(const std::string& err) {
  std::size_t n = 0;
  for (std::size_t pos = 0; pos < err.size();) {
    auto nl = err.find('\n', pos);
    if (err.compare(pos, 13, "isign: error:") == 0)
      ++n;
    if (nl == std::string::npos)
      break;
    pos = nl + 1;
  }
  return n;
}

std::string last_line(const std::string& s) {
  std::string t = s;
  while (!t.empty() && t.back() == '\n')
    t.pop_back();
  auto nl = t.rfind('\n');
  return nl == std::string::npos ? t : t.substr(nl + 1);
}

RunResult sign_ref(const std::string& ref, const std::string& round,
                   std::vector<std::string> flags = {}) {
  RunOptions o;
  o.env = {{"COSIGN_PASSWORD", kKeyPassword}};
  o.timeout_seconds = 60; // a hang fails the row instead of the whole suite
  // The table is the .sig's: both commands are pinned to the legacy format (test_formats.cpp
  // covers the bundle referrers' failure paths).
  return isign_cmd("sign",
                   with(with({"--allow-http-registry", "--format", "legacy"}, flags),
                        {"--key", key_prefix() + ".key", "-a", "round=" + round}),
                   {ref}, o);
}

RunResult verify_ref(const std::string& ref, std::vector<std::string> flags = {}) {
  RunOptions o;
  o.timeout_seconds = 60;
  return isign_cmd("verify",
                   with(with({"--allow-http-registry", "--format", "legacy"}, flags),
                        {"--key", key_prefix() + ".pub"}),
                   {ref}, o);
}

// One registry and one proxy for a group of rows (the proxy's address is the registry name the
// signatures carry), each row with its own image, all signed once before any fault: verify has
// something to check, and a sign that fails must leave that artifact untouched.
struct Bench {
  RegistryFixture reg;
  FaultProxy second{reg}; // a redirect target on another origin
  FaultProxy proxy{reg};
  std::vector<std::string> refs; // per row: PROXY/rowN@sha256:...

  explicit Bench(std::size_t rows) {
    for (std::size_t i = 0; i < rows; ++i) {
      std::string repo = "row" + std::to_string(i);
      refs.push_back(proxy.ref(repo + "@" + push_random_image(reg, repo, "v1")));
    }
    RunOptions o;
    o.env = {{"COSIGN_PASSWORD", kKeyPassword}};
    o.timeout_seconds = 60;
    auto r = run_isign(with({"sign", "--allow-http-registry", "--format", "legacy", "--key",
                             key_prefix() + ".key", "-a", "round=1"},
                            refs),
                       o);
    INFO(r.err);
    REQUIRE(r.exit_code == cli::kOk);
  }
};

void run_row(Bench& bench, std::size_t index, const Row& row) {
  INFO("fault: " << row.fault << " (" << (row.command == Cmd::sign ? "sign" : "verify") << ")");
  const std::string& ref = bench.refs[index];
  const std::string repo = "row" + std::to_string(index);
  const std::string digest = ref.substr(ref.find('@') + 1);
  const std::string sig_tag = "sha256-" + digest.substr(7) + ".sig";
  FaultProxy& proxy = bench.proxy;
  proxy.clear_faults();
  HttpResult before = get_manifest(bench.reg, repo, sig_tag);
  REQUIRE(before.status == 200);
  auto doc = nlohmann::json::parse(before.body);
  Scene scene{"http://" + bench.reg.url(), "http://" + bench.second.url(), "/manifests/" + sig_tag,
              before.body, doc["layers"][0]["digest"].get<std::string>()};
  const std::size_t first_request = proxy.request_count();
  for (auto& rule : row.rules(scene))
    proxy.inject(rule);

  Timer timer;
  RunResult r =
      row.command == Cmd::verify ? verify_ref(ref, row.flags) : sign_ref(ref, "2", row.flags);
  double seconds = timer.seconds();
  proxy.clear_faults();
  auto all = proxy.requests();
  std::vector<ProxiedRequest> seen(all.begin() + static_cast<long>(first_request), all.end());
  std::string trace;
  for (const auto& q : seen)
    trace += "  " + q.method + " " + q.target + " -> " + std::to_string(q.status) + " [" + q.fault +
             "]\n";
  INFO("proxy saw:\n" << trace);
  INFO("took " << seconds << " s");

  // ISIGN_PRINT_FAULT_TABLE=1 prints the row as measured (the README table is made from it).
  if (std::getenv("ISIGN_PRINT_FAULT_TABLE"))
    std::cout << "| " << row.fault << " | " << (row.command == Cmd::sign ? "sign" : "verify")
              << " | " << r.exit_code << " | " << seconds << " s | "
              << last_line(r.err).substr(0, 300) << " |" << std::endl;

  // Bounded, no crash, no sanitizer report.
  CHECK(r.exit_code >= 0);
  CHECK(seconds < row.max_seconds);
  CHECK_FALSE(contains(r.err, "Sanitizer"));
  CHECK_FALSE(contains(r.err, "Aborted"));
  CHECK_FALSE(contains(r.err, "terminate called"));
  // The fault was actually applied.
  CHECK(std::any_of(seen.begin(), seen.end(), [](const auto& q) { return q.fault != "pass"; }));

  CHECK(r.exit_code == row.exit_code);
  HttpResult after = get_manifest(bench.reg, repo, sig_tag);
  if (row.exit_code == cli::kOk) {
    CHECK(error_lines(r.err) == 0);
    if (row.command == Cmd::verify) {
      CHECK(contains(r.err, "isign: verified"));
      CHECK(contains(r.out, "\"round\":\"1\""));
    } else {
      // The new signature is there, next to the first one.
      REQUIRE(after.status == 200);
      CHECK(nlohmann::json::parse(after.body)["layers"].size() == 2);
      CHECK(verify_ref(ref, {"-a", "round=2"}).exit_code == cli::kOk);
    }
  } else {
    CHECK(error_lines(r.err) == 1);
    CHECK(contains(r.err, row.message));
    CHECK_FALSE(contains(r.err, "isign: verified"));
    CHECK(r.out.empty());
    if (std::string(row.fault).find("blob upload") != std::string::npos) {
      // Blobs first: without them no manifest PUT is even tried.
      CHECK(std::none_of(seen.begin(), seen.end(), [](const auto& q) {
        return q.method == "PUT" && contains(q.target, "/manifests/");
      }));
    }
    if (row.command == Cmd::sign) {
      // No half-written signature: the artifact is byte for byte what it was.
      CHECK(after.status == 200);
      CHECK(after.body == before.body);
    }
  }
}

void run_rows(const std::vector<Row>& rows) {
  Bench bench(rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i)
    run_row(bench, i, rows[i]);
}

std::vector<Row> rows_for(Cmd c, bool slow) {
  std::vector<Row> out;
  for (auto& row : rows())
    if (row.command == c && (std::string(row.fault).find("stall") != std::string::npos) == slow)
      out.push_back(row);
  return out;
}

} // namespace

// Four ctest tests, so that `ctest -j` runs them side by side.
TEST_CASE("fault table: verify through the fault proxy", "[e2e][faults][table]") {
  run_rows(rows_for(Cmd::verify, false));
}

TEST_CASE("fault table: sign through the fault proxy (reads)", "[e2e][faults][table]") {
  auto rows = rows_for(Cmd::sign, false);
  rows.resize(rows.size() / 2);
  run_rows(rows);
}

TEST_CASE("fault table: sign through the fault proxy (writes)", "[e2e][faults][table]") {
  auto rows = rows_for(Cmd::sign, false);
  rows.erase(rows.begin(), rows.begin() + static_cast<long>(rows.size() / 2));
  run_rows(rows);
}

TEST_CASE("fault table: a stalled registry times out (verify and sign)", "[e2e][faults][table]") {
  auto rows = rows_for(Cmd::verify, true);
  auto sign = rows_for(Cmd::sign, true);
  rows.insert(rows.end(), sign.begin(), sign.end());
  run_rows(rows);
}

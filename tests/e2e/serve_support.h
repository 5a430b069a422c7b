// Helpers of the admission webhook's end-to-end tests (test_serve*.cpp): a serving certificate
// made with openssl, `isign serve` run as a process on a free port, HTTPS requests to it with
// libcurl, and the AdmissionReview documents of testdata/admission with their placeholders filled.
#pragma once

#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <curl/curl.h>
#include <fcntl.h>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include "tests/support/process.h"
#include "tests/support/registry_fixture.h"

namespace isign::testing {

// A CA and a serving certificate for 127.0.0.1 (EC P-256), written to dir/<prefix>ca.crt,
// <prefix>tls.crt, <prefix>tls.key.
inline void make_serving_certificate(const TempDir& dir, const std::string& prefix = "") {
  const std::string ca_key = dir / (prefix + "ca.key"), ca = dir / (prefix + "ca.crt"),
                    key = dir / (prefix + "tls.key"), csr = dir / (prefix + "tls.csr"),
                    crt = dir / (prefix + "tls.crt"), ext = dir / (prefix + "san.ext");
  auto ok = [](const RunResult& r) {
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
  };
  ok(run({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
          "-nodes", "-keyout", ca_key, "-out", ca, "-days", "2", "-subj", "/CN=isign test CA"}));
  ok(run({"openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
          "-keyout", key, "-out", csr, "-subj", "/CN=isign-webhook"}));
  write_text(ext, "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  ok(run({"openssl", "x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key, "-CAcreateserial",
          "-out", crt, "-days", "2", "-extfile", ext}));
}

struct HttpsResult {
  long status = 0; // 0: no answer (connection refused, cut, timed out)
  std::string body;
  std::string error;
};

inline HttpsResult https_request(const std::string& url, const std::string& ca,
                                 const std::string* body = nullptr,
                                 const std::string& content_type = "application/json",
                                 long timeout_ms = 20000) {
  HttpsResult r;
  CURL* c = curl_easy_init();
  char err[CURL_ERROR_SIZE] = {0};
  curl_slist* headers = curl_slist_append(nullptr, ("Content-Type: " + content_type).c_str());
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_CAINFO, ca.c_str());
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, err);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  if (body) {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body->data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body->size()));
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  }
  curl_easy_setopt(
      c, CURLOPT_WRITEFUNCTION, +[](char* p, size_t s, size_t n, void* out) {
        static_cast<std::string*>(out)->append(p, s * n);
        return s * n;
      });
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &r.body);
  if (curl_easy_perform(c) == CURLE_OK)
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
  else
    r.error = err;
  curl_slist_free_all(headers);
  curl_easy_cleanup(c);
  return r;
}

// `isign serve` on a free loopback port with dir's certificate (make_serving_certificate), the
// policy and extra flags; its stdout (the JSON log) in dir/serve.log. Stopped with SIGTERM when
// the object goes away; the log is printed when the test failed.
class Webhook {
public:
  Webhook(const TempDir& dir, const std::string& policy, std::vector<std::string> flags)
      : dir_(dir), port_(free_loopback_port()) {
    log_ = dir / "serve.log";
    std::vector<std::string> args = {ISIGN_BINARY, "serve",
                                     "--policy",   policy,
                                     "--tls-cert", dir / "tls.crt",
                                     "--tls-key",  dir / "tls.key",
                                     "--listen",   "127.0.0.1:" + std::to_string(port_)};
    args.insert(args.end(), flags.begin(), flags.end());
    std::vector<char*> argv;
    for (auto& a : args)
      argv.push_back(a.data());
    argv.push_back(nullptr);
    const int out = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    const int err = ::open((log_ + ".err").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    pid_ = ::fork();
    if (pid_ == 0) {
      ::dup2(out, 1);
      ::dup2(err, 2);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    ::close(out);
    ::close(err);
    for (int i = 0; i < 200; ++i) {
      if (get("/healthz").status == 200)
        return;
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        FAIL("isign serve exited: " << read_text(log_ + ".err"));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
    FAIL("isign serve did not answer /healthz: " << read_text(log_ + ".err"));
  }
  ~Webhook() {
    stop();
    if (current_test_failed())
      std::fprintf(stderr, "--- isign serve log:\n%s\n--- stderr:\n%s\n", log().c_str(),
                   read_text(log_ + ".err").c_str());
  }
  Webhook(const Webhook&) = delete;
  Webhook& operator=(const Webhook&) = delete;

  std::string url(const std::string& path) const {
    return "https://127.0.0.1:" + std::to_string(port_) + path;
  }
  std::uint16_t port() const { return port_; }
  HttpsResult post(const std::string& path, const std::string& body,
                   const std::string& content_type = "application/json") const {
    return https_request(url(path), dir_ / "ca.crt", &body, content_type);
  }
  HttpsResult get(const std::string& path) const {
    return https_request(url(path), dir_ / "ca.crt", nullptr, "", 2000);
  }
  std::string log() const { return read_text(log_); }
  std::string errors() const { return read_text(log_ + ".err"); }
  void signal(int sig) const { ::kill(pid_, sig); }
  // SIGTERM, then the exit code (-1: killed after 30 s, or by a signal).
  int stop() {
    if (pid_ <= 0)
      return exit_code_;
    ::kill(pid_, SIGTERM);
    int status = 0;
    for (int i = 0; i < 600 && ::waitpid(pid_, &status, WNOHANG) == 0; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (::waitpid(pid_, &status, WNOHANG) == 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
    }
    pid_ = -1;
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return exit_code_;
  }

private:
  const TempDir& dir_;
  std::uint16_t port_;
  std::string log_;
  pid_t pid_ = -1;
  int exit_code_ = -1;
};

// testdata/admission/NAME with REGISTRY and sha256:DIGEST replaced.
inline std::string admission_review(const std::string& name, const std::string& registry,
                                    const std::string& digest) {
  std::string s = read_text(testdata("admission/" + name));
  REQUIRE_FALSE(s.empty());
  for (auto [from, to] :
       {std::pair<std::string, std::string>{"REGISTRY", registry}, {"sha256:DIGEST", digest}})
    for (auto pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size()))
      s.replace(pos, from.size(), to);
  return s;
}

} // namespace isign::testing

// The listener below needs Catch's reporter interfaces, which catch.hpp only declares on request.
#define CATCH_CONFIG_EXTERNAL_INTERFACES
#include <catch2/catch.hpp>

#include "tests/support/registry_fixture.h"

#include <arpa/inet.h>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <curl/curl.h>
#include <exception>
#include <fcntl.h>
#include <filesystem>
#include <iostream>
#include <netinet/in.h>
#include <openssl/rand.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "common/encoding.h"

extern char** environ;

namespace isign::testing {

namespace {

std::atomic<bool> g_test_failed{false};

// Tracks whether the running test case has failed, so fixtures print their logs only then.
// A REQUIRE failure is recorded here before Catch throws, so destructors run during unwinding
// already see it.
class FailureListener : public Catch::TestEventListenerBase {
public:
  using TestEventListenerBase::TestEventListenerBase;
  void testCaseStarting(const Catch::TestCaseInfo& info) override {
    g_test_failed = false;
    TestEventListenerBase::testCaseStarting(info);
  }
  bool assertionEnded(const Catch::AssertionStats& stats) override {
    if (!stats.assertionResult.succeeded())
      g_test_failed = true;
    return true;
  }
};

std::string random_hex(std::size_t bytes) {
  std::string raw(bytes, '\0');
  RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(raw.size()));
  return common::hex_encode(raw);
}

std::string tail_lines(const std::string& text, std::size_t max_lines) {
  std::size_t pos = text.size();
  std::size_t lines = 0;
  while (pos > 0) {
    auto nl = text.rfind('\n', pos - 1);
    if (nl == std::string::npos)
      return text;
    if (++lines > max_lines)
      return "[...]\n" + text.substr(nl + 1);
    pos = nl;
  }
  return text;
}

void run_or_fail(const std::vector<std::string>& argv, const std::string& what) {
  auto r = run(argv, RunOptions{{}, {}, {}, {}, 30});
  if (r.exit_code != 0)
    FAIL("registry fixture: " << what << " failed: " << r.err);
}

// Any HTTP answer to GET /v2/ (200, or 401 with auth on) means the registry is serving.
bool answers(const RegistryEndpoint& ep) {
  std::unique_ptr<CURL, void (*)(CURL*)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl)
    return false;
  std::string url = ep.base_url() + "/v2/";
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_NOBODY, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS, 1000L);
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_NOPROXY, "*");
  if (!ep.ca_file.empty())
    curl_easy_setopt(curl.get(), CURLOPT_CAINFO, ep.ca_file.c_str());
  if (curl_easy_perform(curl.get()) != CURLE_OK)
    return false;
  long status = 0;
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &status);
  return status == 200 || status == 401;
}

} // namespace

CATCH_REGISTER_LISTENER(FailureListener)

bool current_test_failed() {
  return g_test_failed.load();
}

std::vector<std::string> with(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

std::uint16_t free_loopback_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  std::uint16_t port = 0;
  if (fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
    port = ntohs(addr.sin_port);
  if (fd >= 0)
    ::close(fd);
  return port;
}

RefusingPort::RefusingPort() {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    FAIL("cannot reserve a loopback port");
  port_ = ntohs(addr.sin_port);
}

RefusingPort::~RefusingPort() {
  if (fd_ >= 0)
    ::close(fd_);
}

RegistryFixture::RegistryFixture(RegistryOptions options) : options_(std::move(options)) {
  if (options_.password.empty())
    options_.password = "pw-" + random_hex(12);
  endpoint_.tls = options_.tls;
  if (options_.auth != RegistryAuth::none) {
    endpoint_.username = options_.username;
    endpoint_.password = options_.password;
  }
  config_path_ = dir_ / "config.yml";
  log_path_ = dir_ / "registry.log";
  std::filesystem::create_directories(dir_ / "storage");
  if (options_.tls)
    make_tls_certificates();
  if (options_.auth == RegistryAuth::htpasswd) {
    // bcrypt (-B) is the only hash distribution's htpasswd controller accepts.
    auto r = run({"htpasswd", "-Bbn", options_.username, options_.password});
    if (r.exit_code != 0)
      FAIL("registry fixture: htpasswd failed: " << r.err);
    write_text(dir_ / "htpasswd", r.out);
  }
  if (options_.auth == RegistryAuth::token) {
    make_token_key();
    TokenIssuerOptions t;
    t.key_path = dir_ / "token.key";
    t.cert_path = dir_ / "token.crt";
    t.username = options_.username;
    t.password = options_.password;
    t.identity_token = options_.identity_token;
    t.anonymous_pull = options_.anonymous_pull;
    t.allow_get = options_.token_allow_get;
    issuer_ = std::make_unique<TokenIssuer>(t);
  }

  // The port is free when we pick it but another test process may take it before the registry
  // binds it; then the registry exits with "address already in use" and we try another.
  std::string why;
  for (int attempt = 0; attempt < 5; ++attempt) {
    if (start_once(&why))
      return;
    if (why != "port taken")
      break;
  }
  std::string log_text = tail_lines(log(), 60);
  stop();
  FAIL("docker-registry did not start (" << why << "); config " << config_path_ << "; log:\n"
                                         << log_text);
}

RegistryFixture::~RegistryFixture() {
  stop();
  if (current_test_failed() || std::uncaught_exceptions() > 0) {
    std::cerr << "---- docker-registry " << url() << " log (" << log_path_ << "), last lines ----\n"
              << tail_lines(log(), 150);
    if (issuer_)
      std::cerr << "---- token requests to " << issuer_->realm() << " ----\n"
                << issuer_->describe_requests();
    std::cerr << "---- end of docker-registry log ----\n";
  }
}

std::vector<std::string> RegistryFixture::tls_flags() const {
  if (options_.tls)
    return {"--registry-cacert", endpoint_.ca_file};
  return {"--allow-http-registry"};
}

std::vector<std::string> RegistryFixture::credential_flags() const {
  if (options_.auth == RegistryAuth::none)
    return {};
  return {"--registry-username", endpoint_.username, "--registry-password", endpoint_.password};
}

std::vector<std::string> RegistryFixture::client_flags() const {
  return with(tls_flags(), credential_flags());
}

void RegistryFixture::make_tls_certificates() {
  write_text(dir_ / "ca.cnf", "[req]\n"
                              "distinguished_name = dn\n"
                              "prompt = no\n"
                              "x509_extensions = ext\n"
                              "[dn]\n"
                              "CN = isign test CA\n"
                              "[ext]\n"
                              "basicConstraints = critical,CA:TRUE\n"
                              "keyUsage = critical,keyCertSign,cRLSign\n"
                              "subjectKeyIdentifier = hash\n");
  write_text(dir_ / "server.ext", "basicConstraints = CA:FALSE\n"
                                  "keyUsage = critical,digitalSignature\n"
                                  "extendedKeyUsage = serverAuth\n"
                                  "subjectAltName = IP:127.0.0.1,DNS:localhost\n"
                                  "authorityKeyIdentifier = keyid\n");
  run_or_fail({"openssl", "req", "-x509", "-config", dir_ / "ca.cnf", "-newkey", "ec", "-pkeyopt",
               "ec_paramgen_curve:P-256", "-nodes", "-keyout", dir_ / "ca.key", "-out",
               dir_ / "ca.crt", "-days", "2"},
              "making the test CA");
  run_or_fail({"openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
               "-nodes", "-keyout", dir_ / "server.key", "-out", dir_ / "server.csr", "-subj",
               "/CN=localhost"},
              "making the server key");
  run_or_fail({"openssl", "x509", "-req", "-in", dir_ / "server.csr", "-CA", dir_ / "ca.crt",
               "-CAkey", dir_ / "ca.key", "-set_serial", "2", "-out", dir_ / "server.crt", "-days",
               "2", "-extfile", dir_ / "server.ext"},
              "signing the server certificate");
  endpoint_.ca_file = dir_ / "ca.crt";
}

void RegistryFixture::make_token_key() {
  write_text(dir_ / "token.cnf", "[req]\n"
                                 "distinguished_name = dn\n"
                                 "prompt = no\n"
                                 "x509_extensions = ext\n"
                                 "[dn]\n"
                                 "CN = isign test token issuer\n"
                                 "[ext]\n"
                                 "basicConstraints = critical,CA:TRUE\n"
                                 "keyUsage = critical,digitalSignature,keyCertSign\n");
  run_or_fail({"openssl", "req", "-x509", "-config", dir_ / "token.cnf", "-newkey", "ec",
               "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", dir_ / "token.key",
               "-out", dir_ / "token.crt", "-days", "2"},
              "making the token signing key");
}

void RegistryFixture::write_config() {
  // A fixed secret silences the registry's "generated random secret" warning at start.
  std::string y = R"(version: 0.1
log:
  level: @LEVEL@
  formatter: text
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: "@DIR@/storage"
  delete:
    enabled: @DELETE@
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:@PORT@
  secret: "@SECRET@"
)";
  if (options_.tls)
    y += R"(  tls:
    certificate: "@DIR@/server.crt"
    key: "@DIR@/server.key"
)";
  if (options_.auth == RegistryAuth::htpasswd)
    y += R"(auth:
  htpasswd:
    realm: isign-test
    path: "@DIR@/htpasswd"
)";
  if (options_.auth == RegistryAuth::token)
    y += R"(auth:
  token:
    realm: "@REALM@"
    service: "@SERVICE@"
    issuer: "@ISSUER@"
    rootcertbundle: "@DIR@/token.crt"
)";
  y += R"(health:
  storagedriver:
    enabled: false
)";
  std::vector<std::pair<std::string, std::string>> vars = {
      {"@LEVEL@", options_.log_level},
      {"@DIR@", dir_.path()},
      {"@PORT@", std::to_string(port_)},
      {"@DELETE@", options_.delete_enabled ? "true" : "false"},
      {"@SECRET@", random_hex(16)}};
  if (issuer_) {
    vars.emplace_back("@REALM@", issuer_->realm());
    vars.emplace_back("@SERVICE@", issuer_->options().service);
    vars.emplace_back("@ISSUER@", issuer_->options().issuer);
  }
  for (const auto& [key, value] : vars)
    for (auto pos = y.find(key); pos != std::string::npos; pos = y.find(key, pos + value.size()))
      y.replace(pos, key.size(), value);
  write_text(config_path_, y);
}

bool RegistryFixture::start_once(std::string* why) {
  port_ = free_loopback_port();
  if (port_ == 0) {
    *why = "no free loopback port";
    return false;
  }
  endpoint_.host = "127.0.0.1:" + std::to_string(port_);
  write_config();

  // Everything the child needs is prepared before fork: after it only async-signal-safe calls.
  std::string binary = "/usr/bin/docker-registry";
  std::vector<std::string> args = {binary, "serve", config_path_};
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  int log_fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (log_fd < 0 || null_fd < 0) {
    *why = "cannot open " + log_path_;
    return false;
  }
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid == 0) {
    // The kernel kills the registry when the test process dies (crash, ctest timeout, SIGKILL),
    // so a registry never outlives its test.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent)
      ::_exit(127);
    ::dup2(null_fd, 0);
    ::dup2(log_fd, 1);
    ::dup2(log_fd, 2);
    ::execve(binary.c_str(), argv.data(), environ);
    ::_exit(127);
  }
  ::close(log_fd);
  ::close(null_fd);
  if (pid < 0) {
    *why = "fork failed";
    return false;
  }
  pid_ = pid;

  auto deadline = std::chrono::steady_clock::now() + options_.start_timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      *why = log().find("address already in use") != std::string::npos
                 ? "port taken"
                 : "it exited with status " +
                       std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1);
      return false;
    }
    if (answers(endpoint_))
      return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  *why = "/v2/ did not answer within " + std::to_string(options_.start_timeout.count()) + " s";
  stop();
  return false;
}

void RegistryFixture::stop() {
  if (pid_ <= 0)
    return;
  ::kill(pid_, SIGTERM);
  for (int i = 0; i < 100; ++i) { // up to 5 s for a clean exit
    if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

} // namespace isign::testing

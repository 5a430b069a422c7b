// A real Debian docker-registry (distribution 2.8) for end-to-end tests: started on 127.0.0.1 on a
// free port with its own temp storage, stopped by PID when the fixture goes away (and killed by
// the kernel if the test process dies first). Its log is printed to stderr when the test failed.
//
//   RegistryFixture reg({.tls = true, .auth = RegistryAuth::htpasswd});
//   std::string digest = push_random_image(reg, "app", "v1");          // images.h
//   auto r = run_isign(with(reg.client_flags(), {"inspect", reg.ref("app:v1")}));
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <sys/types.h>
#include <vector>

#include "tests/support/process.h"
#include "tests/support/token_issuer.h"

namespace isign::testing {

// Where a registry (or a proxy in front of one) answers, and the credentials it wants. Image
// helpers (images.h) take this, so they work with every variant.
struct RegistryEndpoint {
  std::string host; // "127.0.0.1:PORT": the registry part of an image reference
  bool tls = false;
  std::string ca_file;  // PEM CA that signed the server certificate (TLS only)
  std::string username; // empty: anonymous
  std::string password;

  std::string base_url() const { return (tls ? "https://" : "http://") + host; }
};

// What a server standing for a registry (the fixture, the fault proxy in front of one) shows of
// where it answers: its endpoint, and references to it.
class RegistryAddress {
public:
  // "127.0.0.1:PORT": use it as the registry part of references.
  const std::string& url() const { return endpoint_.host; }
  // url() + "/" + repo_and_rest, e.g. ref("app:v1") or ref("app@sha256:...").
  std::string ref(const std::string& repo_and_rest) const { return url() + "/" + repo_and_rest; }
  // With the credentials (when auth is on). It converts to it, so image helpers take either:
  // push_random_image(reg, ...) or push_random_image(reg.endpoint(), ...).
  const RegistryEndpoint& endpoint() const { return endpoint_; }
  operator const RegistryEndpoint&() const {
    return endpoint_;
  } // NOLINT(google-explicit-constructor)

protected:
  RegistryEndpoint endpoint_;
};

enum class RegistryAuth { none, htpasswd, token };

struct RegistryOptions {
  bool tls = false;
  RegistryAuth auth = RegistryAuth::none;
  std::string username = "isign-user";
  std::string password{};       // empty: a random one (distinctive, so tests can grep for leaks)
  bool anonymous_pull = false;  // token auth: anonymous clients may pull
  bool token_allow_get = true;  // token auth: false makes the issuer demand the OAuth2 POST form
  std::string identity_token{}; // token auth: accepted as an OAuth2 refresh token for username
  std::string log_level = "info";
  std::chrono::seconds start_timeout{10};
  bool delete_enabled = true; // false: storage.delete.enabled off, DELETE answers 405 UNSUPPORTED
};

class RegistryFixture : public RegistryAddress {
public:
  // Starts the registry and waits until /v2/ answers. On failure the current Catch test FAILs
  // with the registry's log.
  explicit RegistryFixture(RegistryOptions options = {});
  ~RegistryFixture();
  RegistryFixture(const RegistryFixture&) = delete;
  RegistryFixture& operator=(const RegistryFixture&) = delete;

  const RegistryOptions& options() const { return options_; }
  const std::string& ca_path() const { return endpoint_.ca_file; }
  const std::string& username() const { return endpoint_.username; }
  const std::string& password() const { return endpoint_.password; }

  // isign flags to reach this registry: --allow-http-registry, or --registry-cacert CA.
  std::vector<std::string> tls_flags() const;
  // --registry-username U --registry-password P (empty without auth).
  std::vector<std::string> credential_flags() const;
  // Both of the above.
  std::vector<std::string> client_flags() const;

  TokenIssuer* token_issuer() const { return issuer_.get(); } // null unless auth == token
  const std::string& log_path() const { return log_path_; }
  std::string log() const { return read_text(log_path_); }
  const std::string& dir() const { return dir_.path(); } // config, storage, certificates
  pid_t pid() const { return pid_; }

  // Stops the registry now (tests of "registry down"); idempotent, the destructor calls it.
  void stop();

private:
  bool start_once(std::string* why);
  void write_config();
  void make_tls_certificates();
  void make_token_key();

  RegistryOptions options_;
  TempDir dir_;
  std::string config_path_;
  std::string log_path_;
  std::unique_ptr<TokenIssuer> issuer_;
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
};

// A loopback port nobody listens on at the moment of the call (bind to port 0, then close).
std::uint16_t free_loopback_port();

// A loopback address where connections are refused, reserved while the object lives: the port
// is bound but never listened on, so no other test can start a server there ("registry down").
class RefusingPort {
public:
  RefusingPort();
  ~RefusingPort();
  RefusingPort(const RefusingPort&) = delete;
  RefusingPort& operator=(const RefusingPort&) = delete;
  // "127.0.0.1:PORT"
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

// True once an assertion of the running Catch test case has failed. Fixtures use it to decide
// whether to print their logs when they are destroyed.
bool current_test_failed();

// Concatenates argument lists: with(reg.client_flags(), {"inspect", ref}).
std::vector<std::string> with(std::vector<std::string> a, const std::vector<std::string>& b);

} // namespace isign::testing

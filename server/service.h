// isign serve as a whole: the HTTPS endpoints (/validate, /mutate, /healthz, /readyz, /metrics),
// the reviews behind them, reloading changed files, and a graceful stop. cli/cmd_serve.cpp reads
// the flags and the signals; everything else is here.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/result.h"
#include "registry/client_types.h"
#include "server/http_server.h"
#include "server/reviewer.h"
#include "server/verdicts.h"

namespace isign::server {

struct ServeOptions {
  std::string policy_path;
  std::string tls_cert_path;
  std::string tls_key_path;
  HttpOptions http;
  ReviewOptions review;
  VerdictCacheOptions cache;
  // The registry client's options; a deadline is per review, never set here.
  registry::ClientOptions client;
  // How often the policy, its keys, the TLS pair and the registry credentials are checked for
  // changes.
  std::chrono::milliseconds reload_interval{2000};
  // On stop: how long reviews under way get to be answered.
  std::chrono::milliseconds shutdown_grace{20000};
  std::size_t review_threads = 64; // reviews waiting on registries at once
};

// One line of JSON, without the newline: a review's record or a server event.
using LogSink = std::function<void(const std::string& line)>;

class Service {
public:
  // Loads the policy and the TLS pair and starts listening. Errors: a policy, key, certificate
  // or address that does not load, naming it.
  static common::Result<std::unique_ptr<Service>> start(ServeOptions options, LogSink log);
  virtual ~Service() = default;

  virtual std::uint16_t port() const = 0;
  // Checks every watched file now (SIGHUP), as the periodic check does.
  virtual void reload_now() = 0;
  // /readyz fails, no new connections, reviews under way answered (up to shutdown_grace), then
  // everything stops. Idempotent.
  virtual void shutdown() = 0;
};

} // namespace isign::server

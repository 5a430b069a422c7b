// The HTTPS front of isign serve: TLS, HTTP/1.1 framing, limits and timeouts, over Boost.Beast
// (asynchronous: a slow or idle client holds a socket, never a thread). Handlers answer through
// a callback, from any thread, so a review that waits on a registry does not block the others.
// Boost stays in http_server.cpp.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"

namespace isign::server {

struct HttpRequest {
  std::string method;
  std::string target; // path and query, as sent
  std::string content_type;
  std::string body;
};

struct HttpAnswer {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
};

// Called once per answer, from any thread.
using Respond = std::function<void(HttpAnswer)>;
// Called on an I/O thread for every well-formed request: must not block; answers through respond
// (now, or later from another thread).
using Handler = std::function<void(HttpRequest&& request, Respond respond)>;

struct HttpOptions {
  std::string address = "0.0.0.0";
  std::uint16_t port = 8443; // 0: any free port (tests)
  std::size_t max_body = 4u << 20;    // larger: 413, connection closed
  std::size_t max_header = 16u << 10; // larger: 431
  // A request's header must arrive within this of the connection's last answer (or its TLS
  // handshake: idle keep-alive connections are closed after it), and its body within this of
  // its header: a client that trickles bytes is cut off.
  std::chrono::milliseconds read_timeout{10000};
  std::chrono::milliseconds write_timeout{10000};
  std::size_t io_threads = 2;
  std::size_t max_connections = 2048; // more are accepted and closed at once
  // Told the status of each request the server refuses itself (400, 413, 431), for metrics.
  std::function<void(int status)> rejected{};
};

class HttpServer {
public:
  // Listens on options.address:port with the PEM certificate chain and key. Errors: a bad
  // address, a port in use, a certificate or key that does not load or does not match.
  static common::Result<std::unique_ptr<HttpServer>>
  start(const HttpOptions& options, std::string_view cert_pem, std::string_view key_pem,
        Handler handler);
  virtual ~HttpServer() = default;

  // The port listened on (the one chosen when options.port was 0).
  virtual std::uint16_t port() const = 0;
  // New connections use this certificate and key; open ones keep theirs. Errors as start's; the
  // old pair stays in use.
  virtual common::Result<void> set_certificate(std::string_view cert_pem,
                                               std::string_view key_pem) = 0;
  // Stops accepting; answers on open connections then say Connection: close.
  virtual void stop_accepting() = 0;
  // Requests read whose answer is not written yet.
  virtual std::size_t requests_in_flight() const = 0;
  // Closes every connection and joins the I/O threads. Idempotent; the destructor calls it.
  virtual void stop() = 0;
};

} // namespace isign::server

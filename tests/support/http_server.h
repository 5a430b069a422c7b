// A tiny HTTP/1.1 server for test helpers (token issuer, fault proxy): loopback only, one thread
// per connection, bounded in connections, header and body sizes, and idle time.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace isign::testing {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// One parsed request. Header names are lowercased; the body is de-chunked.
struct ServerRequest {
  std::string method;
  std::string target; // as sent: path and query
  std::string path;   // target before '?'
  std::string query;  // target after '?', without it
  HeaderList headers;
  std::string body;

  // First value of a header (name in lowercase), or "".
  std::string header(const std::string& name) const;
  // All values of a query parameter, percent-decoded ('+' is a space).
  std::vector<std::string> query_values(const std::string& name) const;
};

// What the handler wants sent. Content-Length is added from body unless headers carry one (a
// proxy answering HEAD passes the upstream's). The other fields script misbehaviour.
struct ServerReply {
  int status = 200;
  HeaderList headers;
  std::string body;
  std::chrono::milliseconds delay{0};  // wait this long before sending anything (stall)
  std::optional<std::size_t> body_cut; // send only this many body bytes, then close
  bool drop = false;                   // close the connection without answering
  bool close = false;                  // close the connection after this reply
};

struct HttpServerOptions {
  std::size_t max_connections = 64; // further connections are closed at once
  std::size_t max_header_bytes = 64u << 10;
  std::size_t max_body_bytes = 256u << 20;
  std::chrono::milliseconds idle_timeout{30000}; // keep-alive and slow clients
};

// Listens on 127.0.0.1 on a free port from construction until destruction (or stop()).
// The handler runs on connection threads, possibly several at once: it must be thread-safe.
class HttpServer {
public:
  using Handler = std::function<ServerReply(const ServerRequest&)>;

  // Aborts the test process (std::abort) only if no loopback socket can be opened at all.
  explicit HttpServer(Handler handler, HttpServerOptions options = {});
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  std::uint16_t port() const { return port_; }
  // "127.0.0.1:PORT"
  std::string address() const;
  // Closes the listener and every connection, interrupts delays, joins all threads. Idempotent.
  void stop();

  // Sleeps up to d; returns early (false) when the server is stopping.
  bool sleep_for(std::chrono::milliseconds d);

  static const char* reason_phrase(int status);

private:
  void accept_loop();
  void serve(int fd);

  Handler handler_;
  HttpServerOptions options_;
  int listen_fd_ = -1;
  int stop_fd_ = -1; // eventfd: readable once stop() begins
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::mutex mu_; // guards active_ changes for cv_
  std::condition_variable cv_;
  std::atomic<std::size_t> active_{0}; // detached connection threads still running
  std::thread acceptor_;
};

} // namespace isign::testing

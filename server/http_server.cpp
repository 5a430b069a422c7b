#include "server/http_server.h"

#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <mutex>
#include <optional>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <thread>
#include <vector>

namespace isign::server {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;
using common::ErrorKind;
using common::make_error;

namespace {

std::string openssl_errors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    out += out.empty() ? "" : "; ";
    out += buf;
  }
  return out.empty() ? "unknown TLS error" : out;
}

common::Result<std::shared_ptr<ssl::context>> make_context(std::string_view cert_pem,
                                                           std::string_view key_pem) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  // TLS 1.2 and 1.3 only; the API server speaks both.
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                   ssl::context::no_sslv3 | ssl::context::single_dh_use);
  boost::system::error_code ec;
  ERR_clear_error();
  ctx->use_certificate_chain(net::buffer(cert_pem.data(), cert_pem.size()), ec);
  if (ec)
    return make_error(ErrorKind::key, "the TLS certificate does not load: " + openssl_errors());
  ctx->use_private_key(net::buffer(key_pem.data(), key_pem.size()), ssl::context::pem, ec);
  if (ec)
    return make_error(ErrorKind::key, "the TLS key does not load: " + openssl_errors());
  if (SSL_CTX_check_private_key(ctx->native_handle()) != 1)
    return make_error(ErrorKind::key, "the TLS key does not match the certificate");
  return ctx;
}

class Server;

// One connection: handshake, then requests one at a time (HTTP/1.1 keep-alive), each read under
// a deadline and answered through the handler's callback on the connection's strand.
class Session : public std::enable_shared_from_this<Session> {
public:
  Session(tcp::socket socket, std::shared_ptr<ssl::context> ctx, Server& server)
      : ctx_(std::move(ctx)), stream_(std::move(socket), *ctx_), server_(server) {}
  ~Session();
  void run();

private:
  void on_handshake(beast::error_code ec);
  void read_header();
  void on_header(beast::error_code ec, std::size_t);
  void read_failed(beast::error_code ec);
  void on_body(beast::error_code ec, std::size_t);
  void answer(HttpAnswer a, bool close);
  void on_write(bool close, beast::error_code ec, std::size_t);
  void shut_down();

  std::shared_ptr<ssl::context> ctx_; // outlives stream_, which holds its SSL_CTX
  beast::ssl_stream<beast::tcp_stream> stream_;
  Server& server_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> response_;
  bool keep_alive_ = false;
  bool counted_ = false; // the answer being written is of a request counted in flight
};

class Server final : public HttpServer {
public:
  Server(const HttpOptions& options, std::shared_ptr<ssl::context> ctx, Handler handler)
      : options_(options), ioc_(static_cast<int>(options.io_threads)),
        work_(net::make_work_guard(ioc_)), acceptor_(ioc_),
        ctx_(std::move(ctx)), handler_(std::move(handler)) {}
  ~Server() override { stop(); }

  common::Result<void> listen() {
    boost::system::error_code ec;
    auto address = net::ip::make_address(options_.address, ec);
    if (ec)
      return make_error(ErrorKind::usage, "--listen: '" + options_.address +
                                              "' is not an IP address (e.g. 0.0.0.0:8443)");
    tcp::endpoint ep(address, options_.port);
    acceptor_.open(ep.protocol(), ec);
    if (!ec)
      acceptor_.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec)
      acceptor_.bind(ep, ec);
    if (!ec)
      acceptor_.listen(net::socket_base::max_listen_connections, ec);
    if (ec)
      return make_error(ErrorKind::io, "listening on " + options_.address + ":" +
                                           std::to_string(options_.port) + ": " + ec.message());
    port_ = acceptor_.local_endpoint().port();
    accept();
    for (std::size_t i = 0; i < std::max<std::size_t>(1, options_.io_threads); ++i)
      threads_.emplace_back([this] { ioc_.run(); });
    return {};
  }

  std::uint16_t port() const override { return port_; }

  common::Result<void> set_certificate(std::string_view cert_pem,
                                       std::string_view key_pem) override {
    auto ctx = make_context(cert_pem, key_pem);
    ISIGN_TRY(ctx);
    std::lock_guard lock(mu_);
    ctx_ = std::move(*ctx);
    return {};
  }

  void stop_accepting() override {
    draining_ = true;
    net::post(acceptor_.get_executor(), [this] {
      boost::system::error_code ignored;
      acceptor_.close(ignored);
    });
  }

  std::size_t requests_in_flight() const override { return in_flight_; }

  void stop() override {
    std::lock_guard lock(stop_mu_);
    if (threads_.empty())
      return;
    draining_ = true;
    work_.reset();
    ioc_.stop();
    for (auto& t : threads_)
      t.join();
    threads_.clear();
  }

  const HttpOptions& options() const { return options_; }
  bool draining() const { return draining_; }
  void dispatch(HttpRequest&& request, Respond respond) {
    handler_(std::move(request), std::move(respond));
  }
  std::atomic<std::size_t> in_flight_{0};
  std::atomic<std::size_t> connections_{0};

private:
  void accept() {
    acceptor_.async_accept(net::make_strand(ioc_), [this](beast::error_code ec, tcp::socket s) {
      if (ec == net::error::operation_aborted || !acceptor_.is_open())
        return;
      if (!ec) {
        if (connections_ >= options_.max_connections) {
          boost::system::error_code ignored;
          s.close(ignored);
        } else {
          std::shared_ptr<ssl::context> ctx;
          {
            std::lock_guard lock(mu_);
            ctx = ctx_;
          }
          std::make_shared<Session>(std::move(s), std::move(ctx), *this)->run();
        }
      }
      accept();
    });
  }

  HttpOptions options_;
  net::io_context ioc_;
  // Keeps the I/O threads running while no operation is pending: once the acceptor is closed,
  // sessions whose review is out with a handler have nothing pending until it answers.
  net::executor_work_guard<net::io_context::executor_type> work_;
  tcp::acceptor acceptor_;
  std::mutex mu_; // guards ctx_
  std::shared_ptr<ssl::context> ctx_;
  Handler handler_;
  std::uint16_t port_ = 0;
  std::atomic<bool> draining_{false};
  std::mutex stop_mu_;
  std::vector<std::thread> threads_;
};

Session::~Session() {
  --server_.connections_;
}

void Session::run() {
  ++server_.connections_;
  beast::get_lowest_layer(stream_).expires_after(server_.options().read_timeout);
  stream_.async_handshake(ssl::stream_base::server,
                          beast::bind_front_handler(&Session::on_handshake, shared_from_this()));
}

void Session::on_handshake(beast::error_code ec) {
  if (ec)
    return; // a failed handshake or a scanner: nothing to answer
  read_header();
}

void Session::read_header() {
  parser_.emplace();
  parser_->header_limit(static_cast<std::uint32_t>(server_.options().max_header));
  parser_->body_limit(server_.options().max_body);
  beast::get_lowest_layer(stream_).expires_after(server_.options().read_timeout);
  http::async_read_header(stream_, buffer_, *parser_,
                          beast::bind_front_handler(&Session::on_header, shared_from_this()));
}

// A read that failed: answered when the client is owed a reason (a limit, a malformed request),
// else the connection is closed (it went away, or was too slow: nothing waits for the answer).
void Session::read_failed(beast::error_code ec) {
  if (ec == http::error::body_limit)
    return answer({413, "text/plain", "request body too large\n"}, true);
  if (ec == http::error::header_limit)
    return answer({431, "text/plain", "request header too large\n"}, true);
  if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
      ec == net::error::operation_aborted || ec == ssl::error::stream_truncated)
    return shut_down();
  answer({400, "text/plain", "malformed HTTP request\n"}, true);
}

void Session::on_header(beast::error_code ec, std::size_t) {
  if (ec)
    return read_failed(ec);
  // The body gets its own window: a header in time does not buy a slow body more.
  beast::get_lowest_layer(stream_).expires_after(server_.options().read_timeout);
  http::async_read(stream_, buffer_, *parser_,
                   beast::bind_front_handler(&Session::on_body, shared_from_this()));
}

void Session::on_body(beast::error_code ec, std::size_t) {
  if (ec)
    return read_failed(ec);
  auto req = parser_->release();
  keep_alive_ = req.keep_alive();
  HttpRequest request;
  request.method = std::string(req.method_string());
  request.target = std::string(req.target());
  request.content_type = std::string(req[http::field::content_type]);
  request.body = std::move(req.body());
  ++server_.in_flight_;
  // No read deadline while the handler works: its own deadline bounds it.
  beast::get_lowest_layer(stream_).expires_never();
  auto self = shared_from_this();
  auto once = std::make_shared<std::atomic<bool>>(false);
  server_.dispatch(std::move(request), [self, once](HttpAnswer a) {
    if (once->exchange(true))
      return;
    net::dispatch(self->stream_.get_executor(), [self, a = std::move(a)]() mutable {
      self->counted_ = true; // in flight until written: a stop waits for the bytes to leave
      self->answer(std::move(a), !self->keep_alive_);
    });
  });
}

void Session::answer(HttpAnswer a, bool close) {
  close = close || server_.draining();
  if (!counted_ && server_.options().rejected)
    server_.options().rejected(a.status); // refused here, before any handler saw it
  response_ = {};
  response_.version(11);
  response_.result(static_cast<unsigned>(a.status));
  response_.set(http::field::server, "isign");
  response_.set(http::field::content_type, a.content_type);
  response_.keep_alive(!close);
  response_.body() = std::move(a.body);
  response_.prepare_payload();
  beast::get_lowest_layer(stream_).expires_after(server_.options().write_timeout);
  http::async_write(stream_, response_,
                    beast::bind_front_handler(&Session::on_write, shared_from_this(), close));
}

void Session::on_write(bool close, beast::error_code ec, std::size_t) {
  if (counted_) {
    counted_ = false;
    --server_.in_flight_;
  }
  if (ec || close)
    return shut_down();
  read_header();
}

void Session::shut_down() {
  beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(2));
  stream_.async_shutdown([self = shared_from_this()](beast::error_code) {
    boost::system::error_code ignored;
    beast::get_lowest_layer(self->stream_).socket().close(ignored);
  });
}

} // namespace

common::Result<std::unique_ptr<HttpServer>> HttpServer::start(const HttpOptions& options,
                                                              std::string_view cert_pem,
                                                              std::string_view key_pem,
                                                              Handler handler) {
  auto ctx = make_context(cert_pem, key_pem);
  ISIGN_TRY(ctx);
  auto server = std::make_unique<Server>(options, std::move(*ctx), std::move(handler));
  if (auto ok = server->listen(); !ok)
    return ok.error();
  return std::unique_ptr<HttpServer>(std::move(server));
}

} // namespace isign::server

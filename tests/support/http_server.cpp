#include "tests/support/http_server.h"

#include <algorithm>
#include <arpa/inet.h>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tests/support/text.h"

namespace isign::testing {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

std::string percent_decode(const std::string& s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 &&
               hex_value(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// Reads from one client socket with a deadline; wakes up when the server stops.
class Conn {
public:
  Conn(int fd, int stop_fd, std::chrono::milliseconds idle)
      : fd_(fd), stop_fd_(stop_fd), idle_(idle) {}

  // Waits for fd to be ready for events; false on timeout, stop or error.
  bool wait(short events) {
    pollfd fds[2] = {{fd_, events, 0}, {stop_fd_, POLLIN, 0}};
    int n = ::poll(fds, 2, static_cast<int>(idle_.count()));
    if (n <= 0 || (fds[1].revents & POLLIN))
      return false;
    return (fds[0].revents & (events | POLLHUP | POLLERR)) != 0;
  }

  // Appends what is available to buf_; false on EOF/error/timeout.
  bool fill() {
    if (!wait(POLLIN))
      return false;
    char tmp[65536];
    ssize_t r = ::recv(fd_, tmp, sizeof tmp, 0);
    if (r <= 0)
      return false;
    buf_.append(tmp, static_cast<std::size_t>(r));
    return true;
  }

  // Reads up to and including delim (not returned), bounded by max bytes.
  bool read_until(const std::string& delim, std::size_t max, std::string* out) {
    for (;;) {
      auto pos = buf_.find(delim);
      if (pos != std::string::npos) {
        *out = buf_.substr(0, pos);
        buf_.erase(0, pos + delim.size());
        return true;
      }
      if (buf_.size() > max || !fill())
        return false;
    }
  }

  bool read_exact(std::size_t n, std::string* out) {
    while (buf_.size() < n)
      if (!fill())
        return false;
    out->append(buf_, 0, n);
    buf_.erase(0, n);
    return true;
  }

  bool send_all(const char* data, std::size_t n) {
    while (n > 0) {
      if (!wait(POLLOUT))
        return false;
      ssize_t w = ::send(fd_, data, n, MSG_NOSIGNAL);
      if (w <= 0)
        return false;
      data += w;
      n -= static_cast<std::size_t>(w);
    }
    return true;
  }

private:
  int fd_;
  int stop_fd_;
  std::chrono::milliseconds idle_;
  std::string buf_;
};

bool has_header(const HeaderList& headers, const std::string& name) {
  return std::any_of(headers.begin(), headers.end(),
                     [&](const auto& h) { return lower(h.first) == name; });
}

} // namespace

std::string ServerRequest::header(const std::string& name) const {
  for (const auto& [k, v] : headers)
    if (k == name)
      return v;
  return "";
}

std::vector<std::string> ServerRequest::query_values(const std::string& name) const {
  std::vector<std::string> values;
  std::size_t start = 0;
  while (start <= query.size() && !query.empty()) {
    auto end = query.find('&', start);
    if (end == std::string::npos)
      end = query.size();
    std::string pair = query.substr(start, end - start);
    auto eq = pair.find('=');
    std::string key = percent_decode(pair.substr(0, eq));
    if (key == name)
      values.push_back(eq == std::string::npos ? "" : percent_decode(pair.substr(eq + 1)));
    start = end + 1;
  }
  return values;
}

const char* HttpServer::reason_phrase(int status) {
  switch (status) {
  case 100:
    return "Continue";
  case 200:
    return "OK";
  case 201:
    return "Created";
  case 202:
    return "Accepted";
  case 204:
    return "No Content";
  case 206:
    return "Partial Content";
  case 301:
    return "Moved Permanently";
  case 302:
    return "Found";
  case 307:
    return "Temporary Redirect";
  case 308:
    return "Permanent Redirect";
  case 400:
    return "Bad Request";
  case 401:
    return "Unauthorized";
  case 403:
    return "Forbidden";
  case 404:
    return "Not Found";
  case 405:
    return "Method Not Allowed";
  case 413:
    return "Payload Too Large";
  case 416:
    return "Range Not Satisfiable";
  case 429:
    return "Too Many Requests";
  case 500:
    return "Internal Server Error";
  case 502:
    return "Bad Gateway";
  case 503:
    return "Service Unavailable";
  case 504:
    return "Gateway Timeout";
  default:
    return "Status";
  }
}

HttpServer::HttpServer(Handler handler, HttpServerOptions options)
    : handler_(std::move(handler)), options_(options) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  stop_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (listen_fd_ < 0 || stop_fd_ < 0)
    std::abort();
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK); // loopback only, never reachable from outside
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 64) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    std::abort();
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { accept_loop(); });
}

HttpServer::~HttpServer() {
  stop();
}

std::string HttpServer::address() const {
  return "127.0.0.1:" + std::to_string(port_);
}

void HttpServer::stop() {
  if (stopping_.exchange(true)) {
    if (acceptor_.joinable())
      acceptor_.join();
    return;
  }
  std::uint64_t one = 1;
  [[maybe_unused]] auto w = ::write(stop_fd_, &one, sizeof one);
  if (acceptor_.joinable())
    acceptor_.join();
  {
    // Connection threads notice stop_fd_ in every poll and every sleep, so this wait is short.
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return active_.load() == 0; });
  }
  ::close(listen_fd_);
  ::close(stop_fd_);
}

bool HttpServer::sleep_for(std::chrono::milliseconds d) {
  pollfd fd = {stop_fd_, POLLIN, 0};
  auto deadline = std::chrono::steady_clock::now() + d;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      return true;
    if (::poll(&fd, 1, static_cast<int>(left.count())) > 0)
      return false;
  }
}

void HttpServer::accept_loop() {
  for (;;) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0 && errno != EINTR)
      return;
    if (fds[1].revents & POLLIN)
      return;
    if (!(fds[0].revents & POLLIN))
      continue;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0)
      continue;
    if (active_.load() >= options_.max_connections) {
      ::close(fd);
      continue;
    }
    {
      std::lock_guard lock(mu_);
      ++active_;
    }
    std::thread([this, fd] {
      serve(fd);
      ::close(fd);
      std::lock_guard lock(mu_);
      --active_;
      cv_.notify_all();
    }).detach();
  }
}

void HttpServer::serve(int fd) {
  Conn conn(fd, stop_fd_, options_.idle_timeout);
  for (;;) {
    std::string head;
    if (!conn.read_until("\r\n\r\n", options_.max_header_bytes, &head))
      return;
    ServerRequest req;
    auto line_end = head.find("\r\n");
    std::string request_line = head.substr(0, line_end);
    auto sp1 = request_line.find(' ');
    auto sp2 = request_line.rfind(' ');
    if (sp1 == std::string::npos || sp2 == sp1)
      return;
    req.method = request_line.substr(0, sp1);
    req.target = request_line.substr(sp1 + 1, sp2 - sp1 - 1);
    auto q = req.target.find('?');
    req.path = req.target.substr(0, q);
    if (q != std::string::npos)
      req.query = req.target.substr(q + 1);
    std::size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
    while (pos < head.size()) {
      auto e = head.find("\r\n", pos);
      if (e == std::string::npos)
        e = head.size();
      std::string line = head.substr(pos, e - pos);
      if (auto header = split_header_line(line))
        req.headers.emplace_back(lower(header->first), std::move(header->second));
      pos = e + 2;
    }

    if (lower(req.header("expect")) == "100-continue") {
      static const std::string cont = "HTTP/1.1 100 Continue\r\n\r\n";
      if (!conn.send_all(cont.data(), cont.size()))
        return;
    }
    if (lower(req.header("transfer-encoding")).find("chunked") != std::string::npos) {
      for (;;) {
        std::string size_line;
        if (!conn.read_until("\r\n", 1024, &size_line))
          return;
        std::size_t n = std::strtoull(size_line.c_str(), nullptr, 16);
        if (req.body.size() + n > options_.max_body_bytes)
          return;
        if (n == 0) {
          std::string trailer;
          do {
            if (!conn.read_until("\r\n", options_.max_header_bytes, &trailer))
              return;
          } while (!trailer.empty());
          break;
        }
        std::string crlf;
        if (!conn.read_exact(n, &req.body) || !conn.read_exact(2, &crlf))
          return;
      }
    } else if (!req.header("content-length").empty()) {
      std::size_t n = std::strtoull(req.header("content-length").c_str(), nullptr, 10);
      if (n > options_.max_body_bytes || !conn.read_exact(n, &req.body))
        return;
    }

    ServerReply reply;
    try {
      reply = handler_(req);
    } catch (...) {
      reply = ServerReply{};
      reply.status = 500;
      reply.body = "test server handler threw\n";
    }
    if (reply.delay.count() > 0 && !sleep_for(reply.delay))
      return;
    if (reply.drop)
      return;

    bool close =
        reply.close || reply.body_cut.has_value() || lower(req.header("connection")) == "close";
    std::string out =
        "HTTP/1.1 " + std::to_string(reply.status) + " " + reason_phrase(reply.status) + "\r\n";
    for (const auto& [k, v] : reply.headers)
      out += k + ": " + v + "\r\n";
    if (!has_header(reply.headers, "content-length") && reply.status != 204 && reply.status >= 200)
      out += "Content-Length: " + std::to_string(reply.body.size()) + "\r\n";
    if (close)
      out += "Connection: close\r\n";
    out += "\r\n";
    if (req.method != "HEAD") {
      std::size_t n = std::min(reply.body.size(), reply.body_cut.value_or(reply.body.size()));
      out.append(reply.body, 0, n);
    }
    if (!conn.send_all(out.data(), out.size()) || close)
      return;
  }
}

} // namespace isign::testing

// The libcurl transport against a loopback HTTP server: headers, limits, body streaming,
// redirects (Authorization never follows to another host), connection reuse, timeouts and the
// hints in its errors.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "registry/transport.h"
#include "tests/support/http_server.h"

using namespace isign;
using namespace isign::testing;
using common::ErrorKind;
using registry::HttpRequest;

namespace {

// Records every request and the connection (the server runs one thread per connection) it came
// on.
struct Recorder {
  std::mutex mutex;
  std::vector<ServerRequest> requests;
  std::set<std::thread::id> connections;
  void add(const ServerRequest& r) {
    std::lock_guard lock(mutex);
    requests.push_back(r);
    connections.insert(std::this_thread::get_id());
  }
  std::size_t connection_count() {
    std::lock_guard lock(mutex);
    return connections.size();
  }
};

HttpRequest make(std::string method, std::string url,
                 std::vector<std::pair<std::string, std::string>> headers = {}) {
  HttpRequest r;
  r.method = std::move(method);
  r.url = std::move(url);
  r.headers = std::move(headers);
  return r;
}

std::unique_ptr<registry::Transport>
transport(std::chrono::milliseconds timeout = std::chrono::milliseconds(10000)) {
  registry::TransportOptions o;
  o.timeout = timeout;
  o.connect_timeout = std::min(o.connect_timeout, timeout);
  return registry::make_curl_transport(o);
}

} // namespace

TEST_CASE("curl transport: status, lowercased headers, body, methods", "[transport]") {
  Recorder rec;
  HttpServer server([&rec](const ServerRequest& r) {
    rec.add(r);
    ServerReply reply;
    reply.status = r.method == "PUT" ? 201 : 200;
    reply.headers = {{"Docker-Content-Digest", "sha256:abc"}, {"X-Multi", "1"}, {"X-Multi", "2"}};
    reply.body = r.method == "HEAD" ? "" : "hello " + r.method;
    return reply;
  });
  auto t = transport();
  const std::string base = "http://" + server.address();

  auto get = make("GET", base + "/v2/x?y=1", {{"Accept", "a/b"}});
  auto resp = t->perform(get);
  REQUIRE(resp);
  CHECK(resp->status == 200);
  CHECK(resp->body == "hello GET");
  CHECK(resp->header("docker-content-digest") == "sha256:abc");
  CHECK(resp->headers.count("x-multi") == 2);
  CHECK(resp->effective_url == base + "/v2/x?y=1");

  auto head = make("HEAD", base + "/v2/h");
  resp = t->perform(head);
  REQUIRE(resp);
  CHECK(resp->status == 200);
  CHECK(resp->body.empty());

  auto put = make("PUT", base + "/v2/p");
  put.body = std::string(100000, 'z');
  put.headers = {{"Content-Type", "application/octet-stream"}};
  resp = t->perform(put);
  REQUIRE(resp);
  CHECK(resp->status == 201);

  auto del = make("DELETE", base + "/v2/d");
  REQUIRE(t->perform(del));
  auto post = make("POST", base + "/v2/u/");
  REQUIRE(t->perform(post));

  std::lock_guard lock(rec.mutex);
  REQUIRE(rec.requests.size() == 5);
  CHECK(rec.requests[0].header("accept") == "a/b");
  CHECK(rec.requests[0].header("user-agent").rfind("isign/", 0) == 0);
  CHECK(rec.requests[1].method == "HEAD");
  CHECK(rec.requests[2].method == "PUT");
  CHECK(rec.requests[2].body == put.body);
  CHECK(rec.requests[2].header("expect").empty()); // no 100-continue round trip
  CHECK(rec.requests[3].method == "DELETE");
  CHECK(rec.requests[4].method == "POST");
  CHECK(rec.requests[4].header("content-length") == "0");
}

TEST_CASE("curl transport: bodies over max_body are a limit error", "[transport]") {
  HttpServer server([](const ServerRequest& r) {
    ServerReply reply;
    reply.body = std::string(r.path == "/big" ? 5000 : 100, 'x');
    return reply;
  });
  auto t = transport();
  auto req = make("GET", "http://" + server.address() + "/big");
  req.max_body = 4096;
  auto resp = t->perform(req);
  REQUIRE_FALSE(resp);
  CHECK(resp.error().kind() == ErrorKind::limit);
  CHECK(resp.error().message() == "the response is larger than the limit of 4096 bytes");

  SECTION("streamed into a sink too") {
    std::size_t seen = 0;
    req.body_sink = [&seen](std::string_view chunk) {
      seen += chunk.size();
      return true;
    };
    resp = t->perform(req);
    REQUIRE_FALSE(resp);
    CHECK(resp.error().kind() == ErrorKind::limit);
    CHECK(seen <= 4096);
  }
  SECTION("at the limit is fine") {
    auto small = make("GET", "http://" + server.address() + "/small");
    small.max_body = 100;
    resp = t->perform(small);
    REQUIRE(resp);
    CHECK(resp->body.size() == 100);
  }
}

TEST_CASE("curl transport: the sink gets 2xx bodies only, other bodies stay for errors",
          "[transport]") {
  HttpServer server([](const ServerRequest& r) {
    ServerReply reply;
    reply.status = r.path == "/missing" ? 404 : 200;
    reply.body = r.path == "/missing" ? R"({"errors":[{"code":"BLOB_UNKNOWN"}]})" : "blob bytes";
    return reply;
  });
  auto t = transport();
  std::string sunk;
  auto req = make("GET", "http://" + server.address() + "/ok");
  req.body_sink = [&sunk](std::string_view chunk) {
    sunk.append(chunk);
    return true;
  };
  auto resp = t->perform(req);
  REQUIRE(resp);
  CHECK(sunk == "blob bytes");
  CHECK(resp->body.empty());

  sunk.clear();
  req.url = "http://" + server.address() + "/missing";
  resp = t->perform(req);
  REQUIRE(resp);
  CHECK(resp->status == 404);
  CHECK(sunk.empty());
  CHECK(resp->body == R"({"errors":[{"code":"BLOB_UNKNOWN"}]})");

  SECTION("a sink that refuses aborts the transfer") {
    req.url = "http://" + server.address() + "/ok";
    req.body_sink = [](std::string_view) { return false; };
    resp = t->perform(req);
    REQUIRE_FALSE(resp);
    CHECK(resp.error().kind() == ErrorKind::registry);
  }
}

TEST_CASE("curl transport: redirects keep Authorization on the same host only", "[transport]") {
  Recorder storage_rec;
  HttpServer storage([&storage_rec](const ServerRequest& r) {
    storage_rec.add(r);
    ServerReply reply;
    reply.body = "from storage";
    return reply;
  });
  Recorder registry_rec;
  // "localhost" and "127.0.0.1" are different hosts to libcurl, though the same socket.
  const std::string storage_url = "http://localhost:" + std::to_string(storage.port());
  HttpServer registry_server([&registry_rec, storage_url](const ServerRequest& r) {
    registry_rec.add(r);
    ServerReply reply;
    if (r.path == "/v2/x/blobs/elsewhere") {
      reply.status = 307;
      reply.headers = {{"Location", storage_url + "/bucket/blob?sig=1"}};
    } else if (r.path == "/v2/x/blobs/here") {
      reply.status = 307;
      reply.headers = {{"Location", "/v2/x/blobs/final"}};
    } else {
      reply.body = "from registry";
    }
    return reply;
  });
  auto t = transport();
  const std::string base = "http://" + registry_server.address();

  auto req = make("GET", base + "/v2/x/blobs/elsewhere", {{"Authorization", "Bearer SECRET"}});
  auto resp = t->perform(req);
  REQUIRE(resp);
  CHECK(resp->status == 200);
  CHECK(resp->body == "from storage");
  CHECK(resp->effective_url == storage_url + "/bucket/blob?sig=1");
  {
    std::lock_guard lock(storage_rec.mutex);
    REQUIRE(storage_rec.requests.size() == 1);
    CHECK(storage_rec.requests[0].header("authorization").empty());
  }

  req.url = base + "/v2/x/blobs/here";
  resp = t->perform(req);
  REQUIRE(resp);
  CHECK(resp->body == "from registry");
  {
    std::lock_guard lock(registry_rec.mutex);
    REQUIRE(registry_rec.requests.size() == 3);
    CHECK(registry_rec.requests[2].path == "/v2/x/blobs/final");
    CHECK(registry_rec.requests[2].header("authorization") == "Bearer SECRET");
  }

  SECTION("uploads are not redirected") {
    auto post = make("POST", base + "/v2/x/blobs/here");
    resp = t->perform(post);
    REQUIRE(resp);
    CHECK(resp->status == 307);
  }
  SECTION("unless asked not to, GETs are not either") {
    auto get = make("GET", base + "/v2/x/blobs/elsewhere");
    get.follow_redirects = false;
    resp = t->perform(get);
    REQUIRE(resp);
    CHECK(resp->status == 307);
  }
}

TEST_CASE("curl transport: one connection serves a run, across threads", "[transport]") {
  Recorder rec;
  HttpServer server([&rec](const ServerRequest& r) {
    rec.add(r);
    ServerReply reply;
    reply.body = "ok";
    return reply;
  });
  auto t = transport();
  const std::string url = "http://" + server.address() + "/v2/";
  for (int i = 0; i < 20; ++i) {
    auto req = make(i % 2 ? "HEAD" : "GET", url);
    REQUIRE(t->perform(req));
  }
  CHECK(rec.connection_count() == 1);

  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&] {
      for (int j = 0; j < 10; ++j) {
        auto req = make("GET", url);
        if (auto resp = t->perform(req); resp && resp->status == 200)
          ++ok;
      }
    });
  for (auto& th : threads)
    th.join();
  CHECK(ok == 40);
  CHECK(rec.connection_count() <= 5); // at most one more per concurrent thread
}

TEST_CASE("curl transport: failures are network errors that say what to do", "[transport]") {
  SECTION("nothing listens") {
    std::uint16_t port = 0;
    {
      HttpServer gone([](const ServerRequest&) { return ServerReply{}; });
      port = gone.port();
    }
    auto req = make("GET", "http://127.0.0.1:" + std::to_string(port) + "/v2/");
    auto resp = transport()->perform(req);
    REQUIRE_FALSE(resp);
    CHECK(resp.error().kind() == ErrorKind::network);
    CHECK(resp.error().message().find("is the registry running at that address?") !=
          std::string::npos);
    CHECK_FALSE(req.permanent_failure); // it may come back: worth a retry
  }
  SECTION("a server that stalls past the timeout") {
    HttpServer slow([](const ServerRequest&) {
      ServerReply reply;
      reply.delay = std::chrono::milliseconds(5000);
      return reply;
    });
    auto req = make("GET", "http://" + slow.address() + "/v2/");
    auto resp = transport(std::chrono::milliseconds(300))->perform(req);
    REQUIRE_FALSE(resp);
    CHECK(resp.error().kind() == ErrorKind::network);
    CHECK(resp.error().message().find("see --timeout") != std::string::npos);
  }
  SECTION("HTTPS to a plain-HTTP server names --allow-http-registry") {
    // A plain-HTTP server answers the TLS ClientHello with a 400, as Go's net/http does.
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), len) == 0);
    REQUIRE(::listen(fd, 1) == 0);
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    std::thread answer([fd] {
      int c = ::accept(fd, nullptr, nullptr);
      if (c < 0)
        return;
      char buf[512];
      (void)::read(c, buf, sizeof buf);
      const char reply[] = "HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an "
                           "HTTPS server.\n";
      (void)::write(c, reply, sizeof reply - 1);
      ::close(c);
    });
    auto req = make("GET", "https://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/v2/");
    auto resp = transport()->perform(req);
    answer.join();
    ::close(fd);
    REQUIRE_FALSE(resp);
    CHECK(resp.error().kind() == ErrorKind::network);
    INFO(resp.error().message());
    CHECK(resp.error().message().find("--allow-http-registry") != std::string::npos);
    CHECK(req.permanent_failure); // a retry would say the same
  }
  SECTION("a body cut short") {
    HttpServer cut([](const ServerRequest&) {
      ServerReply reply;
      reply.body = std::string(1000, 'x');
      reply.body_cut = 10;
      return reply;
    });
    auto req = make("GET", "http://" + cut.address() + "/v2/");
    auto resp = transport()->perform(req);
    REQUIRE_FALSE(resp);
    CHECK(resp.error().kind() == ErrorKind::network);
  }
}

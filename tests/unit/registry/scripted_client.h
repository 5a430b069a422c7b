// The registry client over a scripted transport, for the client's unit tests: replies replayed
// in order, every request recorded (method, URL, headers, body), sleeps between retries recorded.
#pragma once

#include <catch2/catch.hpp>

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "registry/client.h"

namespace isign::testing {

using registry::Client;
using registry::ClientOptions;
using registry::Credentials;
using registry::HttpRequest;
using registry::HttpResponse;
using registry::Transport;

struct Recorded {
  std::string method, url, body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string header(const std::string& name) const {
    for (const auto& [k, v] : headers)
      if (k == name)
        return v;
    return "";
  }
};

// Replays scripted replies in order and records every request. A reply behaves as the curl
// transport does: bodies over max_body are a limit error, and 2xx bodies go to body_sink when set.
class ScriptedTransport : public Transport {
public:
  using Reply = std::function<common::Result<HttpResponse>(HttpRequest&)>;
  std::deque<Reply> replies;
  std::vector<Recorded>* log;
  explicit ScriptedTransport(std::vector<Recorded>* l) : log(l) {}
  common::Result<HttpResponse> perform(HttpRequest& r) override {
    log->push_back({r.method, r.url, r.body, r.headers});
    if (replies.empty())
      return common::make_error(common::ErrorKind::internal, "no scripted reply");
    auto next = std::move(replies.front());
    replies.pop_front();
    return next(r);
  }
};

inline ScriptedTransport::Reply deliver(HttpResponse response) {
  return [response](HttpRequest& r) -> common::Result<HttpResponse> {
    HttpResponse out = response;
    if (out.body.size() > r.max_body)
      return common::make_error(common::ErrorKind::limit, "over the limit");
    if (r.body_sink && out.status >= 200 && out.status < 300) {
      r.body_sink(out.body);
      out.body.clear();
    }
    return out;
  };
}

inline HttpResponse resp(long status, std::string body = "",
                         std::multimap<std::string, std::string> headers = {}) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  return r;
}

struct Harness {
  std::vector<Recorded> log;
  std::vector<std::chrono::milliseconds> waits;
  ScriptedTransport* transport = nullptr;
  std::unique_ptr<Client> client;
  explicit Harness(ClientOptions options = {}) {
    options.sleep = [this](std::chrono::milliseconds ms) { waits.push_back(ms); };
    if (!options.credential_lookup)
      options.credential_lookup = [](std::string_view) {
        return common::Result<std::optional<Credentials>>(std::optional<Credentials>());
      };
    auto t = std::make_unique<ScriptedTransport>(&log);
    transport = t.get();
    client = Client::create(std::move(options), std::move(t));
  }
  void reply(HttpResponse r) { transport->replies.push_back(deliver(std::move(r))); }
  void fail(common::ErrorKind kind, std::string msg) {
    transport->replies.push_back([kind, msg](HttpRequest&) -> common::Result<HttpResponse> {
      return common::make_error(kind, msg);
    });
  }
  // A network error the transport knows a retry would repeat (e.g. TLS verification).
  void fail_permanently(std::string msg) {
    transport->replies.push_back([msg](HttpRequest& r) -> common::Result<HttpResponse> {
      r.permanent_failure = true;
      return common::make_error(common::ErrorKind::network, msg);
    });
  }
  // A 200 whose body stops after `partial` with a connection error.
  void break_off(std::string partial) {
    transport->replies.push_back([partial](HttpRequest& r) -> common::Result<HttpResponse> {
      if (r.body_sink)
        r.body_sink(partial);
      return common::make_error(common::ErrorKind::network,
                                "Recv failure: Connection reset by peer");
    });
  }
};

} // namespace isign::testing

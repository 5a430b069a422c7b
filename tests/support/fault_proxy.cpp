#include "tests/support/fault_proxy.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <curl/curl.h>
#include <exception>
#include <iostream>
#include <nlohmann/json.hpp>
#include <thread>

#include "tests/support/curl_sinks.h"
#include "tests/support/referrers_proxy.h"
#include "tests/support/text.h"

namespace isign::testing {

namespace {

// Connection-level headers (RFC 9110 section 7.6.1) belong to one hop and are not forwarded;
// lengths and framing are recomputed for each side.
bool hop_by_hop(const std::string& name) {
  static const char* names[] = {
      "connection",        "keep-alive",        "proxy-connection", "te",     "trailer",
      "upgrade",           "transfer-encoding", "content-length",   "expect", "proxy-authorization",
      "proxy-authenticate"};
  return std::any_of(std::begin(names), std::end(names), [&](const char* n) { return name == n; });
}

ServerReply error_reply(int status, const std::string& code, const std::string& message) {
  ServerReply reply;
  reply.status = status;
  reply.headers = {{"Content-Type", "application/json; charset=utf-8"},
                   {"Docker-Distribution-Api-Version", "registry/2.0"}};
  reply.body = R"({"errors":[{"code":")" + code + R"(","message":")" + message + R"("}]})" + "\n";
  return reply;
}

const bool curl_ready = (curl_global_init(CURL_GLOBAL_DEFAULT), true);

} // namespace

Fault Fault::http_status(int code) {
  return {.kind = Kind::http_status, .status = code};
}

Fault Fault::throttle(int retry_after_seconds) {
  return {.kind = Kind::throttle, .status = 429, .retry_after_seconds = retry_after_seconds};
}

Fault Fault::close_mid_body(std::size_t keep) {
  return {.kind = Kind::close_mid_body, .keep = keep};
}

Fault Fault::truncate_body(std::size_t keep) {
  return {.kind = Kind::truncate_body, .keep = keep};
}

Fault Fault::corrupt_body() {
  return {.kind = Kind::corrupt_body};
}

Fault Fault::stall(std::chrono::milliseconds delay) {
  return {.kind = Kind::stall, .delay = delay};
}

Fault Fault::drop() {
  return {.kind = Kind::drop};
}

Fault Fault::redirect(std::string location) {
  return {.kind = Kind::redirect, .status = 307, .location = std::move(location)};
}

Fault Fault::replace_body(std::string body) {
  return {.kind = Kind::replace_body, .body = std::move(body)};
}

Fault Fault::set_header(std::string name, std::string value) {
  return {.kind = Kind::set_header, .body = std::move(value), .header = std::move(name)};
}

Fault Fault::hold(std::chrono::milliseconds delay) {
  return {.kind = Kind::hold, .delay = delay};
}

Fault Fault::stored_then_status(int code) {
  return {.kind = Kind::stored_then_status, .status = code};
}

const char* Fault::name() const {
  switch (kind) {
  case Kind::pass:
    return "pass";
  case Kind::http_status:
    return "http_status";
  case Kind::throttle:
    return "throttle";
  case Kind::close_mid_body:
    return "close_mid_body";
  case Kind::truncate_body:
    return "truncate_body";
  case Kind::corrupt_body:
    return "corrupt_body";
  case Kind::stall:
    return "stall";
  case Kind::drop:
    return "drop";
  case Kind::redirect:
    return "redirect";
  case Kind::replace_body:
    return "replace_body";
  case Kind::set_header:
    return "set_header";
  case Kind::hold:
    return "hold";
  case Kind::stored_then_status:
    return "stored_then_status";
  }
  return "?";
}

// Upstream curl handles, reused across requests so the proxy keeps its registry connections.
struct FaultProxy::Pool {
  std::mutex mu;
  std::vector<CURL*> idle;
  ~Pool() {
    for (CURL* c : idle)
      curl_easy_cleanup(c);
  }
  CURL* take() {
    std::lock_guard lock(mu);
    if (idle.empty())
      return curl_easy_init();
    CURL* c = idle.back();
    idle.pop_back();
    return c;
  }
  void give(CURL* c) {
    std::lock_guard lock(mu);
    idle.push_back(c);
  }
};

FaultProxy::FaultProxy(const RegistryEndpoint& upstream)
    : upstream_(upstream), pool_(std::make_unique<Pool>()) {
  (void)curl_ready;
  server_ = std::make_unique<HttpServer>([this](const ServerRequest& r) { return handle(r); });
  endpoint_.host = server_->address();
  endpoint_.tls = false;
  endpoint_.username = upstream.username;
  endpoint_.password = upstream.password;
}

FaultProxy::~FaultProxy() {
  stop();
  if (current_test_failed() || std::uncaught_exceptions() > 0)
    std::cerr << "---- fault proxy " << url() << " -> " << upstream_.host << " requests ----\n"
              << describe() << "---- end of fault proxy requests ----\n";
}

void FaultProxy::stop() {
  stopping_ = true;
  server_->stop();
}

void FaultProxy::inject(FaultRule rule) {
  std::lock_guard lock(mu_);
  rules_.push_back(std::move(rule));
}

void FaultProxy::clear_faults() {
  std::lock_guard lock(mu_);
  rules_.clear();
}

std::vector<ProxiedRequest> FaultProxy::requests() const {
  std::lock_guard lock(mu_);
  return log_;
}

std::size_t FaultProxy::request_count() const {
  std::lock_guard lock(mu_);
  return log_.size();
}

std::size_t FaultProxy::count(const std::string& method, const std::string& path_contains) const {
  std::lock_guard lock(mu_);
  return static_cast<std::size_t>(std::count_if(log_.begin(), log_.end(), [&](const auto& r) {
    return (method.empty() || r.method == method) &&
           r.target.find(path_contains) != std::string::npos;
  }));
}

std::string FaultProxy::describe() const {
  std::lock_guard lock(mu_);
  std::string out;
  for (const auto& r : log_)
    out += "  " + r.method + " " + r.target + " -> " +
           (r.status ? std::to_string(r.status) : std::string("(no answer)")) +
           (r.fault == "pass" ? "" : "  [" + r.fault + "]") + "\n";
  return out;
}

void FaultProxy::paginate_tags(std::size_t page_size) {
  std::lock_guard lock(mu_);
  tag_page_size_ = page_size;
}

void FaultProxy::serve_referrers(const ReferrersOptions& options) {
  std::lock_guard lock(mu_);
  referrers_ = std::make_shared<ReferrersIndex>(options);
}

std::size_t FaultProxy::referrers_served() const {
  std::lock_guard lock(mu_);
  return referrers_ ? referrers_->served() : 0;
}

std::vector<std::string> FaultProxy::recorded_referrers(const std::string& repo,
                                                        const std::string& subject) const {
  std::lock_guard lock(mu_);
  return referrers_ ? referrers_->referrers(repo, subject) : std::vector<std::string>{};
}

ServerReply FaultProxy::tags_page(const ServerRequest& request, std::size_t page_size) {
  ServerRequest full = request;
  full.target = request.path;
  full.query.clear();
  ServerReply reply = forward(full);
  auto json = nlohmann::json::parse(reply.body, nullptr, false);
  if (reply.status != 200 || !json.is_object() || !json["tags"].is_array())
    return reply;
  auto n_param = request.query_values("n");
  auto last_param = request.query_values("last");
  std::size_t n = n_param.empty() ? page_size : std::strtoull(n_param.front().c_str(), nullptr, 10);
  std::vector<std::string> all = json["tags"].get<std::vector<std::string>>();
  std::sort(all.begin(), all.end());
  auto begin = last_param.empty() ? all.begin()
                                  : std::upper_bound(all.begin(), all.end(), last_param.front());
  auto end =
      static_cast<std::size_t>(all.end() - begin) > n ? begin + static_cast<long>(n) : all.end();
  json["tags"] = std::vector<std::string>(begin, end);
  reply.body = json.dump() + "\n";
  if (end != all.end() && end != begin)
    reply.headers.emplace_back("Link", "<" + request.path + "?n=" + std::to_string(n) +
                                           "&last=" + *(end - 1) + ">; rel=\"next\"");
  return reply;
}

ServerReply FaultProxy::handle(const ServerRequest& request) {
  Fault fault;
  std::size_t page_size = 0;
  std::shared_ptr<ReferrersIndex> referrers;
  {
    std::lock_guard lock(mu_);
    page_size = tag_page_size_;
    referrers = referrers_;
    for (auto& rule : rules_) {
      if (rule.times == 0)
        continue;
      if (!rule.method.empty() && rule.method != request.method)
        continue;
      if (request.target.find(rule.path_contains) == std::string::npos)
        continue;
      fault = rule.fault;
      if (rule.times > 0)
        --rule.times;
      break;
    }
  }

  // Every answer the registry gave goes past the referrers records (a write stored, then
  // reported failed, is stored all the same).
  auto forward_seen = [&](const ServerRequest& r) {
    ServerReply seen = forward(r);
    if (referrers)
      referrers->observe(r, seen);
    return seen;
  };
  ServerReply reply;
  bool paging = false, listing = false;
  switch (fault.kind) {
  case Fault::Kind::http_status:
    reply = error_reply(fault.status, fault.status >= 500 ? "UNKNOWN" : "DENIED",
                        "fault injected by the test proxy");
    break;
  case Fault::Kind::throttle:
    reply = error_reply(429, "TOOMANYREQUESTS", "fault injected by the test proxy");
    reply.headers.emplace_back("Retry-After", std::to_string(fault.retry_after_seconds));
    break;
  case Fault::Kind::drop:
    reply.drop = true;
    break;
  case Fault::Kind::hold: {
    const auto until = std::chrono::steady_clock::now() + fault.delay;
    while (!stopping_ && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    reply = forward_seen(request);
    break;
  }
  case Fault::Kind::stored_then_status:
    forward_seen(request);
    reply = error_reply(fault.status, fault.status >= 500 ? "UNKNOWN" : "DENIED",
                        "fault injected by the test proxy after the request was stored");
    break;
  case Fault::Kind::redirect:
    // A 307 keeps the method, as registries do when they send blob downloads to storage.
    reply.status = fault.status;
    reply.headers = {{"Location", fault.location + request.target},
                     {"Docker-Distribution-Api-Version", "registry/2.0"}};
    break;
  default: {
    bool tags = page_size > 0 && request.method == "GET" && request.path.size() >= 10 &&
                request.path.compare(request.path.size() - 10, 10, "/tags/list") == 0;
    listing = referrers && ReferrersIndex::is_listing(request);
    reply = listing ? referrers->answer(request)
            : tags  ? tags_page(request, page_size)
                    : forward_seen(request);
    paging = tags && fault.kind == Fault::Kind::pass;
    listing = listing && fault.kind == Fault::Kind::pass;
    break;
  }
  }

  std::size_t keep =
      fault.keep > 0 ? std::min(fault.keep, reply.body.size()) : reply.body.size() / 2;
  switch (fault.kind) {
  case Fault::Kind::close_mid_body:
    // The headers keep the full length; the client sees the connection end inside the body.
    reply.headers.emplace_back("Content-Length", std::to_string(reply.body.size()));
    reply.body_cut = keep;
    break;
  case Fault::Kind::truncate_body:
    reply.body.resize(keep);
    break;
  case Fault::Kind::corrupt_body:
    if (!reply.body.empty())
      reply.body[reply.body.size() / 2] ^= 0x01;
    break;
  case Fault::Kind::stall:
    reply.delay = fault.delay;
    break;
  case Fault::Kind::replace_body:
    reply.body = fault.body;
    break;
  case Fault::Kind::set_header:
    std::erase_if(reply.headers,
                  [&](const auto& h) { return lower(h.first) == lower(fault.header); });
    reply.headers.emplace_back(fault.header, fault.body);
    break;
  default:
    break;
  }

  std::lock_guard lock(mu_);
  log_.push_back({request.method, request.target, reply.drop ? 0 : reply.status,
                  paging    ? "paginate"
                  : listing ? "referrers"
                            : fault.name()});
  return reply;
}

ServerReply FaultProxy::forward(const ServerRequest& request) {
  ServerReply reply;
  CURL* c = pool_->take();
  if (!c)
    return error_reply(502, "UNKNOWN", "test proxy: curl_easy_init failed");
  curl_easy_reset(c); // keeps the open upstream connection
  char errbuf[CURL_ERROR_SIZE] = {0};
  std::string url = upstream_.base_url() + request.target;
  set_request_options(c, url, upstream_.ca_file, errbuf);
  if (request.method == "HEAD") {
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  } else if (request.method == "GET") {
    curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
  } else {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
  // The client's Host header goes upstream unchanged, so the registry builds upload Locations
  // that point back at the proxy; X-Forwarded-Proto keeps them http:// when upstream is TLS.
  curl_slist* list = nullptr;
  bool has_content_type = false;
  for (const auto& [name, value] : request.headers) {
    if (hop_by_hop(name))
      continue;
    if (name == "content-type")
      has_content_type = true;
    list = curl_slist_append(list, (name + ": " + value).c_str());
  }
  // libcurl would add a form Content-Type to a body-carrying request that has none.
  if (!has_content_type)
    list = curl_slist_append(list, "Content-Type:");
  list = curl_slist_append(list, "Expect:");
  list = curl_slist_append(list, "X-Forwarded-Proto: http");
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
  collect_response(c, &reply.body, &reply.headers);
  CURLcode rc = curl_easy_perform(c);
  curl_slist_free_all(list);
  long status = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  pool_->give(c);
  if (rc != CURLE_OK)
    return error_reply(502, "UNKNOWN",
                       std::string("test proxy: upstream: ") + curl_easy_strerror(rc));
  reply.status = static_cast<int>(status);
  HeaderList kept;
  std::string upstream_length;
  for (auto& [name, value] : reply.headers) {
    std::string n = lower(name);
    if (n == "content-length")
      upstream_length = value;
    if (!hop_by_hop(n))
      kept.emplace_back(name, value);
  }
  // A HEAD answer has no body to measure: pass the registry's length on.
  if (request.method == "HEAD" && !upstream_length.empty())
    kept.emplace_back("Content-Length", upstream_length);
  reply.headers = std::move(kept);
  return reply;
}

} // namespace isign::testing

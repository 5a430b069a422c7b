// A fault-injecting HTTP proxy between isign and a real registry: plain HTTP on 127.0.0.1,
// forwarding to the registry (HTTP or HTTPS) with libcurl, and applying scripted faults to the
// requests that match a rule. Counts and logs every request (never its Authorization header);
// the log is printed when the test fails.
//
//   RegistryFixture reg;
//   FaultProxy proxy(reg);
//   proxy.inject({"GET", "/manifests/", Fault::http_status(500), 1}); // one 500, then pass
//   run_isign({"--allow-http-registry", "inspect", proxy.ref("app:v1")});
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "tests/support/http_server.h"
#include "tests/support/registry_fixture.h"

namespace isign::testing {

class ReferrersIndex;
struct ReferrersOptions;

// What the proxy does to one request.
struct Fault {
  enum class Kind {
    pass,           // forward unchanged
    http_status,    // answer `status` with a registry-style JSON error; nothing is forwarded
    throttle,       // answer 429 with Retry-After: retry_after_seconds; nothing is forwarded
    close_mid_body, // forward; send headers with the full Content-Length, `keep` body bytes, close
    truncate_body, // forward; send a well-formed response whose body is only the first `keep` bytes
    corrupt_body,  // forward; flip one bit of the body (same length)
    stall,         // wait `delay` before answering (then forward); ends early when the proxy stops
    drop,          // close the connection without answering
    redirect,      // answer 307 with Location: `location` + the request target; nothing forwarded
    replace_body,  // forward; send `body` instead of the upstream body, with the upstream headers
                   // (so Docker-Content-Digest still names the original bytes). GET only.
    set_header,    // forward; replace the response header `header` (any case) with `body`
    hold,          // wait `delay`, then forward: the request reaches the registry late, even
                   // after the client gave up on it (an abandoned PUT that lands later)
    stored_then_status, // forward, then answer `status` with a registry-style error instead of
                        // the upstream's answer (a write that was stored but reported failed)
  };
  Kind kind = Kind::pass;
  int status = 500;
  int retry_after_seconds = 1;
  std::chrono::milliseconds delay{0};
  std::size_t keep = 0;   // 0: half of the body
  std::string location{}; // redirect: "http://HOST:PORT", the request target is appended
  std::string body{};     // replace_body; set_header: the header's value
  std::string header{};   // set_header: the header's name

  static Fault pass() { return {}; }
  static Fault http_status(int code);
  static Fault throttle(int retry_after_seconds);
  static Fault close_mid_body(std::size_t keep = 0);
  static Fault truncate_body(std::size_t keep = 0);
  static Fault corrupt_body();
  static Fault stall(std::chrono::milliseconds delay);
  static Fault drop();
  // location: an origin such as "http://127.0.0.1:5000" (the registry itself, another proxy).
  static Fault redirect(std::string location);
  static Fault replace_body(std::string body);
  static Fault set_header(std::string name, std::string value);
  static Fault hold(std::chrono::milliseconds delay);
  static Fault stored_then_status(int code);
  const char* name() const;
};

// Which requests a fault applies to, and how often.
struct FaultRule {
  std::string method{}; // "GET", "HEAD", ...; "" matches every method
  std::string
      path_contains{}; // substring of the request target, e.g. "/manifests/"; "" matches all
  Fault fault{};
  int times = 1; // applies to the first `times` matching requests; -1: to all of them
};

// One request as the proxy saw it.
struct ProxiedRequest {
  std::string method;
  std::string target;
  int status = 0; // status sent to the client (0: none, the connection was dropped)
  std::string
      fault; // Fault::name() of the applied fault, "pass" (or "paginate", "referrers") otherwise
};

class FaultProxy : public RegistryAddress {
public:
  // Starts forwarding to upstream at once; credentials in upstream are kept in endpoint() only.
  explicit FaultProxy(const RegistryEndpoint& upstream);
  ~FaultProxy();
  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;

  // url(), ref(), endpoint() (RegistryAddress): the proxy's, plain HTTP, with the upstream's
  // credentials.

  // Rules are tried in the order added; the first one that matches and has uses left applies.
  void inject(FaultRule rule);
  void clear_faults();

  // Makes the proxy page tag lists as OCI distribution describes (distribution 2.8 never pages):
  // GET .../tags/list[?n=N&last=T] is answered from the registry's full list with at most N
  // (default page_size) tags after T, and a `Link: <...>; rel="next"` header while more remain.
  // 0 turns it off.
  void paginate_tags(std::size_t page_size);

  // Makes the proxy serve the referrers API that distribution 2.8 lacks (referrers_proxy.h says
  // what it records and answers; ReferrersProxy is a proxy that does it from the start).
  void serve_referrers(const ReferrersOptions& options);
  // Referrers listings answered so far (0 unless serving referrers).
  std::size_t referrers_served() const;
  // The referrers recorded for subject in repo, in push order (empty unless serving referrers).
  std::vector<std::string> recorded_referrers(const std::string& repo,
                                              const std::string& subject) const;

  std::vector<ProxiedRequest> requests() const;
  std::size_t request_count() const;
  // Requests whose method equals `method` ("" any) and whose target contains `path_contains`.
  std::size_t count(const std::string& method, const std::string& path_contains = "") const;
  // One line per request, for failure output.
  std::string describe() const;

  // Stops accepting and drops open connections (ends stalls at once). Idempotent.
  void stop();

private:
  ServerReply handle(const ServerRequest& request);
  ServerReply forward(const ServerRequest& request);
  ServerReply tags_page(const ServerRequest& request, std::size_t page_size);

  struct Pool;
  RegistryEndpoint upstream_;
  std::unique_ptr<Pool> pool_;
  mutable std::mutex mu_;
  std::vector<FaultRule> rules_;
  std::vector<ProxiedRequest> log_;
  std::size_t tag_page_size_ = 0;
  std::shared_ptr<ReferrersIndex> referrers_; // null unless serving referrers
  std::atomic<bool> stopping_{false};         // ends holds early
  std::unique_ptr<HttpServer> server_;        // last: stops before the rest is destroyed
};

} // namespace isign::testing

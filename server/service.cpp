#include "server/service.h"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "common/file.h"
#include "common/time.h"
#include "registry/credentials.h"
#include "server/admission.h"
#include "server/metrics.h"
#include "server/snapshot.h"

namespace isign::server {

using nlohmann::json;

namespace {

// Threads that run reviews needing the registry; the I/O threads never wait on one.
class WorkPool {
public:
  explicit WorkPool(std::size_t threads) {
    for (std::size_t i = 0; i < threads; ++i)
      threads_.emplace_back([this] { work(); });
  }
  ~WorkPool() { stop(); }
  void post(std::function<void()> fn) {
    {
      std::lock_guard lock(mu_);
      queue_.push_back(std::move(fn));
    }
    cv_.notify_one();
  }
  // Runs what is queued, then joins.
  void stop() {
    {
      std::lock_guard lock(mu_);
      if (stopping_)
        return;
      stopping_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_)
      t.join();
  }

private:
  void work() {
    for (;;) {
      std::function<void()> fn;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
        if (queue_.empty())
          return;
        fn = std::move(queue_.front());
        queue_.pop_front();
      }
      fn();
    }
  }
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

std::string now_text() {
  return common::format_rfc3339(common::now_seconds());
}

HttpAnswer text(int status, std::string body) {
  return {status, "text/plain; charset=utf-8", std::move(body)};
}

// The review options with the registry client's: each verification makes its client from them
// with its review's deadline.
ReviewOptions review_options(const ServeOptions& options) {
  ReviewOptions review = options.review;
  review.client = options.client;
  return review;
}

const char* verdict_name(const ImageResult& r) {
  if (r.exempt)
    return "exempt";
  if (r.site.unchanged)
    return "unchanged";
  if (r.verdict.allowed)
    return r.verdict.digest.empty() ? "admitted" : "verified";
  if (r.admitted)
    return "admitted-unverified";
  return r.verdict.transient ? "error" : "refused";
}

class ServiceImpl final : public Service {
public:
  ServiceImpl(ServeOptions options, LogSink log)
      : options_(std::move(options)), log_(std::move(log)), pool_(options_.review_threads),
        verdicts_(options_.cache, [this](std::function<void()> fn) { pool_.post(std::move(fn)); }),
        reviewer_(review_options(options_), verdicts_, metrics_) {}

  ~ServiceImpl() override { shutdown(); }

  common::Result<void> start() {
    auto client = make_client();
    ISIGN_TRY(client);
    auto loaded = load_snapshot(options_.policy_path, std::move(*client));
    ISIGN_TRY(loaded);
    set_snapshot(std::move(*loaded));
    auth_fingerprint_ = files_fingerprint(auth_files());
    auto cert = read_tls();
    ISIGN_TRY(cert);
    tls_fingerprint_ = files_fingerprint({options_.tls_cert_path, options_.tls_key_path});
    HttpOptions http = options_.http;
    http.rejected = [this](int status) { metrics_.rejected_request(status); };
    auto server = HttpServer::start(
        http, cert->first, cert->second,
        [this](HttpRequest&& request, Respond respond) {
          handle(std::move(request), std::move(respond));
        });
    ISIGN_TRY_CONTEXT(server, "starting the HTTPS server");
    http_ = std::move(*server);
    watcher_ = std::thread([this] { watch(); });
    event("listening", {{"port", http_->port()}, {"policy", options_.policy_path}});
    return {};
  }

  std::uint16_t port() const override { return http_->port(); }

  void reload_now() override { check_files(); }

  void shutdown() override {
    if (stopped_.exchange(true))
      return;
    ready_ = false;
    {
      std::lock_guard lock(watch_mu_);
      stop_watch_ = true;
    }
    watch_cv_.notify_all();
    if (watcher_.joinable())
      watcher_.join();
    if (!http_) {
      pool_.stop();
      return;
    }
    http_->stop_accepting();
    event("stopping", {{"in_flight", http_->requests_in_flight()}});
    const auto until = Clock::now() + options_.shutdown_grace;
    while (http_->requests_in_flight() > 0 && Clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const std::size_t left = http_->requests_in_flight();
    http_->stop();
    pool_.stop();
    event("stopped", {{"unanswered", left}});
  }

private:
  common::Result<std::shared_ptr<registry::Client>> make_client() {
    registry::ClientOptions o = options_.client;
    o.deadline.reset();
    return std::shared_ptr<registry::Client>(registry::Client::create(std::move(o)));
  }

  std::vector<std::string> auth_files() const {
    std::vector<std::string> out;
    for (const auto& f : registry::auth_file_paths())
      out.push_back(f.path);
    return out;
  }

  common::Result<std::pair<std::string, std::string>> read_tls() const {
    auto cert = common::read_file(options_.tls_cert_path, 1u << 20);
    ISIGN_TRY_CONTEXT(cert, "--tls-cert '" + options_.tls_cert_path + "'");
    auto key = common::read_file(options_.tls_key_path, 1u << 20);
    ISIGN_TRY_CONTEXT(key, "--tls-key '" + options_.tls_key_path + "'");
    return std::pair{std::move(*cert), std::move(*key)};
  }

  std::shared_ptr<const Snapshot> snapshot() const {
    std::lock_guard lock(snapshot_mu_);
    return snapshot_;
  }

  void set_snapshot(LoadedSnapshot loaded) {
    std::lock_guard lock(snapshot_mu_);
    snapshot_ = std::move(loaded.snapshot);
    watched_ = std::move(loaded.files);
  }

  void event(const std::string& what, json fields = json::object()) {
    fields["time"] = now_text();
    fields["event"] = what;
    log_(fields.dump(-1, ' ', false, json::error_handler_t::replace));
  }

  // The periodic check: each kind of file reloaded when its bytes changed; a reload that fails
  // keeps what was in use, is logged and counted, and is not retried until the bytes change
  // again.
  void check_files() {
    std::lock_guard lock(reload_mu_);
    std::vector<std::string> watched;
    std::shared_ptr<const Snapshot> current;
    {
      std::lock_guard s(snapshot_mu_);
      watched = watched_;
      current = snapshot_;
    }
    const std::string policy_print = files_fingerprint(watched);
    if (policy_print != current->generation && policy_print != refused_policy_) {
      auto loaded = load_snapshot(options_.policy_path, current->client);
      metrics_.reload(ReloadOf::policy, loaded.ok());
      if (loaded) {
        event("reloaded", {{"what", "policy"}, {"generation", loaded->snapshot->generation}});
        set_snapshot(std::move(*loaded));
        refused_policy_.clear();
      } else {
        refused_policy_ = policy_print;
        event("reload refused", {{"what", "policy"},
                                 {"error", loaded.error().message()},
                                 {"kept", current->generation}});
      }
    }
    const std::string tls_print =
        files_fingerprint({options_.tls_cert_path, options_.tls_key_path});
    if (tls_print != tls_fingerprint_) {
      tls_fingerprint_ = tls_print;
      auto pair = read_tls();
      common::Result<void> ok = pair ? http_->set_certificate(pair->first, pair->second)
                                     : common::Result<void>(pair.error());
      metrics_.reload(ReloadOf::tls, ok.ok());
      if (ok)
        event("reloaded", {{"what", "tls"}});
      else
        event("reload refused", {{"what", "tls"}, {"error", ok.error().message()}});
    }
    const std::string auth_print = files_fingerprint(auth_files());
    if (auth_print != auth_fingerprint_) {
      auth_fingerprint_ = auth_print;
      // A new client: credentials and the tokens they bought are read afresh.
      auto client = make_client();
      metrics_.reload(ReloadOf::registry_auth, client.ok());
      if (client) {
        auto next = std::make_shared<Snapshot>(*snapshot());
        next->client = std::move(*client);
        std::lock_guard s(snapshot_mu_);
        snapshot_ = std::move(next);
        event("reloaded", {{"what", "registry credentials"}});
      } else {
        event("reload refused",
              {{"what", "registry credentials"}, {"error", client.error().message()}});
      }
    }
  }

  void watch() {
    std::unique_lock lock(watch_mu_);
    while (!watch_cv_.wait_for(lock, options_.reload_interval, [&] { return stop_watch_; })) {
      lock.unlock();
      check_files();
      lock.lock();
    }
  }

  void handle(HttpRequest&& request, Respond respond) {
    const auto arrived = Clock::now();
    const std::string path = request.target.substr(0, request.target.find('?'));
    const bool review = path == "/validate" || path == "/mutate";
    if (!review && path != "/healthz" && path != "/readyz" && path != "/metrics") {
      metrics_.rejected_request(404);
      return respond(text(404, "no such endpoint: use /validate, /mutate, /healthz, /readyz, "
                               "/metrics\n"));
    }
    if (request.method != (review ? "POST" : "GET")) {
      metrics_.rejected_request(405);
      return respond(text(405, path + " takes " + (review ? "POST" : "GET") + "\n"));
    }
    if (path == "/healthz")
      return respond(text(200, "ok\n"));
    if (path == "/readyz")
      return respond(ready_ ? text(200, "ok\n") : text(503, "stopping\n"));
    if (path == "/metrics")
      return respond({200, "text/plain; version=0.0.4; charset=utf-8", metrics_.render()});
    if (request.content_type.rfind("application/json", 0) != 0) {
      metrics_.rejected_request(415);
      return respond(text(415, "an AdmissionReview is sent as application/json\n"));
    }
    auto parsed = parse_admission_review(request.body);
    if (!parsed) {
      metrics_.rejected_request(400);
      return respond(text(400, parsed.error().message() + "\n"));
    }
    const bool mutate = path == "/mutate";
    auto snap = snapshot();
    metrics_.in_flight(1);
    if (auto fast = reviewer_.try_cached(*parsed, mutate, snap))
      return answer(*parsed, mutate, *fast, arrived, respond);
    const auto deadline = arrived + options_.review.deadline;
    pool_.post([this, req = std::move(*parsed), mutate, snap, deadline, arrived,
                respond = std::move(respond)] {
      auto result = reviewer_.review(req, mutate, snap, deadline);
      answer(req, mutate, result, arrived, respond);
    });
  }

  void answer(const AdmissionRequest& request, bool mutate, const ReviewResult& result,
              Clock::time_point arrived, const Respond& respond) {
    respond({200, "application/json", admission_response(request, result.answer)});
    const double seconds = std::chrono::duration<double>(Clock::now() - arrived).count();
    metrics_.in_flight(-1);
    metrics_.review(mutate ? Endpoint::mutate : Endpoint::validate, result.answer.allowed,
                    seconds);
    json images = json::array();
    for (const auto& r : result.images) {
      json i = {{"container", r.site.container}, {"image", r.site.image},
                {"verdict", verdict_name(r)},     {"cached", r.cached}};
      if (!r.verdict.digest.empty())
        i["digest"] = r.verdict.digest;
      if (!r.verdict.reason.empty())
        i["reason"] = r.verdict.reason;
      images.push_back(std::move(i));
    }
    json line = {{"time", now_text()},
                 {"event", "review"},
                 {"endpoint", mutate ? "mutate" : "validate"},
                 {"uid", request.uid},
                 {"kind", request.kind},
                 {"namespace", request.namespace_name},
                 {"name", request.name},
                 {"operation", request.operation},
                 {"dryRun", request.dry_run},
                 {"allowed", result.answer.allowed},
                 {"namespaceExempt", result.namespace_exempt},
                 {"patched", result.answer.patches.size()},
                 {"durationMs", seconds * 1000},
                 {"images", std::move(images)}};
    log_(line.dump(-1, ' ', false, json::error_handler_t::replace));
  }

  ServeOptions options_;
  LogSink log_;
  Metrics metrics_;
  WorkPool pool_;
  Verdicts verdicts_;
  Reviewer reviewer_;
  std::unique_ptr<HttpServer> http_;

  mutable std::mutex snapshot_mu_;
  std::shared_ptr<const Snapshot> snapshot_;
  std::vector<std::string> watched_;

  std::mutex reload_mu_;
  std::string refused_policy_, tls_fingerprint_, auth_fingerprint_;

  std::thread watcher_;
  std::mutex watch_mu_;
  std::condition_variable watch_cv_;
  bool stop_watch_ = false;
  std::atomic<bool> ready_{true};
  std::atomic<bool> stopped_{false};
};

} // namespace

common::Result<std::unique_ptr<Service>> Service::start(ServeOptions options, LogSink log) {
  auto service = std::make_unique<ServiceImpl>(std::move(options), std::move(log));
  if (auto ok = service->start(); !ok)
    return ok.error();
  return std::unique_ptr<Service>(std::move(service));
}

} // namespace isign::server

// isign serve: the admission webhook's front end. Reads the flags and the signals; the server
// itself is server/'s.
#include <csignal>
#include <iostream>
#include <mutex>
#include <pthread.h>

#include "cli/cli.h"
#include "cli/registry_options.h"
#include "server/service.h"

namespace isign::cli {

namespace {

constexpr std::string_view kName = "serve";

// A --listen value: "ADDR:PORT", "[IPv6]:PORT".
common::Result<void> parse_listen(const std::string& text, server::HttpOptions& http) {
  auto colon = text.rfind(':');
  auto bad = [&] {
    return common::make_error(common::ErrorKind::usage,
                              "--listen '" + text.substr(0, 64) +
                                  "': expected ADDRESS:PORT, e.g. 0.0.0.0:8443 or [::]:8443");
  };
  if (colon == std::string::npos || colon + 1 == text.size())
    return bad();
  std::string address = text.substr(0, colon);
  const std::string port = text.substr(colon + 1);
  if (address.size() >= 2 && address.front() == '[' && address.back() == ']')
    address = address.substr(1, address.size() - 2);
  if (address.empty() || port.size() > 5 ||
      port.find_first_not_of("0123456789") != std::string::npos)
    return bad();
  const long value = std::stol(port);
  if (value > 65535)
    return bad();
  http.address = address;
  http.port = static_cast<std::uint16_t>(value);
  return {};
}

// A seconds flag within [min, max], as milliseconds.
common::Result<std::chrono::milliseconds>
seconds_between(const cxxopts::ParseResult& args, const char* name, double min, double max) {
  auto value = seconds_option(args, name);
  ISIGN_TRY(value);
  if (!(*value >= min && *value <= max))
    return common::make_error(common::ErrorKind::usage,
                              std::string("--") + name + " must be from " + std::to_string(min) +
                                  " to " + std::to_string(max) + " seconds");
  return std::chrono::milliseconds(std::llround(*value * 1000));
}

} // namespace

int cmd_serve(int argc, char** argv) {
  cxxopts::Options opts(
      std::string(kName),
      "Run the Kubernetes admission webhook: POST /validate checks every image of Pods and of "
      "the workloads that make them against the policy; POST /mutate also pins each tag to the "
      "digest verified. GET /healthz, /readyz, /metrics (Prometheus). The policy, its keys, the "
      "registry credentials and the TLS pair are reloaded when they change.\n"
      "Usage: isign serve --policy policy.json --tls-cert tls.crt --tls-key tls.key "
      "[--listen 0.0.0.0:8443]");
  opts.add_options()("policy", "the policy file (isign's or containers-policy.json)",
                     cxxopts::value<std::string>(), "FILE")(
      "tls-cert", "the serving certificate chain (PEM)", cxxopts::value<std::string>(),
      "FILE")("tls-key", "the serving key (PEM)", cxxopts::value<std::string>(), "FILE")(
      "listen", "address and port", cxxopts::value<std::string>()->default_value("0.0.0.0:8443"),
      "ADDR:PORT")("fail-open",
                   "admit images whose verification failed because the registry could not be "
                   "asked (unreachable, 5xx, deadline). Risky: whoever can cut the registry off "
                   "gets unverified images admitted")(
      "review-deadline",
      "answer each review within this many seconds, verified or not (below the webhook's "
      "timeoutSeconds, 10 by default)",
      cxxopts::value<std::string>()->default_value("8"),
      "SECONDS")("cache-ttl",
                 "serve a passing verdict for at most this long; it is re-checked in the "
                 "background after half of it",
                 cxxopts::value<std::string>()->default_value("60"),
                 "SECONDS")("negative-cache-ttl", "serve a refusal for this long",
                            cxxopts::value<std::string>()->default_value("10"), "SECONDS")(
      "reload-interval", "how often changed files are looked for",
      cxxopts::value<std::string>()->default_value("2"),
      "SECONDS")("shutdown-grace", "on SIGTERM, how long reviews under way get to be answered",
                 cxxopts::value<std::string>()->default_value("20"), "SECONDS")(
      "client-timeout",
      "a client must send a request's header within this of connecting (or of its last "
      "answer), and its body within this of the header; slower clients are cut off",
      cxxopts::value<std::string>()->default_value("10"), "SECONDS")("h,help", "show this help");
  add_registry_options(opts, false);
  int exit = kOk;
  auto args = parse(opts, argc, argv, &exit);
  if (!args)
    return exit;
  for (const char* required : {"policy", "tls-cert", "tls-key"})
    if (!args->count(required))
      return usage_error(kName, std::string("--") + required + " is required");
  server::ServeOptions o;
  o.policy_path = (*args)["policy"].as<std::string>();
  o.tls_cert_path = (*args)["tls-cert"].as<std::string>();
  o.tls_key_path = (*args)["tls-key"].as<std::string>();
  if (auto ok = parse_listen((*args)["listen"].as<std::string>(), o.http); !ok)
    return report(ok.error());
  o.review.fail_open = args->count("fail-open") > 0;
  auto deadline = seconds_between(*args, "review-deadline", 0.1, 29);
  auto ttl = seconds_between(*args, "cache-ttl", 0, 86400);
  auto negative = seconds_between(*args, "negative-cache-ttl", 0, 3600);
  auto interval = seconds_between(*args, "reload-interval", 0.05, 3600);
  auto grace = seconds_between(*args, "shutdown-grace", 0, 3600);
  auto client_timeout = seconds_between(*args, "client-timeout", 0.1, 600);
  for (const auto* r : {&deadline, &ttl, &negative, &interval, &grace, &client_timeout})
    if (!*r)
      return report(r->error());
  o.review.deadline = *deadline;
  o.cache.ttl = *ttl;
  o.cache.refresh_after = *ttl / 2;
  o.cache.negative_ttl = *negative;
  o.reload_interval = *interval;
  o.shutdown_grace = *grace;
  o.http.read_timeout = o.http.write_timeout = *client_timeout;
  auto client = client_options(*args, o.review_threads, false);
  if (!client)
    return report(client.error());
  o.client = std::move(*client);

  // Every thread the server starts inherits this mask: the signals wait for sigwait below.
  sigset_t signals;
  sigemptyset(&signals);
  for (int s : {SIGTERM, SIGINT, SIGHUP})
    sigaddset(&signals, s);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  std::mutex out;
  auto service = server::Service::start(std::move(o), [&out](const std::string& line) {
    std::lock_guard lock(out);
    std::cout << line << '\n' << std::flush;
  });
  if (!service)
    return report(service.error());
  for (;;) {
    int sig = 0;
    if (sigwait(&signals, &sig) != 0)
      continue;
    if (sig == SIGHUP) {
      (*service)->reload_now();
      continue;
    }
    (*service)->shutdown();
    return kOk;
  }
}

} // namespace isign::cli

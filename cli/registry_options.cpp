#include "cli/registry_options.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string_view>

#include "common/file.h"

namespace isign::cli {

using common::ErrorKind;
using common::make_error;

namespace {

// This process's peak resident set (VmHWM). getrusage's ru_maxrss would include the parent's
// pages at fork time (Linux keeps the pre-exec high-water mark).
std::optional<long> peak_rss_kib() {
  auto status = common::read_file("/proc/self/status", 1u << 16);
  if (!status)
    return std::nullopt;
  auto pos = status->find("VmHWM:");
  if (pos == std::string::npos)
    return std::nullopt;
  return std::strtol(status->c_str() + pos + 6, nullptr, 10);
}

} // namespace

void print_debug_stats(const registry::Client& client) {
  const char* on = std::getenv("ISIGN_DEBUG_STATS");
  if (!on || std::string_view(on) != "1")
    return;
  std::cerr << "requests: " << client.request_count() << "\n"
            << "connections: " << client.connection_count() << "\n";
  if (auto kib = peak_rss_kib())
    std::cerr << "peak-rss-kib: " << *kib << "\n";
}

void add_registry_options(cxxopts::Options& opts, bool run_deadline) {
  opts.add_options("registry")(
      "allow-insecure-registry",
      "skip TLS certificate verification (testing only: anyone on the path can impersonate the "
      "registry)")("allow-http-registry", "allow plain HTTP to registries (testing only)")(
      "registry-cacert", "trust the CA certificates in FILE (PEM) for registry TLS",
      cxxopts::value<std::string>(), "FILE")("registry-client-cert", "TLS client certificate (PEM)",
                                             cxxopts::value<std::string>(), "FILE")(
      "registry-client-key", "TLS client key (PEM)", cxxopts::value<std::string>(),
      "FILE")("registry-username", "registry user name", cxxopts::value<std::string>(), "USER")(
      "registry-password",
      "registry password (prefer isign login or a credential helper: flags show in ps)",
      cxxopts::value<std::string>(),
      "PASSWORD")("registry-token", "a bearer token sent as is", cxxopts::value<std::string>(),
                  "TOKEN")("timeout", "timeout of each registry request, in seconds",
                           cxxopts::value<std::string>()->default_value("120"), "SECONDS");
  if (run_deadline)
    opts.add_options("registry")(
        "deadline",
        "give up on the registry this many seconds after the start, however many requests are "
        "still to make or stalled (0: no deadline)",
        cxxopts::value<std::string>()->default_value("600"), "SECONDS");
}

common::Result<double> seconds_option(const cxxopts::ParseResult& args, const char* name) {
  const std::string text = args[name].as<std::string>();
  // Decimal digits, a point and an exponent only: strtod alone would also take "5x" as 5,
  // "0x10" as 16 (or 0), " 5", "inf" and "nan".
  const bool plain =
      !text.empty() && text.find_first_not_of("0123456789.eE+-") == std::string::npos;
  char* end = nullptr;
  const double value = plain ? std::strtod(text.c_str(), &end) : 0;
  if (!plain || end != text.c_str() + text.size() || !std::isfinite(value))
    return make_error(ErrorKind::usage, "invalid value '" + text.substr(0, 64) + "' for --" + name +
                                            ": expected a number of seconds, e.g. 30 or 0.5");
  return value;
}

common::Result<registry::ClientOptions> client_options(const cxxopts::ParseResult& args,
                                                       std::size_t threads, bool run_deadline) {
  registry::ClientOptions options;
  options.transport.max_connections = static_cast<long>(std::max<std::size_t>(threads, 8)) + 2;
  auto str = [&](const char* name) {
    return args.count(name) ? args[name].as<std::string>() : std::string();
  };
  options.transport.tls.insecure_skip_verify = args.count("allow-insecure-registry") > 0;
  options.transport.tls.ca_file = str("registry-cacert");
  options.transport.tls.client_cert = str("registry-client-cert");
  options.transport.tls.client_key = str("registry-client-key");
  if (options.transport.tls.client_cert.empty() != options.transport.tls.client_key.empty())
    return make_error(ErrorKind::usage,
                      "--registry-client-cert and --registry-client-key go together");
  options.allow_http = args.count("allow-http-registry") > 0;
  options.credentials.username = str("registry-username");
  options.credentials.password = str("registry-password");
  options.credentials.registry_token = str("registry-token");
  if (options.credentials.username.empty() != options.credentials.password.empty())
    return make_error(ErrorKind::usage, "--registry-username and --registry-password go together");
  // libcurl counts in whole milliseconds and takes 0 as "no timeout": less than 1 ms would turn
  // the limit off.
  auto timeout_value = seconds_option(args, "timeout");
  ISIGN_TRY(timeout_value);
  const double timeout = *timeout_value;
  if (!(timeout >= 0.001 && timeout <= 3600))
    return make_error(ErrorKind::usage, "--timeout must be from 0.001 (1 ms) to 3600 seconds");
  options.transport.timeout = std::chrono::milliseconds(std::llround(timeout * 1000));
  options.transport.connect_timeout =
      std::min(options.transport.connect_timeout, options.transport.timeout);
  if (!run_deadline)
    return options;
  auto deadline_value = seconds_option(args, "deadline");
  ISIGN_TRY(deadline_value);
  const double deadline = *deadline_value;
  if (!(deadline == 0 || (deadline >= 0.001 && deadline <= 7 * 86400)))
    return make_error(ErrorKind::usage,
                      "--deadline must be 0 (none) or from 0.001 to 604800 seconds (a week)");
  if (deadline > 0)
    options.deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(std::llround(deadline * 1000));
  return options;
}

common::Result<std::unique_ptr<registry::Client>> make_client(const cxxopts::ParseResult& args,
                                                              std::size_t threads) {
  auto options = client_options(args, threads, true);
  ISIGN_TRY(options);
  return registry::Client::create(std::move(*options));
}

common::Result<std::vector<registry::Reference>>
parse_references(const std::vector<std::string>& inputs) {
  std::vector<registry::Reference> refs;
  for (const auto& in : inputs) {
    auto ref = registry::Reference::parse(in);
    ISIGN_TRY(ref);
    refs.push_back(std::move(*ref));
  }
  return refs;
}

} // namespace isign::cli

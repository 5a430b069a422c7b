// The registry flags every registry command shares (named as cosign names them), and building
// the one registry::Client a run uses from them.
#pragma once

#include <cxxopts.hpp>
#include <memory>
#include <vector>

#include "cli/cli.h"
#include "common/result.h"
#include "registry/client.h"
#include "registry/reference.h"

namespace isign::cli {

// --allow-insecure-registry, --allow-http-registry, --registry-cacert, --registry-client-cert,
// --registry-client-key, --registry-username, --registry-password, --registry-token, --timeout,
// --deadline (unless run_deadline is false: a server bounds each request instead).
void add_registry_options(cxxopts::Options& opts, bool run_deadline = true);

// The client options the parsed flags say; with run_deadline, --deadline's instant as the
// deadline of everything the client will do. Usage error as make_client's.
common::Result<registry::ClientOptions> client_options(const cxxopts::ParseResult& args,
                                                       std::size_t threads, bool run_deadline);

// A client configured from the parsed flags. Usage error for inconsistent flags (a username
// without a password, a client certificate without its key, a bad timeout).
// threads: how many threads of the command share the client (its connection cache keeps one
// connection for each).
common::Result<std::unique_ptr<registry::Client>>
make_client(const cxxopts::ParseResult& args, std::size_t threads = kParallelImages);

// The value of a seconds flag (--timeout, --deadline): a plain decimal number, nothing after it.
// Usage error naming the flag otherwise. Ranges are the caller's to check.
common::Result<double> seconds_option(const cxxopts::ParseResult& args, const char* name);

// With ISIGN_DEBUG_STATS=1 in the environment, prints to stderr what a run cost, for the
// benchmarks: "requests: N", "connections: N" (TCP connections opened) and "peak-rss-kib: N".
void print_debug_stats(const registry::Client& client);

// Parses every image reference given; the first that does not parse is the error.
common::Result<std::vector<registry::Reference>>
parse_references(const std::vector<std::string>& inputs);

} // namespace isign::cli

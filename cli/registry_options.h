// The registry flags every registry command shares (named as cosign names them), and building
// the one registry::Client a run uses from them.
#pragma once

#include <cxxopts.hpp>
#include <memory>
#include <vector>

#include "common/result.h"
#include "registry/client.h"
#include "registry/reference.h"

namespace isign::cli {

// --allow-insecure-registry, --allow-http-registry, --registry-cacert, --registry-client-cert,
// --registry-client-key, --registry-username, --registry-password, --registry-token, --timeout,
// --deadline.
void add_registry_options(cxxopts::Options& opts);

// A client configured from the parsed flags. Usage error for inconsistent flags (a username
// without a password, a client certificate without its key, a bad timeout).
common::Result<std::unique_ptr<registry::Client>> make_client(const cxxopts::ParseResult& args);

// The value of a seconds flag (--timeout, --deadline): a plain decimal number, nothing after it.
// Usage error naming the flag otherwise. Ranges are the caller's to check.
common::Result<double> seconds_option(const cxxopts::ParseResult& args, const char* name);

// Parses every image reference given; the first that does not parse is the error.
common::Result<std::vector<registry::Reference>>
parse_references(const std::vector<std::string>& inputs);

} // namespace isign::cli

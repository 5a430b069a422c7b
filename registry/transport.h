// The HTTP seam: the registry client speaks through a Transport, so unit tests can record and
// script the exact request sequence. The libcurl implementation lives in curl_transport.cpp.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/result.h"

namespace isign::registry {

struct HttpRequest {
  std::string method; // GET, HEAD, PUT, POST, PATCH, DELETE
  std::string url;    // absolute
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // When set, the body of a 2xx response is handed here as it arrives instead of being stored
  // in HttpResponse::body (other statuses keep their body there, for error messages); returning
  // false aborts the transfer (e.g. a digest stream error).
  std::function<bool(std::string_view)> body_sink;
  std::size_t max_body = 4u << 20; // responses larger than this fail with ErrorKind::limit
  bool follow_redirects = true;    // GET/HEAD only: blob GETs may be redirected to storage
  // When positive, the whole request must end within this (and within TransportOptions::timeout):
  // the client sets it from its overall deadline.
  std::chrono::milliseconds timeout{0};
  // Set by the transport on each perform(): true when its error would recur on a retry (TLS
  // verification, an unreadable CA or client certificate, HTTPS spoken to a plain-HTTP port).
  bool permanent_failure = false;
};

struct HttpResponse {
  long status = 0;
  std::multimap<std::string, std::string> headers; // names lowercased
  std::string body;
  std::string effective_url;

  // First value of a header (name lowercase), or "".
  std::string header(const std::string& name) const;
};

struct TlsOptions {
  bool insecure_skip_verify = false; // --allow-insecure-registry
  std::string ca_file;               // --registry-cacert
  std::string client_cert;           // --registry-client-cert
  std::string client_key;            // --registry-client-key
};

struct TransportOptions {
  TlsOptions tls;
  std::chrono::milliseconds connect_timeout{10000};
  std::chrono::milliseconds timeout{120000}; // whole request
  // Idle connections kept for reuse. libcurl's default (5) is below the 8 images a batch works on
  // at a time, and every connection returned beyond it was closed: a batch opened a connection
  // per request. Keep it above the number of threads sharing the transport.
  long max_connections = 16;
};

class Transport {
public:
  virtual ~Transport() = default;
  // Performs one request. Errors are transport failures only (network/TLS/timeout/limit);
  // any HTTP status is a successful HttpResponse.
  virtual common::Result<HttpResponse> perform(HttpRequest& request) = 0;
  // For benchmarks: the TCP connections opened so far (0 where the transport does not count).
  virtual std::size_t connection_count() const { return 0; }
};

// libcurl transport: one reused connection pool (keep-alive, HTTP/2 when offered), thread-safe.
std::unique_ptr<Transport> make_curl_transport(const TransportOptions& options);

} // namespace isign::registry

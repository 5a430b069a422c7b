// libcurl behind registry::Transport. Every request gets its own easy handle; connections, DNS
// and TLS sessions live in one share handle, so a whole run reuses its connections (keep-alive)
// across threads.
#include <curl/curl.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>

#include "registry/transport.h"

namespace isign::registry {

using common::ErrorKind;
using common::make_error;
using common::Result;

namespace {

template <auto Fn> struct Free {
  template <class T> void operator()(T* p) const noexcept { Fn(p); }
};
using Easy = std::unique_ptr<CURL, Free<&curl_easy_cleanup>>;
using Share = std::unique_ptr<CURLSH, Free<&curl_share_cleanup>>;
using Slist = std::unique_ptr<curl_slist, Free<&curl_slist_free_all>>;

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string lower(std::string s) {
  for (auto& c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back())))
    s.pop_back();
  std::size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i])))
    ++i;
  return s.substr(i);
}

struct Transfer {
  HttpRequest* request;
  HttpResponse* response;
  long status = 0; // of the response being received (the last one after redirects)
  std::size_t received = 0;
  bool over_limit = false;
  bool sink_refused = false;
};

std::size_t on_body(char* data, std::size_t size, std::size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::size_t len = size * n;
  t->received += len;
  if (t->received > t->request->max_body) {
    t->over_limit = true;
    return 0; // aborts the transfer with CURLE_WRITE_ERROR
  }
  if (t->request->body_sink && t->status >= 200 && t->status < 300) {
    if (!t->request->body_sink(std::string_view(data, len))) {
      t->sink_refused = true;
      return 0;
    }
  } else {
    t->response->body.append(data, len);
  }
  return len;
}

std::size_t on_header(char* data, std::size_t size, std::size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string line(data, size * n);
  if (line.rfind("HTTP/", 0) == 0) {
    // A new response (after a redirect or a 100 Continue): only the last one's headers and body
    // count.
    t->response->headers.clear();
    t->response->body.clear();
    t->received = 0;
    auto space = line.find(' ');
    t->status = space == std::string::npos ? 0 : std::strtol(line.c_str() + space + 1, nullptr, 10);
    return size * n;
  }
  auto colon = line.find(':');
  if (colon != std::string::npos)
    t->response->headers.emplace(lower(trim(line.substr(0, colon))), trim(line.substr(colon + 1)));
  return size * n;
}

// Failures that a retry would only repeat: TLS trust and local certificate problems, and TLS
// spoken to a plain-HTTP port. Refused connections, resets, timeouts and DNS may be transient.
bool is_permanent(CURLcode rc, const std::string& msg) {
  switch (rc) {
  case CURLE_PEER_FAILED_VERIFICATION:
  case CURLE_SSL_CACERT_BADFILE:
  case CURLE_SSL_CERTPROBLEM:
  case CURLE_SSL_CIPHER:
  case CURLE_SSL_ISSUER_ERROR:
  case CURLE_SSL_CRL_BADFILE:
  case CURLE_UNSUPPORTED_PROTOCOL:
  case CURLE_URL_MALFORMAT:
    return true;
  case CURLE_SSL_CONNECT_ERROR:
    return msg.find("wrong version number") != std::string::npos;
  default:
    return false;
  }
}

class CurlTransport final : public Transport {
public:
  explicit CurlTransport(TransportOptions options) : options_(std::move(options)) {
    global_init();
    share_.reset(curl_share_init());
    if (share_) {
      curl_share_setopt(share_.get(), CURLSHOPT_LOCKFUNC, &CurlTransport::lock);
      curl_share_setopt(share_.get(), CURLSHOPT_UNLOCKFUNC, &CurlTransport::unlock);
      curl_share_setopt(share_.get(), CURLSHOPT_USERDATA, this);
      curl_share_setopt(share_.get(), CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
      curl_share_setopt(share_.get(), CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
      curl_share_setopt(share_.get(), CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    }
  }

  Result<HttpResponse> perform(HttpRequest& request) override {
    Easy easy(curl_easy_init());
    if (!easy)
      return make_error(ErrorKind::internal, "curl_easy_init failed");
    CURL* h = easy.get();
    HttpResponse response;
    Transfer transfer{&request, &response};
    char errbuf[CURL_ERROR_SIZE] = {0};
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    set_connection_options(h, request);
    set_tls_options(h);
    set_transfer_options(h, request, transfer);
    Slist headers = header_list(request);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());

    request.permanent_failure = false;
    CURLcode rc = curl_easy_perform(h);
    if (transfer.over_limit || rc == CURLE_FILESIZE_EXCEEDED)
      return make_error(ErrorKind::limit, "the response is larger than the limit of " +
                                              std::to_string(request.max_body) + " bytes");
    if (rc != CURLE_OK) {
      if (transfer.sink_refused)
        return make_error(ErrorKind::registry, "the response body was rejected while streaming");
      std::string msg = errbuf[0] ? errbuf : curl_easy_strerror(rc);
      request.permanent_failure = is_permanent(rc, msg);
      return transfer_error(rc, std::move(msg), transfer.status);
    }
    long opened = 0;
    if (curl_easy_getinfo(h, CURLINFO_NUM_CONNECTS, &opened) == CURLE_OK && opened > 0)
      connections_ += static_cast<std::size_t>(opened);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &response.status);
    char* effective = nullptr;
    if (curl_easy_getinfo(h, CURLINFO_EFFECTIVE_URL, &effective) == CURLE_OK && effective)
      response.effective_url = effective;
    return response;
  }

  std::size_t connection_count() const override { return connections_.load(); }

private:
  // URL, protocols, HTTP version, timeouts, redirects and the shared caches.
  void set_connection_options(CURL* h, const HttpRequest& request) const {
    curl_easy_setopt(h, CURLOPT_URL, request.url.c_str());
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    if (share_)
      curl_easy_setopt(h, CURLOPT_SHARE, share_.get());
    curl_easy_setopt(h, CURLOPT_MAXCONNECTS, options_.max_connections);
    curl_easy_setopt(h, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS));
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    // Redirects never downgrade HTTPS to plain HTTP.
    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR,
                     request.url.rfind("https://", 0) == 0 ? "https" : "http,https");
    // Never 0: libcurl takes a zero timeout for "no timeout at all".
    auto timeout = options_.timeout;
    if (request.timeout.count() > 0)
      timeout = std::min(timeout, request.timeout);
    timeout = std::max(timeout, std::chrono::milliseconds(1));
    const auto connect_timeout =
        std::max(std::min(options_.connect_timeout, timeout), std::chrono::milliseconds(1));
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(connect_timeout.count()));
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout.count()));
    // A peer that stops sending mid-body is given up on well before the overall timeout.
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME,
                     std::max(5L, static_cast<long>(timeout.count() / 4000)));
    curl_easy_setopt(h, CURLOPT_USERAGENT, "isign/" ISIGN_VERSION_STRING);
    if (request.follow_redirects && (request.method == "GET" || request.method == "HEAD")) {
      // libcurl drops Authorization when a redirect leaves the host (no UNRESTRICTED_AUTH), so a
      // registry token is never sent to blob storage elsewhere. Uploads are never redirected:
      // libcurl would turn a redirected POST into a GET.
      curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
      curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
    }
  }

  void set_tls_options(CURL* h) const {
    const auto& tls = options_.tls;
    if (tls.insecure_skip_verify) {
      curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
      curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    if (!tls.ca_file.empty())
      curl_easy_setopt(h, CURLOPT_CAINFO, tls.ca_file.c_str());
    if (!tls.client_cert.empty())
      curl_easy_setopt(h, CURLOPT_SSLCERT, tls.client_cert.c_str());
    if (!tls.client_key.empty())
      curl_easy_setopt(h, CURLOPT_SSLKEY, tls.client_key.c_str());
  }

  // The method, the body sent and where the answer goes (bounded by max_body).
  static void set_transfer_options(CURL* h, const HttpRequest& request, Transfer& transfer) {
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, &on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &transfer);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, &on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &transfer);
    // Refuses an announced Content-Length over the limit before reading the body; bodies without
    // one are cut by on_body. A HEAD has no body: its Content-Length is the blob's or manifest's
    // size (an SBOM's attestation of tens of MB), which libcurl would refuse as well.
    if (request.method != "HEAD")
      curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(request.max_body));
    if (request.method == "HEAD") {
      curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else if (request.method != "GET") {
      curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, request.method.c_str());
      if (request.method != "DELETE" || !request.body.empty()) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, request.body.data());
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
                         static_cast<curl_off_t>(request.body.size()));
      }
    }
  }

  static Slist header_list(const HttpRequest& request) {
    Slist headers;
    auto add = [&headers](const std::string& line) {
      curl_slist* next = curl_slist_append(headers.get(), line.c_str());
      if (next) {
        (void)headers.release();
        headers.reset(next);
      }
    };
    for (const auto& [name, value] : request.headers)
      add(name + ": " + value);
    add("Expect:"); // no 100-continue round trip before uploads
    return headers;
  }

  // The error for a failed transfer: msg (libcurl's) with a hint at the flag that fixes it.
  static common::Error transfer_error(CURLcode rc, std::string msg, long status) {
    if (rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CACERT_BADFILE)
      msg += " (to trust a private CA use --registry-cacert FILE)";
    if (rc == CURLE_SSL_CONNECT_ERROR && msg.find("wrong version number") != std::string::npos)
      msg += " (the registry may speak plain HTTP: --allow-http-registry)";
    if (rc == CURLE_SSL_CERTPROBLEM)
      msg += " (check --registry-client-cert and --registry-client-key)";
    if (rc == CURLE_COULDNT_CONNECT)
      msg += " (is the registry running at that address?)";
    if (rc == CURLE_OPERATION_TIMEDOUT)
      msg += " (timed out; see --timeout)";
    // The registry answered, with a redirect we refuse to follow (HTTPS to plain HTTP, too many
    // hops): its answer is wrong, the network is fine.
    if (rc == CURLE_TOO_MANY_REDIRECTS ||
        (rc == CURLE_UNSUPPORTED_PROTOCOL && status >= 300 && status < 400))
      return make_error(ErrorKind::registry,
                        "the registry redirected to where isign does not follow (" + msg +
                            "; HTTPS is never redirected to plain HTTP)");
    return make_error(ErrorKind::network, msg);
  }

  static void lock(CURL*, curl_lock_data data, curl_lock_access, void* user) {
    static_cast<CurlTransport*>(user)->mutexes_[index(data)].lock();
  }
  static void unlock(CURL*, curl_lock_data data, void* user) {
    static_cast<CurlTransport*>(user)->mutexes_[index(data)].unlock();
  }
  static std::size_t index(curl_lock_data data) {
    return static_cast<std::size_t>(data) % std::tuple_size_v<decltype(mutexes_)>;
  }

  TransportOptions options_;
  std::atomic<std::size_t> connections_{0};
  Share share_;
  std::array<std::mutex, CURL_LOCK_DATA_LAST> mutexes_;
};

} // namespace

std::string HttpResponse::header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

std::unique_ptr<Transport> make_curl_transport(const TransportOptions& options) {
  return std::make_unique<CurlTransport>(options);
}

} // namespace isign::registry

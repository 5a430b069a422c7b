// Internal to registry/: URLs and HTTP answers as the client and its auth see them: what an
// error message shows of a URL, origins, and the one-line error for a registry's HTTP answer.
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"
#include "registry/transport.h"

namespace isign::registry::detail {

class SecretMask;

// A request with method and url and everything else at its default.
HttpRequest make_request(std::string method, std::string url);

// "/v2/..." of a URL, without scheme, host and query: what error messages show of it.
std::string url_path(const std::string& url);
// Percent-encoding of everything but RFC 3986's unreserved characters.
std::string url_encode(std::string_view s);
// host[:port] of an absolute URL, lowercased, without user info; "" for a relative one.
std::string host_of(std::string_view url);
// "scheme://host[:port]" of an absolute URL, lowercased, with the scheme's default port dropped,
// so that two URLs of one origin compare equal; "" for a relative URL.
std::string origin_of(std::string_view url);
// Whether host_port is localhost, ::1 or in 127.0.0.0/8.
bool is_loopback_host(const std::string& host_port);
// Retry-After in seconds (capped at 3600); -1 when absent or an HTTP date.
long parse_retry_after(const std::string& value);
// Registry text quoted in a message: at most 100 characters, in single quotes.
std::string quote_text(std::string_view s);

// The error for an unexpected HTTP answer: "METHOD /path: status Reason (registry's code:
// message)", kind not_found for 404, throttled for 429, registry otherwise, with http_status()
// set; 401 and 403 add a hint about credentials. The registry's text is made one printable line
// and has every secret known to secrets (when given) masked.
common::Error http_error(const HttpRequest& req, const HttpResponse& resp,
                         const SecretMask* secrets = nullptr);

} // namespace isign::registry::detail

// Internal to registry/: HTTP requests and answers as the client and its auth see them: the
// one-line error for a registry's HTTP answer, Retry-After, registry text quoted in a message.
// What messages show of a URL, and origins, are in url.h.
#pragma once

#include <string>
#include <string_view>

#include "common/result.h"
#include "registry/transport.h"

namespace isign::registry::detail {

class SecretMask;

// A request with method and url and everything else at its default.
HttpRequest make_request(std::string method, std::string url);

// Retry-After in seconds (capped at 3600); -1 when absent or an HTTP date.
long parse_retry_after(const std::string& value);
// Registry text quoted in a message: at most 100 characters, in single quotes, control bytes
// escaped as \xNN (the message stays one line).
std::string quote_text(std::string_view s);

// The error for an unexpected HTTP answer: "METHOD /path: status Reason (registry's code:
// message)", kind not_found for 404, throttled for 429, registry otherwise, with http_status()
// set; 401 and 403 add a hint about credentials. The registry's text is made one printable line
// and has every secret known to secrets (when given) masked.
common::Error http_error(const HttpRequest& req, const HttpResponse& resp,
                         const SecretMask* secrets = nullptr);

} // namespace isign::registry::detail

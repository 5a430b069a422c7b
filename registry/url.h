// Internal to registry/: URLs as the client and its auth see them: what an error message shows of
// a URL, percent-encoding, hosts and origins.
#pragma once

#include <string>
#include <string_view>

namespace isign::registry::detail {

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

} // namespace isign::registry::detail

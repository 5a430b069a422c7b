#include "registry/url.h"

#include <cctype>

namespace isign::registry::detail {

std::string url_path(const std::string& url) {
  auto scheme = url.find("://");
  auto start = scheme == std::string::npos ? 0 : url.find('/', scheme + 3);
  if (start == std::string::npos)
    return "/";
  auto end = url.find('?', start);
  return url.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

std::string url_encode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string host_of(std::string_view url) {
  auto scheme = url.find("://");
  if (scheme == std::string_view::npos)
    return "";
  auto start = scheme + 3;
  auto end = url.find_first_of("/?#", start);
  std::string host(url.substr(start, end == std::string_view::npos ? url.npos : end - start));
  if (auto at = host.rfind('@'); at != std::string::npos)
    host.erase(0, at + 1);
  for (auto& c : host)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return host;
}

std::string origin_of(std::string_view url) {
  auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos)
    return "";
  std::string scheme(url.substr(0, scheme_end));
  for (auto& c : scheme)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string host = host_of(url);
  const std::string default_port = scheme == "https" ? ":443" : scheme == "http" ? ":80" : "";
  if (!default_port.empty() && host.size() > default_port.size() &&
      host.compare(host.size() - default_port.size(), default_port.size(), default_port) == 0)
    host.resize(host.size() - default_port.size());
  return scheme + "://" + host;
}

bool is_loopback_host(const std::string& host_port) {
  std::string host = host_port;
  if (!host.empty() && host.front() == '[') {
    host = host.substr(1, host.find(']') - 1);
  } else if (auto colon = host.rfind(':'); colon != std::string::npos) {
    host.resize(colon);
  }
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

} // namespace isign::registry::detail

#include "registry/http_util.h"

#include <cctype>

#include "registry/json_util.h"
#include "registry/secret_mask.h"
#include "registry/url.h"

namespace isign::registry::detail {

using common::Error;
using common::ErrorKind;
using common::make_error;

namespace {

std::string reason_phrase(long status) {
  switch (status) {
  case 400:
    return "Bad Request";
  case 401:
    return "Unauthorized";
  case 403:
    return "Forbidden";
  case 404:
    return "Not Found";
  case 405:
    return "Method Not Allowed";
  case 409:
    return "Conflict";
  case 413:
    return "Payload Too Large";
  case 416:
    return "Range Not Satisfiable";
  case 429:
    return "Too Many Requests";
  case 500:
    return "Internal Server Error";
  case 502:
    return "Bad Gateway";
  case 503:
    return "Service Unavailable";
  case 504:
    return "Gateway Timeout";
  default:
    return "";
  }
}

// The registry's error code and message from a distribution-spec error body, if any.
std::string registry_detail(const std::string& body, const SecretMask* secrets) {
  auto doc = detail::parse_json(body);
  if (doc.is_discarded() || !doc.is_object())
    return "";
  auto it = doc.find("errors");
  if (it == doc.end() || !it->is_array() || it->empty())
    return "";
  std::string out;
  for (const auto& e : *it) {
    if (!e.is_object())
      continue;
    std::string code =
        e.contains("code") && e["code"].is_string() ? e["code"].get<std::string>() : "";
    std::string msg =
        e.contains("message") && e["message"].is_string() ? e["message"].get<std::string>() : "";
    if (code.empty() && msg.empty())
      continue;
    if (!out.empty())
      out += "; ";
    out += code + (code.empty() || msg.empty() ? "" : ": ") + msg;
  }
  // Secrets are masked before the text is cut, so that no part of one is left to show.
  if (secrets)
    out = secrets->mask(std::move(out));
  // Registry text is untrusted: keep it to one printable line.
  for (auto& c : out)
    if (static_cast<unsigned char>(c) < 0x20)
      c = ' ';
  if (out.size() > 300)
    out = out.substr(0, 300) + "...";
  return out;
}

} // namespace

HttpRequest make_request(std::string method, std::string url) {
  HttpRequest r;
  r.method = std::move(method);
  r.url = std::move(url);
  return r;
}

Error http_error(const HttpRequest& req, const HttpResponse& resp, const SecretMask* secrets) {
  std::string msg = req.method + " " + url_path(req.url) + ": " + std::to_string(resp.status);
  if (auto phrase = reason_phrase(resp.status); !phrase.empty())
    msg += " " + phrase;
  if (auto detail = registry_detail(resp.body, secrets); !detail.empty())
    msg += " (" + detail + ")";
  ErrorKind kind = ErrorKind::registry;
  if (resp.status == 404)
    kind = ErrorKind::not_found;
  if (resp.status == 429)
    kind = ErrorKind::throttled;
  if (resp.status == 401 || resp.status == 403)
    msg += "; check the credentials (isign login, --registry-username/--registry-password, or "
           "--registry-token)";
  return make_error(kind, msg).with_http_status(resp.status);
}

long parse_retry_after(const std::string& value) {
  if (value.empty())
    return -1;
  for (char c : value)
    if (!std::isdigit(static_cast<unsigned char>(c)))
      return -1; // HTTP dates: fall back to backoff
  if (value.size() > 6)
    return 3600;
  return std::stol(value);
}

std::string quote_text(std::string_view s) {
  constexpr std::size_t kMax = 100;
  // Control bytes are escaped: a registry's text (a mediaType with a newline, say) must not break
  // the one-line error it is quoted in.
  std::string out = "'";
  for (char c : s.substr(0, kMax)) {
    const auto b = static_cast<unsigned char>(c);
    if (b < 0x20 || b == 0x7f) {
      constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[b >> 4];
      out += kHex[b & 0xf];
    } else {
      out += c;
    }
  }
  return out + (s.size() > kMax ? "...'" : "'");
}

} // namespace isign::registry::detail

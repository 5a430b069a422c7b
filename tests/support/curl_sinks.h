// libcurl helpers shared by the fixtures that talk HTTP with libcurl (the fault proxy and the image
// pusher): the options every request of theirs sets, and write callbacks that put the body into a
// std::string and header lines into a header container.
#pragma once

#include <cstddef>
#include <curl/curl.h>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/text.h"

namespace isign::testing {

// Bodies larger than this abort the transfer (the fixtures never need more).
inline constexpr std::size_t kMaxFixtureBody = 256u << 20;

// CURLOPT_WRITEFUNCTION with CURLOPT_WRITEDATA a std::string*.
inline std::size_t append_body(char* data, std::size_t size, std::size_t n, void* user) {
  auto* body = static_cast<std::string*>(user);
  if (body->size() + size * n > kMaxFixtureBody)
    return 0;
  body->append(data, size * n);
  return size * n;
}

// Header containers: names as received, or lowercased for lookup.
inline void add_header(std::vector<std::pair<std::string, std::string>>& headers,
                       std::pair<std::string, std::string> header) {
  headers.push_back(std::move(header));
}
inline void add_header(std::multimap<std::string, std::string>& headers,
                       std::pair<std::string, std::string> header) {
  headers.emplace(lower(header.first), std::move(header.second));
}

// CURLOPT_HEADERFUNCTION with CURLOPT_HEADERDATA a Headers*. A status line starts over, so only
// the final response's headers remain (after an interim 100 Continue).
template <class Headers>
std::size_t collect_header(char* data, std::size_t size, std::size_t n, void* user) {
  auto* headers = static_cast<Headers*>(user);
  std::string line(data, size * n);
  if (line.rfind("HTTP/", 0) == 0)
    headers->clear();
  if (auto header = split_header_line(line))
    add_header(*headers, std::move(*header));
  return size * n;
}

// The options every fixture request sets on a (reset) handle: the URL, an error buffer of
// CURL_ERROR_SIZE bytes, no signals, no proxy from the environment, 5 s to connect and 60 s in
// all, and ca_file (when not empty) as the CA of an HTTPS server.
inline void set_request_options(CURL* c, const std::string& url, const std::string& ca_file,
                                char* errbuf) {
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 60000L);
  if (!ca_file.empty())
    curl_easy_setopt(c, CURLOPT_CAINFO, ca_file.c_str());
}

// The response body into *body and its header lines into *headers (collect_header).
template <class Headers> void collect_response(CURL* c, std::string* body, Headers* headers) {
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, append_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, collect_header<Headers>);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, headers);
}

} // namespace isign::testing

// libcurl write callbacks shared by the fixtures that talk HTTP with libcurl (the fault proxy and
// the image pusher): the body into a std::string, header lines into a header container.
#pragma once

#include <cstddef>
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

} // namespace isign::testing

// Small text helpers shared by the HTTP code of the test fixtures (server, proxy, image pusher).
#pragma once

#include <cctype>
#include <optional>
#include <string>
#include <utility>

namespace isign::testing {

inline std::string lower(std::string s) {
  for (auto& c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// s without leading and trailing blanks and line ends.
inline std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos)
    return "";
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

// "Name: value" as (name, value), trimmed; none for a line without a colon.
inline std::optional<std::pair<std::string, std::string>>
split_header_line(const std::string& line) {
  auto colon = line.find(':');
  if (colon == std::string::npos)
    return std::nullopt;
  return std::make_pair(trim(line.substr(0, colon)), trim(line.substr(colon + 1)));
}

} // namespace isign::testing

// Shared by the fuzz targets: byte views, splitting one input into several, and invariant checks
// that turn a broken promise into a crash libFuzzer records.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <utility>

namespace isign::fuzz {

inline std::string_view as_view(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Splits input at the first separator: (before, after). No separator: (input, "").
inline std::pair<std::string_view, std::string_view> split(std::string_view input,
                                                           std::string_view separator) {
  auto at = input.find(separator);
  if (at == std::string_view::npos)
    return {input, {}};
  return {input.substr(0, at), input.substr(at + separator.size())};
}

// An invariant of the code under test failed: abort, so the input is kept as a crash.
[[noreturn]] inline void invariant_failed(const char* what, const char* file, int line) {
  std::fprintf(stderr, "%s:%d: fuzz invariant broken: %s\n", file, line, what);
  std::abort();
}

} // namespace isign::fuzz

#define ISIGN_FUZZ_CHECK(cond)                                                                     \
  do {                                                                                             \
    if (!(cond))                                                                                   \
      ::isign::fuzz::invariant_failed(#cond, __FILE__, __LINE__);                                  \
  } while (false)

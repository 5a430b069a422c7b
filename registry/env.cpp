#include "registry/env.h"

#include <cstdlib>
#include <pwd.h>
#include <unistd.h>
#include <vector>

namespace isign::registry {

GetEnv process_env() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (!value)
      return std::nullopt;
    return std::string(value);
  };
}

namespace detail {

std::optional<std::string> nonempty(const GetEnv& env, const std::string& name) {
  auto value = env(name);
  if (!value || value->empty())
    return std::nullopt;
  return value;
}

std::string home_dir(const GetEnv& env) {
  if (auto home = nonempty(env, "HOME"))
    return *home;
  struct passwd pw {};
  struct passwd* result = nullptr;
  std::vector<char> buf(16384);
  if (::getpwuid_r(::getuid(), &pw, buf.data(), buf.size(), &result) == 0 && result &&
      result->pw_dir)
    return result->pw_dir;
  return "/";
}

} // namespace detail

} // namespace isign::registry

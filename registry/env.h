// The process environment as registry/ reads it (where auth files are, PATH for credential
// helpers), through a function so that tests can supply their own.
#pragma once

#include <functional>
#include <optional>
#include <string>

namespace isign::registry {

// Environment lookups go through this so tests can supply their own.
using GetEnv = std::function<std::optional<std::string>(const std::string& name)>;
GetEnv process_env();

namespace detail {

// env's value of name, nullopt when it is unset or empty.
std::optional<std::string> nonempty(const GetEnv& env, const std::string& name);
// $HOME, else the password database's home of this user, else "/".
std::string home_dir(const GetEnv& env);

} // namespace detail

} // namespace isign::registry

// WWW-Authenticate challenges (RFC 7235) as registries send them on 401.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace isign::registry {

struct Challenge {
  std::string scheme;                        // lowercased: "bearer", "basic"
  std::map<std::string, std::string> params; // names lowercased: realm, service, scope, error
  std::string token68;                       // the RFC 7235 token68 form instead of params

  // The value of a parameter (name lowercase), or "" when absent.
  std::string param(const std::string& name) const;
};

// Parses one WWW-Authenticate header value (which may hold several challenges). Quoted strings
// with backslash escapes are unquoted. Registry error on malformed input (one line, with the
// offset of the problem), never a crash; limit error for a header longer than 16 KiB.
common::Result<std::vector<Challenge>> parse_www_authenticate(std::string_view header);

} // namespace isign::registry

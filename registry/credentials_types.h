// Registry credentials as a value: what the client sends and credentials.h finds or stores. Kept
// apart from credentials.h so that client.h does not pull in the lookup and login API.
#pragma once

#include <string>

namespace isign::registry {

// Empty strings are absent fields; all three empty means anonymous. Holds secrets: never print.
struct Credentials {
  std::string username;
  std::string password;       // or identity token when username is "<token>"
  std::string registry_token; // --registry-token: a bearer token used as is
};

} // namespace isign::registry

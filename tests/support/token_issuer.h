// A bearer-token server for the registry's `token` auth mode, run inside the test process: it
// answers the registry's challenge realm with ES256 JWTs the registry accepts (x5c header chained
// to the registry's rootcertbundle) and records every token request so tests can count them.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "tests/support/http_server.h"

namespace isign::testing {

struct TokenIssuerOptions {
  std::string key_path{}; // PEM EC P-256 private key that signs tokens
  std::string
      cert_path{}; // PEM self-signed certificate of that key (the registry's rootcertbundle)
  std::string issuer = "isign-test-issuer";    // the JWT "iss" the registry trusts
  std::string service = "isign-test-registry"; // the JWT "aud"; the registry's service name
  std::string username{};                      // the one account; empty: none
  std::string password{};
  std::string identity_token{}; // accepted as grant_type=refresh_token for `username`; empty: none
  bool anonymous_pull = false;  // anonymous clients get "pull" (else tokens without access)
  bool allow_get = true;        // false: GET answers 405, so clients must use the OAuth2 POST form
  int expires_in = 300;
};

// One request to the token endpoint, as the issuer understood it.
struct TokenRequest {
  std::string method;              // GET or POST
  std::string user;                // authenticated account, "" when anonymous or refused
  std::vector<std::string> scopes; // as requested, e.g. "repository:app:pull,push"
  int status = 0;                  // what the issuer answered
};

class TokenIssuer {
public:
  // Loads the key and certificate and starts serving on 127.0.0.1. Fails the current Catch test
  // (FAIL) if they cannot be loaded.
  explicit TokenIssuer(TokenIssuerOptions options);
  ~TokenIssuer();
  TokenIssuer(const TokenIssuer&) = delete;
  TokenIssuer& operator=(const TokenIssuer&) = delete;

  // "http://127.0.0.1:PORT/token": the realm for the registry's config.
  std::string realm() const;
  const TokenIssuerOptions& options() const { return options_; }

  // Requests served so far (all of them, including refused ones).
  std::vector<TokenRequest> requests() const;
  std::size_t request_count() const;
  // Requests that asked for this scope (e.g. "repository:app:pull,push"); the order of the
  // actions does not matter (distribution's challenges list them in random order).
  std::size_t count_for_scope(const std::string& scope) const;
  // Human-readable list of the requests, for failure output.
  std::string describe_requests() const;

  // A token for the given scopes signed like the issued ones (for tests passing --registry-token).
  std::string make_token(const std::string& subject, const std::vector<std::string>& scopes) const;

private:
  ServerReply handle(const ServerRequest& request);

  struct Keys;
  TokenIssuerOptions options_;
  std::unique_ptr<Keys> keys_;
  mutable std::mutex mu_;
  std::vector<TokenRequest> requests_;
  std::unique_ptr<HttpServer> server_; // last: stops before the rest is destroyed
};

} // namespace isign::testing

#include "tests/support/token_issuer.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <ctime>
#include <nlohmann/json.hpp>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <sstream>

#include "common/encoding.h"
#include "keys/openssl_util.h"
#include "tests/support/process.h"

namespace isign::testing {

namespace {

using keys::detail::Free;
using keys::detail::MdCtx;
using keys::detail::PKey;
using Bio = std::unique_ptr<BIO, Free<&BIO_free>>;
using Cert = std::unique_ptr<X509, Free<&X509_free>>;
using EcSig = std::unique_ptr<ECDSA_SIG, Free<&ECDSA_SIG_free>>;

std::string base64url(std::string_view bytes) {
  std::string s = common::base64_encode(bytes);
  while (!s.empty() && s.back() == '=')
    s.pop_back();
  for (auto& c : s) {
    if (c == '+')
      c = '-';
    if (c == '/')
      c = '_';
  }
  return s;
}

std::string random_hex(std::size_t bytes) {
  std::string raw(bytes, '\0');
  RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(raw.size()));
  return common::hex_encode(raw);
}

// A scope is "type:name:actions"; the name may itself contain ':' (e.g. a registry port), so the
// type is the first field and the actions the last.
struct Scope {
  std::string type, name;
  std::vector<std::string> actions;
};

std::optional<Scope> parse_scope(const std::string& s) {
  auto first = s.find(':');
  auto last = s.rfind(':');
  if (first == std::string::npos || first == last)
    return std::nullopt;
  Scope scope{s.substr(0, first), s.substr(first + 1, last - first - 1), {}};
  std::stringstream actions(s.substr(last + 1));
  for (std::string a; std::getline(actions, a, ',');)
    if (!a.empty())
      scope.actions.push_back(a);
  return scope;
}

// Scope parameters may be repeated and may each hold several space-separated scopes.
std::vector<std::string> split_scopes(const std::vector<std::string>& params) {
  std::vector<std::string> out;
  for (const auto& p : params) {
    std::stringstream ss(p);
    for (std::string s; ss >> s;)
      out.push_back(s);
  }
  return out;
}

ServerReply json_reply(int status, const nlohmann::json& body) {
  ServerReply reply;
  reply.status = status;
  reply.headers = {{"Content-Type", "application/json"}};
  reply.body = body.dump() + "\n";
  return reply;
}

} // namespace

struct TokenIssuer::Keys {
  PKey key;
  std::string cert_der;
};

TokenIssuer::TokenIssuer(TokenIssuerOptions options)
    : options_(std::move(options)), keys_(std::make_unique<Keys>()) {
  std::string key_pem = read_text(options_.key_path);
  std::string cert_pem = read_text(options_.cert_path);
  Bio kb(BIO_new_mem_buf(key_pem.data(), static_cast<int>(key_pem.size())));
  keys_->key.reset(PEM_read_bio_PrivateKey(kb.get(), nullptr, nullptr, nullptr));
  Bio cb(BIO_new_mem_buf(cert_pem.data(), static_cast<int>(cert_pem.size())));
  Cert cert(PEM_read_bio_X509(cb.get(), nullptr, nullptr, nullptr));
  if (!keys_->key || !cert) {
    ERR_clear_error();
    FAIL("token issuer: cannot load " << options_.key_path << " / " << options_.cert_path);
  }
  int n = i2d_X509(cert.get(), nullptr);
  keys_->cert_der.resize(static_cast<std::size_t>(n));
  auto* p = reinterpret_cast<unsigned char*>(keys_->cert_der.data());
  i2d_X509(cert.get(), &p);
  server_ = std::make_unique<HttpServer>([this](const ServerRequest& r) { return handle(r); });
}

TokenIssuer::~TokenIssuer() {
  server_.reset();
}

std::string TokenIssuer::realm() const {
  return "http://" + server_->address() + "/token";
}

std::vector<TokenRequest> TokenIssuer::requests() const {
  std::lock_guard lock(mu_);
  return requests_;
}

std::size_t TokenIssuer::request_count() const {
  std::lock_guard lock(mu_);
  return requests_.size();
}

std::size_t TokenIssuer::count_for_scope(const std::string& scope) const {
  // distribution builds its challenge's action list from a Go map, so "pull,push" and
  // "push,pull" both occur: compare actions as sets.
  auto normalized = [](const std::string& s) {
    auto parsed = parse_scope(s);
    if (!parsed)
      return s;
    std::sort(parsed->actions.begin(), parsed->actions.end());
    std::string out = parsed->type + ":" + parsed->name + ":";
    for (std::size_t i = 0; i < parsed->actions.size(); ++i)
      out += (i ? "," : "") + parsed->actions[i];
    return out;
  };
  std::string wanted = normalized(scope);
  std::lock_guard lock(mu_);
  std::size_t n = 0;
  for (const auto& r : requests_)
    n += static_cast<std::size_t>(std::count_if(
        r.scopes.begin(), r.scopes.end(), [&](const auto& s) { return normalized(s) == wanted; }));
  return n;
}

std::string TokenIssuer::describe_requests() const {
  std::lock_guard lock(mu_);
  std::string out;
  for (const auto& r : requests_) {
    out += "  " + r.method + " user=" + (r.user.empty() ? "<anonymous>" : r.user) + " ->" +
           std::to_string(r.status) + " scopes:";
    for (const auto& s : r.scopes)
      out += " " + s;
    out += "\n";
  }
  return out;
}

std::string TokenIssuer::make_token(const std::string& subject,
                                    const std::vector<std::string>& scopes) const {
  auto now = std::chrono::duration_cast<std::chrono::seconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  nlohmann::json access = nlohmann::json::array();
  for (const auto& s : scopes) {
    auto scope = parse_scope(s);
    if (!scope || scope->actions.empty())
      continue;
    access.push_back({{"type", scope->type}, {"name", scope->name}, {"actions", scope->actions}});
  }
  // distribution 2.8 (registry/auth/token/token.go) takes the signing key from the x5c chain,
  // which must verify up to rootcertbundle; "aud" must be a single string equal to the service.
  nlohmann::json header = {
      {"typ", "JWT"}, {"alg", "ES256"}, {"x5c", {common::base64_encode(keys_->cert_der)}}};
  nlohmann::json claims = {{"iss", options_.issuer},  {"sub", subject},
                           {"aud", options_.service}, {"exp", now + options_.expires_in},
                           {"nbf", now - 10},         {"iat", now},
                           {"jti", random_hex(16)},   {"access", access}};
  std::string signing_input = base64url(header.dump()) + "." + base64url(claims.dump());

  MdCtx ctx(EVP_MD_CTX_new());
  std::size_t der_len = 0;
  std::string der;
  if (!ctx ||
      EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, keys_->key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &der_len,
                     reinterpret_cast<const unsigned char*>(signing_input.data()),
                     signing_input.size()) != 1)
    return "";
  der.resize(der_len);
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(der.data()), &der_len,
                     reinterpret_cast<const unsigned char*>(signing_input.data()),
                     signing_input.size()) != 1)
    return "";
  // JWS ES256 wants the raw r||s (32 bytes each), not OpenSSL's DER.
  const auto* dp = reinterpret_cast<const unsigned char*>(der.data());
  EcSig sig(d2i_ECDSA_SIG(nullptr, &dp, static_cast<long>(der_len)));
  if (!sig)
    return "";
  std::string raw(64, '\0');
  BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), reinterpret_cast<unsigned char*>(raw.data()), 32);
  BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), reinterpret_cast<unsigned char*>(raw.data()) + 32, 32);
  return signing_input + "." + base64url(raw);
}

ServerReply TokenIssuer::handle(const ServerRequest& request) {
  TokenRequest record;
  record.method = request.method;
  auto finish = [&](ServerReply reply) {
    record.status = reply.status;
    std::lock_guard lock(mu_);
    requests_.push_back(record);
    return reply;
  };
  if (request.path != "/token")
    return finish(json_reply(404, {{"error", "not found"}}));
  if (request.method != "GET" && request.method != "POST")
    return finish(json_reply(405, {{"error", "method not allowed"}}));
  if (request.method == "GET" && !options_.allow_get)
    return finish(json_reply(405, {{"error", "use the OAuth2 POST form"}}));

  // GET carries parameters in the query and credentials as Basic auth; the OAuth2 POST form
  // carries both in an application/x-www-form-urlencoded body.
  ServerRequest params = request;
  if (request.method == "POST")
    params.query = request.body;
  record.scopes = split_scopes(params.query_values("scope"));
  auto service = params.query_values("service");
  if (!service.empty() && service.front() != options_.service)
    return finish(json_reply(400, {{"error", "unknown service"}}));

  bool presented = false;
  bool authenticated = false;
  std::string user, password;
  std::string authz = request.header("authorization");
  if (authz.rfind("Basic ", 0) == 0) {
    presented = true;
    auto decoded = common::base64_decode(authz.substr(6));
    auto colon = decoded ? decoded->find(':') : std::string::npos;
    if (colon != std::string::npos) {
      user = decoded->substr(0, colon);
      password = decoded->substr(colon + 1);
    }
  }
  if (request.method == "POST") {
    auto grant = params.query_values("grant_type");
    std::string g = grant.empty() ? "" : grant.front();
    if (g == "password") {
      presented = true;
      auto u = params.query_values("username");
      auto p = params.query_values("password");
      user = u.empty() ? "" : u.front();
      password = p.empty() ? "" : p.front();
    } else if (g == "refresh_token") {
      presented = true;
      auto t = params.query_values("refresh_token");
      if (!options_.identity_token.empty() && !t.empty() && t.front() == options_.identity_token) {
        user = options_.username;
        password = options_.password;
      } else {
        user.clear();
        password = "\x01"; // never matches
      }
    } else {
      return finish(json_reply(400, {{"error", "unsupported_grant_type"}}));
    }
  }
  if (presented) {
    authenticated =
        !options_.username.empty() && user == options_.username && password == options_.password;
    if (!authenticated) {
      ServerReply reply = json_reply(
          401, {{"errors",
                 {{{"code", "UNAUTHORIZED"}, {"message", "incorrect username or password"}}}}});
      reply.headers.emplace_back("WWW-Authenticate", "Basic realm=\"isign-test-token\"");
      return finish(reply);
    }
    record.user = user;
  }

  // Authenticated users get what they ask for; anonymous ones pull at most (like public repos on
  // Docker Hub), or nothing, and then the registry refuses with insufficient_scope.
  std::vector<std::string> granted;
  for (const auto& s : record.scopes) {
    auto scope = parse_scope(s);
    if (!scope)
      continue;
    if (!authenticated) {
      bool pull = options_.anonymous_pull && std::find(scope->actions.begin(), scope->actions.end(),
                                                       "pull") != scope->actions.end();
      scope->actions.clear();
      if (pull)
        scope->actions.push_back("pull");
    }
    std::string joined;
    for (const auto& a : scope->actions)
      joined += (joined.empty() ? "" : ",") + a;
    granted.push_back(scope->type + ":" + scope->name + ":" + joined);
  }
  std::string token = make_token(authenticated ? user : "", granted);
  if (token.empty())
    return finish(json_reply(500, {{"error", "signing failed"}}));
  auto now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  char issued[32];
  std::strftime(issued, sizeof issued, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return finish(json_reply(200, {{"token", token},
                                 {"access_token", token},
                                 {"expires_in", options_.expires_in},
                                 {"issued_at", issued}}));
}

} // namespace isign::testing

// WWW-Authenticate parsing: what real registries send, RFC 7235's corners, and garbage.
#include <catch2/catch.hpp>

#include <map>
#include <random>
#include <string>
#include <vector>

#include "registry/challenge.h"

using namespace isign;
using common::ErrorKind;
using registry::Challenge;
using registry::parse_www_authenticate;

namespace {

using Params = std::map<std::string, std::string>;

struct Expected {
  std::string scheme;
  Params params;
  std::string token68;
};

void check(const std::string& header, const std::vector<Expected>& want) {
  INFO("header: " << header);
  auto got = parse_www_authenticate(header);
  if (!got.ok())
    FAIL(got.error().message());
  REQUIRE(got->size() == want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    INFO("challenge " << i);
    CHECK((*got)[i].scheme == want[i].scheme);
    CHECK((*got)[i].params == want[i].params);
    CHECK((*got)[i].token68 == want[i].token68);
  }
}

} // namespace

TEST_CASE("challenges real registries send") {
  // CNCF distribution / Docker Hub (the distribution token spec's example).
  check(
      R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/ubuntu:pull")",
      {{"bearer",
        {{"realm", "https://auth.docker.io/token"},
         {"service", "registry.docker.io"},
         {"scope", "repository:library/ubuntu:pull"}},
        ""}});
  // A push scope holds a ',' inside the quotes; insufficient_scope as the registry adds it.
  check(
      R"(Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:samalba/my-app:pull,push",error="insufficient_scope")",
      {{"bearer",
        {{"realm", "https://auth.docker.io/token"},
         {"service", "registry.docker.io"},
         {"scope", "repository:samalba/my-app:pull,push"},
         {"error", "insufficient_scope"}},
        ""}});
  // GHCR.
  check(R"(Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:org/app:pull")",
        {{"bearer",
          {{"realm", "https://ghcr.io/token"},
           {"service", "ghcr.io"},
           {"scope", "repository:org/app:pull"}},
          ""}});
  // distribution with htpasswd auth.
  check(R"(Basic realm="Registry Realm")", {{"basic", {{"realm", "Registry Realm"}}, ""}});
  // ECR.
  check(
      R"(Basic realm="https://123456789012.dkr.ecr.us-east-1.amazonaws.com/",service="ecr.amazonaws.com")",
      {{"basic",
        {{"realm", "https://123456789012.dkr.ecr.us-east-1.amazonaws.com/"},
         {"service", "ecr.amazonaws.com"}},
        ""}});
  // Harbor.
  check(R"(Bearer realm="https://harbor.example.com/service/token",service="harbor-registry")",
        {{"bearer",
          {{"realm", "https://harbor.example.com/service/token"}, {"service", "harbor-registry"}},
          ""}});
}

TEST_CASE("several challenges in one header") {
  check(R"(Basic realm="x", Bearer realm="https://a/token",service="s")",
        {{"basic", {{"realm", "x"}}, ""},
         {"bearer", {{"realm", "https://a/token"}, {"service", "s"}}, ""}});
  // RFC 7235 section 4.1's example.
  check(R"(Newauth realm="apps", type=1, title="Login to \"apps\"", Basic realm="simple")",
        {{"newauth", {{"realm", "apps"}, {"type", "1"}, {"title", "Login to \"apps\""}}, ""},
         {"basic", {{"realm", "simple"}}, ""}});
  // Schemes without parameters, between others.
  check(R"(Negotiate, Bearer realm="r", NTLM)",
        {{"negotiate", {}, ""}, {"bearer", {{"realm", "r"}}, ""}, {"ntlm", {}, ""}});
  // token68 followed by another challenge.
  check(R"(Basic dXNlcjpwYXNz==, Bearer realm="r")",
        {{"basic", {}, "dXNlcjpwYXNz=="}, {"bearer", {{"realm", "r"}}, ""}});
}

TEST_CASE("token68, case, whitespace, escapes and list corners") {
  check("Negotiate a87421000492aa874209af8bc028",
        {{"negotiate", {}, "a87421000492aa874209af8bc028"}});
  check("Basic abc/+~-._=", {{"basic", {}, "abc/+~-._="}});
  check("Basic abc=", {{"basic", {}, "abc="}});
  // "name=" alone is a token68 by the grammar, not a parameter without a value.
  check("Bearer realm=", {{"bearer", {}, "realm="}});
  check("Bearer realm= , Basic", {{"bearer", {}, "realm="}, {"basic", {}, ""}});
  check("Basic", {{"basic", {}, ""}});
  check("Bearer realm", {{"bearer", {}, "realm"}});
  check(R"(BEARER REALM="x",Service="y")", {{"bearer", {{"realm", "x"}, {"service", "y"}}, ""}});
  check(R"(Bearer   realm = "x" ,  service= "y"  )",
        {{"bearer", {{"realm", "x"}, {"service", "y"}}, ""}});
  check("Bearer\trealm=\"x\"", {{"bearer", {{"realm", "x"}}, ""}});
  check(R"(Bearer realm="a\"b\\c\d")", {{"bearer", {{"realm", "a\"b\\cd"}}, ""}});
  check(R"(Bearer realm="")", {{"bearer", {{"realm", ""}}, ""}});
  check(R"(Bearer realm="x",,, service="y",)",
        {{"bearer", {{"realm", "x"}, {"service", "y"}}, ""}});
  check(R"(, Bearer realm="x")", {{"bearer", {{"realm", "x"}}, ""}});
  check("Bearer realm=\"caf\xc3\xa9\"", {{"bearer", {{"realm", "caf\xc3\xa9"}}, ""}});
  // Unquoted URLs (outside RFC 7235's token grammar) as some registries send them.
  check("Bearer realm=https://auth.example.com/token,service=registry.example.com",
        {{"bearer",
          {{"realm", "https://auth.example.com/token"}, {"service", "registry.example.com"}},
          ""}});
  check("Bearer realm=x", {{"bearer", {{"realm", "x"}}, ""}});
}

TEST_CASE("Challenge::param gives a value or empty") {
  auto got = parse_www_authenticate(R"(Bearer realm="r",service="s")");
  REQUIRE(got.ok());
  CHECK(got->front().param("realm") == "r");
  CHECK(got->front().param("service") == "s");
  CHECK(got->front().param("scope") == "");
}

TEST_CASE("malformed headers are registry errors with the problem and its offset") {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "it holds no challenge at offset 0"},
      {"   ", "it holds no challenge"},
      {",,", "it holds no challenge"},
      {"\"Bearer\"", "expected an auth scheme at offset 0"},
      {"=", "expected an auth scheme"},
      {"Bearer realm x", "expected '=' after parameter 'realm'"},
      {R"(Bearer service="s", realm=)", "parameter 'realm' has no value"},
      {R"(Bearer service="s", realm= ,)", "a parameter has no value"},
      {"Bearer realm=\"x", "unterminated quoted string"},
      {"Bearer realm=\"x\\", "unterminated quoted string"},
      {"Bearer realm=\"a\nb\"", "control character in a quoted string"},
      {"Bearer realm=\"a\\\x01\"", "control character after '\\' in a quoted string"},
      {R"(Bearer realm="x" service="y")", "expected ',' after the value of parameter 'realm'"},
      {R"(Bearer realm="x"service="y")", "expected ',' after the value of parameter 'realm'"},
      {R"(Bearer realm="x",realm="y")", "parameter 'realm' given twice"},
      {R"(Bearer realm="x",REALM="y")", "parameter 'realm' given twice"},
      {R"(Bearer="x")", "expected a space after the auth scheme"},
      {R"(Bearer realm="x", "y")", "expected an auth scheme"},
      {"Bearer @@@", "expected a parameter name"},
      {"Bearer realm=\"x\",\x01", "expected an auth scheme"},
      {"Bearer a b", "expected '=' after parameter 'a'"},
  };
  for (const auto& [header, problem] : cases) {
    INFO("header: " << header);
    auto got = parse_www_authenticate(header);
    REQUIRE_FALSE(got.ok());
    CHECK(got.error().kind() == ErrorKind::registry);
    const auto& msg = got.error().message();
    CHECK(msg.rfind("malformed WWW-Authenticate header '", 0) == 0);
    CHECK(msg.find(problem) != std::string::npos);
    CHECK(msg.find('\n') == std::string::npos);
    CHECK(msg.find('\x01') == std::string::npos);
  }
}

TEST_CASE("oversized headers are refused with a limit error") {
  std::string header = "Bearer realm=\"" + std::string(20000, 'a') + "\"";
  auto got = parse_www_authenticate(header);
  REQUIRE_FALSE(got.ok());
  CHECK(got.error().kind() == ErrorKind::limit);
  CHECK(got.error().message().size() < 200);
}

TEST_CASE("random bytes never crash the parser") {
  // Biased toward the grammar's own characters so the parser gets deep into its states.
  const std::string alphabet = "Bearer realm=\"\\,= \tabcXYZ/+~-._\x01\x7f\xff";
  std::mt19937 rng(12345);
  std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1);
  std::uniform_int_distribution<std::size_t> length(0, 64);
  std::size_t parsed = 0;
  for (int round = 0; round < 20000; ++round) {
    std::string s;
    for (std::size_t n = length(rng); n > 0; --n)
      s += alphabet[pick(rng)];
    auto got = parse_www_authenticate(s);
    if (got.ok()) {
      ++parsed;
      for (const auto& c : *got)
        CHECK_FALSE(c.scheme.empty());
    } else {
      CHECK(got.error().message().find('\n') == std::string::npos);
    }
  }
  CHECK(parsed > 0);
}

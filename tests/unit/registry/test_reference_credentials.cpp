// References with credentials pasted in ("user:password@host/app", as in a URL): refused by every
// parser with a message that never holds the password, and redacted for echoing.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "registry/reference.h"

using namespace isign;

namespace {

const std::string kSecret = "Pa55-SECRET";

} // namespace

TEST_CASE("reference: user-info is refused without showing the password") {
  const std::string hex(64, 'a');
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"alice:" + kSecret + "@ghcr.io/app", "alice:***@"},
      {"alice:" + kSecret + "@ghcr.io/app:v1@sha256:" + hex, "alice:***@"},
      {"https://alice:" + kSecret + "@ghcr.io/app", "alice:***@"},
      {"alice:" + kSecret + "@127.0.0.1:5000", "alice:***@"},
      {"alice:" + kSecret + "@localhost", "alice:***@"},
      {"alice:p@ss/" + kSecret + "@ghcr.io/team/app", "alice:***@"},
      {kSecret + "@ghcr.io/app", "***@"},
  };
  for (const auto& [text, shown] : cases) {
    INFO(text);
    for (bool repository : {false, true}) {
      auto error = repository ? registry::Repository::parse(text).error()
                              : registry::Reference::parse(text).error();
      CHECK(error.kind() == common::ErrorKind::usage);
      CHECK(error.message() ==
            std::string(repository ? "invalid repository" : "invalid reference") +
                ": it contains credentials ('" + shown +
                "'); use isign login or "
                "--registry-username/--registry-password");
    }
    CHECK(registry::redact_credentials(text).find(kSecret) == std::string::npos);
  }
  CHECK(registry::redact_credentials("alice:" + kSecret + "@ghcr.io/app:v1") ==
        "alice:***@ghcr.io/app:v1");
  CHECK(registry::redact_credentials("https://" + kSecret + "@ghcr.io/app") ==
        "https://***@ghcr.io/app");
}

TEST_CASE("reference: digests and other '@' mistakes are not taken for credentials") {
  const std::string hex(64, 'a');
  for (const std::string& text :
       {"app@sha256:" + hex, "ghcr.io/app:v1@sha256:" + hex, "127.0.0.1:5000/a/b@sha256:" + hex}) {
    INFO(text);
    CHECK(registry::Reference::parse(text).ok());
    CHECK(registry::redact_credentials(text) == text);
  }
  for (const char* text : {"app:v1@sha512:1234", "ghcr.io/app@md5:00", "app@latest"}) {
    INFO(text);
    auto ref = registry::Reference::parse(text);
    REQUIRE_FALSE(ref.ok());
    CHECK(ref.error().message().find("credentials") == std::string::npos);
  }
}

TEST_CASE("reference: login's registry with user-info is refused without the password") {
  for (const std::string& text :
       {"https://alice:" + kSecret + "@ghcr.io/v1/", "alice:" + kSecret + "@ghcr.io",
        kSecret + "@ghcr.io", "https://alice:pa/" + kSecret + "@ghcr.io"}) {
    INFO(text);
    auto host = registry::parse_registry_host(text);
    REQUIRE_FALSE(host.ok());
    CHECK(host.error().message().find("invalid registry: it contains credentials") == 0);
    CHECK(host.error().message().find(kSecret) == std::string::npos);
  }
}

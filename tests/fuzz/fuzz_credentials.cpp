// docker/podman auth files (config.json, auth.json, the legacy ~/.dockercfg), read through
// find_credentials and edited by store_login/remove_login. The first input byte picks the
// registry asked for and which file layout; the rest is the file. PATH points nowhere, so a
// configured credential helper is never run (it is "not found").
#include <unistd.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include "registry/credentials.h"
#include "tests/fuzz/fuzz_support.h"

using namespace isign;

namespace {

constexpr std::array<const char*, 4> kRegistries = {"127.0.0.1:5000", "docker.io", "ghcr.io",
                                                    "localhost"};

// A private directory for this process's files, removed at exit.
const std::string& work_dir() {
  static const std::string dir = [] {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / "isign-fuzz-creds-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr)
      std::abort();
    static const std::string removed = tmpl;
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(removed, ec);
    });
    return tmpl;
  }();
  return dir;
}

void write(const std::string& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out)
    std::abort();
}

void check_error(const common::Error& error) {
  ISIGN_FUZZ_CHECK(!error.message().empty());
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0)
    return 0;
  const std::uint8_t selector = data[0];
  const std::string registry = kRegistries[selector % kRegistries.size()];
  const bool legacy = (selector & 0x4) != 0;
  const auto contents = fuzz::as_view(data + 1, size - 1);

  const std::string& dir = work_dir();
  const std::string file = dir + (legacy ? "/.dockercfg" : "/config.json");
  std::error_code ec;
  std::filesystem::remove(dir + "/.dockercfg", ec);
  std::filesystem::remove(dir + "/config.json", ec);
  write(file, contents);

  // Legacy: HOME holds .dockercfg and every other candidate file is missing. Otherwise
  // REGISTRY_AUTH_FILE names the file alone.
  registry::GetEnv env = [&](const std::string& name) -> std::optional<std::string> {
    if (name == "PATH")
      return dir + "/no-helpers-here";
    if (name == "HOME")
      return dir;
    if (name == "REGISTRY_AUTH_FILE")
      return legacy ? std::optional<std::string>() : file;
    if (name == "XDG_RUNTIME_DIR" || name == "XDG_CONFIG_HOME" || name == "DOCKER_CONFIG")
      return dir + "/missing";
    return std::nullopt;
  };

  auto creds = registry::find_credentials(registry, env);
  if (!creds)
    check_error(creds.error());

  if (!legacy) {
    // After a successful login the credentials are the ones found (a configured helper cannot
    // run here, so that login fails).
    if (auto removed = registry::remove_login(file, registry, env); !removed)
      check_error(removed.error());
    write(file, contents);
    auto stored = registry::store_login(file, registry, "fuzz-user", "fuzz-password", env);
    if (stored && registry != "docker.io") {
      // (Docker Hub is excluded: an entry under another of its aliases may rightly win.)
      auto found = registry::find_credentials(registry, env);
      ISIGN_FUZZ_CHECK(found.ok() && found->has_value());
      ISIGN_FUZZ_CHECK((*found)->username == "fuzz-user" && (*found)->password == "fuzz-password");
    } else if (!stored) {
      check_error(stored.error());
    }
  }
  return 0;
}

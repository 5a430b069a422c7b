#include "cli/key_source.h"

#include <cstdlib>

#include "common/file.h"

namespace isign::cli {

common::Result<std::string> read_key_source(const std::string& ref) {
  constexpr std::string_view kEnv = "env://";
  constexpr std::size_t kMaxKey = 1u << 20;
  if (ref.empty())
    return common::make_error(common::ErrorKind::usage, "the key path is empty");
  if (ref.rfind(kEnv, 0) != 0)
    return common::read_file(ref, kMaxKey);
  std::string name = ref.substr(kEnv.size());
  const char* value = name.empty() ? nullptr : std::getenv(name.c_str());
  if (value == nullptr || *value == '\0')
    return common::make_error(common::ErrorKind::io,
                              "environment variable '" + name + "' is not set or empty");
  std::string text = value;
  if (text.size() > kMaxKey)
    return common::make_error(common::ErrorKind::limit,
                              "environment variable '" + name + "' is larger than 1 MiB");
  return text;
}

common::Result<std::vector<keys::PublicKey>>
load_public_keys(const std::vector<std::string>& paths) {
  std::vector<keys::PublicKey> out;
  for (const auto& path : paths) {
    std::string context = "loading public key '" + path + "'";
    auto pem = read_key_source(path);
    ISIGN_TRY_CONTEXT(pem, context);
    auto key = keys::PublicKey::from_pem(*pem);
    ISIGN_TRY_CONTEXT(key, context);
    out.push_back(std::move(*key));
  }
  return out;
}

} // namespace isign::cli

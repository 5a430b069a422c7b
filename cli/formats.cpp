#include "cli/formats.h"

#include <cstdlib>
#include <string>

namespace isign::cli {

using common::ErrorKind;
using common::make_error;
using common::Result;

namespace {

Result<cosign::Formats> parse_format(std::string_view value, std::string_view source) {
  if (value == "both")
    return cosign::kBothFormats;
  if (value == "legacy")
    return cosign::Formats{cosign::Format::legacy};
  if (value == "bundle")
    return cosign::Formats{cosign::Format::bundle};
  return make_error(ErrorKind::usage, std::string(source) + " is '" + std::string(value) +
                                          "'; use legacy, bundle or both");
}

} // namespace

void add_format_options(cxxopts::Options& opts, const char* help) {
  opts.add_options()("format", help, cxxopts::value<std::string>(), "legacy|bundle|both")(
      "new-bundle-format", "cosign's flag: true is --format bundle, false is --format legacy",
      cxxopts::value<std::string>()->implicit_value("true"), "BOOL");
}

Result<cosign::Formats> read_formats(const cxxopts::ParseResult& args, const char* env_name) {
  std::optional<cosign::Formats> from_cosign_flag;
  if (args.count("new-bundle-format")) {
    const std::string v = args["new-bundle-format"].as<std::string>();
    if (v == "true" || v == "1")
      from_cosign_flag = cosign::Formats{cosign::Format::bundle};
    else if (v == "false" || v == "0")
      from_cosign_flag = cosign::Formats{cosign::Format::legacy};
    else
      return make_error(ErrorKind::usage, "--new-bundle-format is '" + v + "'; use true or false");
  }
  if (args.count("format")) {
    auto chosen = parse_format(args["format"].as<std::string>(), "--format");
    if (!chosen)
      return chosen;
    if (from_cosign_flag && *from_cosign_flag != *chosen)
      return make_error(ErrorKind::usage,
                        "--format and --new-bundle-format ask for different formats; give one");
    return chosen;
  }
  if (from_cosign_flag)
    return *from_cosign_flag;
  if (env_name != nullptr)
    if (const char* env = std::getenv(env_name); env != nullptr && *env != '\0')
      return parse_format(env, env_name);
  return cosign::kBothFormats;
}

} // namespace isign::cli

// --format legacy|bundle|both (and cosign's --new-bundle-format[=BOOL]): which of cosign's two
// signature formats a command writes or reads.
#pragma once

#include <cxxopts.hpp>
#include <string_view>

#include "common/result.h"
#include "cosign/store.h"

namespace isign::cli {

// --format, with help text for the command, and --new-bundle-format.
void add_format_options(cxxopts::Options& opts, const char* help);

// The formats the flags ask for. Without --format: --new-bundle-format (true: bundle, false:
// legacy), else the environment variable env_name when given and set, else both. Usage error for
// another value or contradicting flags.
common::Result<cosign::Formats> read_formats(const cxxopts::ParseResult& args,
                                             const char* env_name = nullptr);

} // namespace isign::cli

// Local file helpers: bounded reads and atomic writes.
#pragma once

#include <cstddef>
#include <string>
#include <sys/types.h>

#include "common/result.h"

namespace isign::common {

// Reads a whole file (or pipe) to its end; io error (naming the path and errno text) if it cannot
// be read, is a directory, or is larger than max_size (limit error). A FIFO whose writer opens it
// up to 2 s after this does is read in full; one that no writer opens in that time reads as empty
// instead of blocking.
Result<std::string> read_file(const std::string& path, std::size_t max_size = 16u << 20);

enum class Overwrite { no, yes };

// Writes data to path atomically: a temp file in the same directory, fsync, chmod(mode), rename.
// With Overwrite::no an existing path is an io error and nothing is written. On any failure the
// temp file is removed and path is untouched. An existing device, FIFO or socket (/dev/stdout)
// cannot be replaced atomically: it is written in place; a FIFO without a reader is an io error.
Result<void> write_file_atomic(const std::string& path, std::string_view data, mode_t mode,
                               Overwrite overwrite);

bool path_exists(const std::string& path);

} // namespace isign::common

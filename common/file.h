// Local file helpers: bounded reads and atomic writes.
#pragma once

#include <cstddef>
#include <string>
#include <sys/types.h>

#include "common/result.h"

namespace isign::common {

// How long read_file waits for a FIFO's first writer. bounded: 2 s, then a FIFO no writer opened
// reads as empty (key and password files: a mistaken path must not hang). until_writer: as long
// as it takes, as `cat` does (data to sign: an empty read must never stand for the data).
enum class FifoWait { bounded, until_writer };

// Reads a whole file (or pipe) to its end; io error (naming the path and errno text) if it cannot
// be read, is a directory, or is larger than max_size (limit error). A FIFO is read to the end of
// what its writer writes, once a writer has come (see FifoWait).
Result<std::string> read_file(const std::string& path, std::size_t max_size = 16u << 20,
                              FifoWait wait = FifoWait::bounded);

enum class Overwrite { no, yes };

// Writes data to path atomically: a temp file in the same directory, fsync, chmod(mode), rename.
// With Overwrite::no an existing path is an io error and nothing is written. On any failure the
// temp file is removed and path is untouched. An existing device, FIFO or socket (/dev/stdout)
// cannot be replaced atomically: it is written in place; a FIFO without a reader is an io error.
Result<void> write_file_atomic(const std::string& path, std::string_view data, mode_t mode,
                               Overwrite overwrite);

bool path_exists(const std::string& path);

} // namespace isign::common

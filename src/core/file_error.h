// Errors about one input file, in the shape every reader uses: "<path>: <what was wrong>".
#pragma once

#include <filesystem>
#include <string>

#include "attnlab/error.h"

namespace attnlab {

// Throws an Error whose message names the file first, e.g.
// "config.json: missing required field 'hidden_size'".
[[noreturn]] inline void throw_file_error(const std::filesystem::path& path, const std::string& what,
                                          int exit_code = kExitInput) {
  throw Error(path.string() + ": " + what, exit_code);
}

}  // namespace attnlab

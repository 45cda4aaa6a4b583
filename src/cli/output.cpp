// Output helpers shared by the CLI's commands.
#include <cstdio>

#include "cli/commands.h"
#include "attnlab/error.h"

namespace attnlab::cli {

void write_stdout(std::string_view text) {
  if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() || std::fflush(stdout) != 0)
    throw Error("cannot write to standard output", kExitIo);
}

}  // namespace attnlab::cli

// attnlab CLI entry point: parses the command line, dispatches to a subcommand, and turns every
// error into "attnlab: error: ..." on stderr with the exit code documented in README.md.
#include <cstdio>
#include <exception>
#include <iostream>
#include <string>
#include <string_view>

#include "attnlab/version.h"
#include "cli/commands.h"
#include "core/error.h"
#include "ops/thread_pool.h"

namespace {

// Messages quote names and values from files and text a stranger wrote: escape control characters
// (a tensor named "\x1b[2J" must not clear the terminal) and keep the message to a readable size.
std::string printable(std::string_view message) {
  constexpr size_t kMaxMessageBytes = 4096;
  std::string out;
  for (const char ch : message.substr(0, kMaxMessageBytes)) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c < 0x20 && c != '\n') || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += ch;
    }
  }
  if (message.size() > kMaxMessageBytes) out += "... (" + std::to_string(message.size()) + " bytes)";
  return out;
}

int report(std::string_view message, int exit_code) {
  std::fprintf(stderr, "attnlab: error: %s\n", printable(message).c_str());
  return exit_code;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "attnlab: see exactly how attention works inside transformer models.\n"
      "Reproduces the attention course notebook number for number, then goes further.",
      "attnlab"};
  app.set_version_flag("--version", std::string("attnlab ") + ATTNLAB_VERSION,
                       "Print the version and exit");
  app.require_subcommand(1);
  int threads = 0;
  app.add_option("--threads", threads,
                 "Threads for the model's kernels (default: $ATTNLAB_NUM_THREADS, else every core)")
      ->check(CLI::Range(1, 256));
  app.parse_complete_callback([&threads] {
    if (threads > 0) attnlab::set_num_threads(threads);
  });
  app.footer("Run 'attnlab COMMAND --help' for a command's flags.");
  attnlab::cli::add_toy_command(app);
  attnlab::cli::add_model_commands(app);
  attnlab::cli::add_demo_command(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "attnlab: error: %s\nRun 'attnlab --help' for usage.\n", printable(e.what()).c_str());
    return attnlab::kExitUsage;
  } catch (const attnlab::Error& e) {
    return report(e.what(), e.exit_code());
  } catch (const std::bad_alloc&) {
    return report("out of memory", attnlab::kExitFailure);
  } catch (const std::exception& e) {
    return report(e.what(), attnlab::kExitFailure);
  }
  return attnlab::kExitOk;
}

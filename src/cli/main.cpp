// attnlab CLI entry point: parses the command line, dispatches to a subcommand, and turns every
// error into "attnlab: error: ..." on stderr with the exit code documented in README.md.
#include <cstdio>
#include <exception>
#include <iostream>
#include <string>
#include <string_view>

#include "attnlab/version.h"
#include "cli/commands.h"
#include "attnlab/error.h"
#include "ops/thread_pool.h"
#include "text/utf8.h"

namespace {

// Messages quote names and values from files and text a stranger wrote: escape control characters
// (a tensor named "\x1b[2J" must not clear the terminal), C1 controls (U+009B is a CSI to many
// terminals) and bytes that are not UTF-8, and keep the message to a readable size.
std::string printable(std::string_view message) {
  constexpr size_t kMaxMessageBytes = 4096;
  const std::string_view shown = message.substr(0, kMaxMessageBytes);
  std::string out;
  char buf[16];
  for (size_t i = 0; i < shown.size();) {
    const attnlab::Utf8Step step = attnlab::decode_utf8_at(shown, i);
    const char32_t cp = step.code_point;
    if (!step.valid) {
      for (size_t k = 0; k < step.length; ++k) {
        std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned char>(shown[i + k]));
        out += buf;
      }
    } else if ((cp < 0x20 && cp != '\n') || cp == 0x7f) {
      std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned>(cp));
      out += buf;
    } else if (cp >= 0x80 && cp <= 0x9f) {
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(cp));
      out += buf;
    } else {
      out.append(shown.substr(i, step.length));
    }
    i += step.length;
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

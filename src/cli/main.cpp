// attnlab CLI entry point: parses the command line, dispatches to a subcommand, and turns every
// error into "attnlab: error: ..." on stderr with the exit code documented in README.md.
#include <cstdio>
#include <exception>
#include <iostream>
#include <string>
#include <string_view>
#include <system_error>

#include "attnlab/process.h"
#include "attnlab/version.h"
#include "cli/commands.h"
#include "attnlab/error.h"
#include "attnlab/engine.h"

namespace {

int report(std::string_view message, int exit_code) {
  std::fprintf(stderr, "attnlab: error: %s\n", attnlab::printable(message).c_str());
  return exit_code;
}

// A --model given as "" is a mistake (an unset shell variable), not a request for the default model.
void refuse_empty_model(CLI::App& app) {
  for (CLI::App* command : app.get_subcommands([](CLI::App*) { return true; }))
    if (CLI::Option* model = command->get_option_no_throw("--model"))
      model->check(CLI::Validator(
          [](const std::string& value) {
            return value.empty() ? std::string("an empty value; leave --model out for the default model") : "";
          },
          "", "non-empty"));
}

}  // namespace

int main(int argc, char** argv) {
  attnlab::install_process_handlers();
  CLI::App app{
      "attnlab: see exactly how attention works inside transformer models.\n"
      "Reproduces the attention course notebook number for number, then goes further.",
      "attnlab"};
  app.set_version_flag("--version", [] { return std::string("attnlab ") + ATTNLAB_VERSION + " (isa: " + attnlab::isa_name() + ")"; },
                       "Print the version and exit");
  app.require_subcommand(1);
  int threads = 0;
  app.add_option("--threads", threads,
                 "Threads for the model's kernels (default: $ATTNLAB_NUM_THREADS, else every core)")
      ->check(CLI::Range(1, 256));
  app.parse_complete_callback([&threads] {
    if (threads > 0) attnlab::set_default_threads(threads);
  });
  app.footer(
      "Models: Hugging Face folders or Hub ids of the families attnlab reads (config.json model_type):\n"
      "  bert                             post-LN encoders (BertModel, BertFor*)\n"
      "  llama, mistral, qwen2, qwen3     pre-LN decoders (Llama 2/3, SmolLM/SmolLM2, Mistral, Qwen): causal,\n"
      "                                   grouped key/value heads, RoPE, sliding windows\n"
      "  gemma3_text                      Gemma 3 decoders: sandwich norms, QK-norm, sliding and global layers\n"
      "GGUF files (--model FILE.gguf, smollm2, gemma3-270m): architectures llama, qwen2, qwen3, gemma3.\n"
      "Attribution methods (attention --method): rollout, rollout-noresidual, flow, norm, norm-heads,\n"
      "value-zeroing and head-stats on every family; alti and alti-rollout on post-LN encoders only.\n"
      "Run 'attnlab COMMAND --help' for a command's flags.");
  attnlab::cli::add_toy_command(app);
  attnlab::cli::add_tokenize_command(app);
  attnlab::cli::add_model_commands(app);
  attnlab::cli::add_demo_command(app);
  attnlab::cli::add_view_command(app);
  attnlab::cli::add_serve_command(app);
  attnlab::cli::add_corpus_command(app);
  attnlab::cli::add_models_command(app);
  attnlab::cli::add_heads_command(app);
  refuse_empty_model(app);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "attnlab: error: %s\nRun 'attnlab --help' for usage.\n", attnlab::printable(e.what()).c_str());
    return attnlab::kExitUsage;
  } catch (const attnlab::Error& e) {
    return report(e.what(), e.exit_code());
  } catch (const std::bad_alloc&) {
    return report("out of memory", attnlab::kExitFailure);
  } catch (const std::system_error& e) {
    // A thread that cannot get its stack (EAGAIN under a memory limit) is out of memory too.
    if (e.code() == std::errc::resource_unavailable_try_again || e.code() == std::errc::not_enough_memory)
      return report("out of memory", attnlab::kExitFailure);
    return report(e.what(), attnlab::kExitFailure);
  } catch (const std::exception& e) {
    return report(e.what(), attnlab::kExitFailure);
  }
  return attnlab::kExitOk;
}

// The attnlab CLI's subcommands. Each registers its flags on the app and runs through the library;
// front ends parse and print, they do no math.
#pragma once

#include <CLI/CLI.hpp>
#include <string_view>

namespace attnlab::cli {

void add_toy_command(CLI::App& app);
void add_model_commands(CLI::App& app);  // attention
void add_tokenize_command(CLI::App& app);
void add_demo_command(CLI::App& app);
void add_view_command(CLI::App& app);
void add_serve_command(CLI::App& app);
void add_corpus_command(CLI::App& app);  // corpus, corpus merge
void add_models_command(CLI::App& app);
void add_heads_command(CLI::App& app);   // heads

// Writes text to stdout in one piece; throws attnlab::Error when stdout is closed or full.
void write_stdout(std::string_view text);

}  // namespace attnlab::cli

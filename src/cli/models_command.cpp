// `attnlab models`: the models this machine has for --model: the offline ones `make model` fetches
// (and whether it has), and what the Hugging Face cache holds that attnlab opens, with each one's
// family (GGUF general.architecture, config.json model_type), format, size and path.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "attnlab/error.h"
#include "attnlab/json_writer.h"
#include "attnlab/local_models.h"
#include "cli/commands.h"

namespace attnlab::cli {
namespace {

struct ModelsOptions {
  bool json = false;
};

std::string megabytes(uint64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MB", static_cast<double>(bytes) / 1e6);
  return buf;
}

void run_models(const ModelsOptions& o) {
  const std::vector<LocalModel> models = local_models();
  if (o.json) {
    JsonWriter w;
    w.begin_array();
    for (const LocalModel& m : models) {
      w.begin_object().key("name").value(m.name).key("available").value(!m.path.empty());
      w.key("architecture");
      m.architecture.empty() ? w.null() : w.value(m.architecture);
      w.key("format").value(m.format).key("source").value(m.source);
      w.key("bytes").value(static_cast<long long>(m.bytes)).key("path");
      m.path.empty() ? w.null() : w.value(m.path.string());
      w.end_object();
    }
    w.end_array().raw("\n");
    write_stdout(w.str());
    return;
  }
  size_t width = 4;
  for (const LocalModel& m : models) width = std::max(width, m.name.size());
  std::string out;
  const auto row = [&](const std::string& name, const std::string& arch, const std::string& format,
                       const std::string& size, const std::string& where) {
    std::string line = name + std::string(width + 2 - name.size(), ' ');
    line += arch + std::string(arch.size() < 14 ? 14 - arch.size() : 1, ' ');
    line += format + std::string(format.size() < 13 ? 13 - format.size() : 1, ' ');
    line += size + std::string(size.size() < 11 ? 11 - size.size() : 1, ' ');
    out += line + where + "\n";
  };
  row("NAME", "ARCHITECTURE", "FORMAT", "SIZE", "PATH");
  for (const LocalModel& m : models) {
    if (m.path.empty()) {
      row(m.name, "-", m.format, "-", "not fetched: run `make model` in the attnlab checkout");
      continue;
    }
    row(m.name, m.architecture, m.format, megabytes(m.bytes), m.path.string());
  }
  write_stdout(out);
}

}  // namespace

void add_models_command(CLI::App& app) {
  auto o = std::make_shared<ModelsOptions>();
  CLI::App* c = app.add_subcommand(
      "models",
      "The models on this machine that --model takes, by the name to give it: the offline ones `make model`\n"
      "fetches (smollm2, gemma3-270m, all-MiniLM-L6-v2; listed as not fetched until it has) and those in the\n"
      "Hugging Face cache (HF_HUB_CACHE): ORG/NAME for a safetensors model, ORG/NAME:FILE.gguf for a GGUF\n"
      "file. Reads no weights and uses no network");
  c->add_flag("--json", o->json,
              "Print a JSON array: {name, available, architecture, format, source, bytes, path} per model");
  c->callback([o] { run_models(*o); });
}

}  // namespace attnlab::cli

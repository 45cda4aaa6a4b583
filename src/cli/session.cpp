// Model-command glue (see session.h).
#include "cli/session.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "attnlab/error.h"

namespace attnlab::cli {
namespace {

std::string human_bytes(double bytes) {
  const char* units[] = {"B", "kB", "MB", "GB", "TB"};
  int u = 0;
  while (bytes >= 1000.0 && u < 4) {
    bytes /= 1000.0;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", bytes, units[u]);
  return buf;
}

// One file's download on stderr. On a TTY: a bar redrawn in place and finished with a newline.
// Elsewhere (logs, CI): one line when the download starts.
class ProgressDrawer {
 public:
  void operator()(const DownloadProgress& p) {
    if (p.waiting) {
      std::fprintf(stderr, "attnlab: waiting for another attnlab downloading %s\n", printable_line(p.file).c_str());
      return;
    }
    const bool tty = isatty(STDERR_FILENO) == 1;
    if (p.file != file_) {  // the first call for a file
      file_ = p.file;
      start_ = std::chrono::steady_clock::now();
      if (!tty)
        std::fprintf(stderr, "attnlab: downloading %s (%s)%s\n", p.file.c_str(),
                     p.total ? human_bytes(static_cast<double>(p.total)).c_str() : "size unknown",
                     p.resumed_from > 0 ? (", resuming at " + human_bytes(static_cast<double>(p.resumed_from))).c_str()
                                        : "");
    }
    if (!tty) return;
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    const double rate = seconds > 0 ? static_cast<double>(p.done - p.resumed_from) / seconds : 0.0;
    std::string line = "\r" + p.file + " ";
    if (p.total > 0) {
      const double frac = std::min(1.0, static_cast<double>(p.done) / static_cast<double>(p.total));
      const int width = 30, filled = static_cast<int>(frac * width);
      char pct[8];
      std::snprintf(pct, sizeof pct, "%3d%%", static_cast<int>(frac * 100));
      line += std::string(pct) + " [" + std::string(filled, '#') + std::string(width - filled, ' ') + "] " +
              human_bytes(static_cast<double>(p.done)) + " / " + human_bytes(static_cast<double>(p.total));
    } else {
      line += human_bytes(static_cast<double>(p.done));
    }
    line += "  " + human_bytes(rate) + "/s   ";
    std::fputs(line.c_str(), stderr);
    if (p.finished) std::fputc('\n', stderr);
    std::fflush(stderr);
  }

 private:
  std::string file_;
  std::chrono::steady_clock::time_point start_;
};

// Texts beyond the engine's limit are refused before they are read to the end.
void check_text_size(size_t bytes, const char* where) {
  if (bytes > kMaxTextBytes)
    throw Error(std::string(where) + " is more than " + std::to_string(kMaxTextBytes) +
                    " bytes; attnlab reads at most 16 MiB of text",
                kExitInput);
}

}  // namespace

Engine open_engine(const std::string& model_arg, EngineOptions options) {
  options.on_download_progress = ProgressDrawer();
  Engine engine = Engine::open(model_arg, options);
  if (!engine.info().notice.empty()) std::fprintf(stderr, "attnlab: %s\n", engine.info().notice.c_str());
  return engine;
}

std::string read_text_argument(const std::string& value) {
  if (value != "-") {
    check_text_size(value.size(), "the text argument");
    return value;
  }
  std::string text;
  char buf[1 << 16];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, stdin)) > 0) {
    text.append(buf, n);
    check_text_size(text.size(), "the text on standard input");
  }
  if (std::ferror(stdin)) throw Error("cannot read text from standard input", kExitIo);
  return text;
}

LengthPolicy truncate_unless(bool no_truncate) {
  return {!no_truncate, "Use --no-truncate to refuse instead.", "drop --no-truncate to cut it", {}};
}

Encoding encode_text(const Engine& engine, const std::string& text, const std::optional<std::string>& pair,
                     const LengthPolicy& policy) {
  std::optional<std::string_view> pair_view;
  if (pair) pair_view = *pair;
  Encoding enc;
  try {
    TruncationOptions truncation;
    truncation.truncate = policy.truncate;
    enc = engine.encode(text, pair_view, truncation);
  } catch (const InputTooLong& e) {
    const std::string subject = policy.subject.empty() ? "" : std::string(policy.subject) + ": ";
    throw Error(subject + e.what() + "; " + std::string(policy.when_refused), e.exit_code());
  }
  if (enc.truncated)
    std::fprintf(stderr,
                 "attnlab: warning: %s%sinput is longer than %d tokens (max_position_embeddings); truncated as "
                 "transformers' truncation=True does. %.*s\n",
                 std::string(policy.subject).c_str(), policy.subject.empty() ? "" : ": ", engine.info().max_tokens,
                 static_cast<int>(policy.when_cut.size()), policy.when_cut.data());
  return enc;
}

}  // namespace attnlab::cli

// attnlab from another project: prints the notebook's [CLS] attention row (layer 0, head 0) for
// "The cat sat on the mat." on the default model, one "token: 0.1234" line per token.
#include <cstdio>

#include "attnlab/attnlab.h"

int main() {
  try {
    // bert-base-uncased from the Hugging Face cache (downloaded if missing), else the offline model.
    const attnlab::Engine engine = attnlab::Engine::open("");
    if (!engine.info().notice.empty()) std::fprintf(stderr, "consumer: %s\n", engine.info().notice.c_str());
    const attnlab::Result result = engine.run(engine.encode("The cat sat on the mat."));
    const auto cls = result.attentions.row(/*layer=*/0, /*head=*/0, /*query=*/0);
    for (size_t i = 0; i < cls.size(); ++i) {
      std::printf("%s: %s\n", result.encoding.tokens[i].c_str(), attnlab::python_fixed(cls[i], 4).c_str());
    }
    return 0;
  } catch (const attnlab::Error& e) {
    std::fprintf(stderr, "consumer: error: %s\n", attnlab::printable(e.what()).c_str());
    return e.exit_code();
  }
}

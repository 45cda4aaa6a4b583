// attnlab: see, exactly and fast, how attention works inside transformer models.
// The one header to include. Everything here is the public, stable surface; nothing below it (the
// library's io/, ops/, text/ and model/ internals) is visible to users.
//
//   attnlab::Engine engine = attnlab::Engine::open("bert-base-uncased");   // or a directory
//   attnlab::Result r = engine.run(engine.encode("The cat sat on the mat."));
//   std::span<const float> cls = r.attentions.row(/*layer=*/0, /*head=*/0, /*query=*/0);
//
// Headers:
//   engine.h       Engine, EngineOptions, ModelInfo, RunOptions, Result, AttentionTensor (thread-safe)
//   encoding.h     Encoding: tokens, ids, type ids, word ids
//   batching.h     inputs split into forward passes (count and token limits), one bad input failing alone
//   download.h     DownloadProgress, reported while a Hub model downloads
//   local_models.h the models on this machine by the names --model takes (attnlab models)
//   error.h        Error (message + exit code), printable()
//   toy.h          the notebook's toy layers, bit-identical to PyTorch for a seed
//   toy_checks.h   row sums and the context test on the toy layers
//   observations.h the notebook's "Key Observations" numbers
//   analysis.h     rollout, flow, norm-based, ALTI and value-zeroing attributions
//   head_stats.h   per-head statistics after Clark et al. 2019 ([CLS], [SEP], neighbours, entropy)
//   head_scores.h  sinks, previous-token, duplicate-token and induction heads (TransformerLens, Attention-Sink)
//   corpus.h       corpus runs: input lines, per-layer reductions, exact totals that merge across shards
//   figure.h       the notebook's figures as PNG, SVG and PDF
//   text_format.h  Python's and PyTorch's printed forms, to diff against a notebook
//   tokenizer.h    HfTokenizer: any tokenizer.json, encoded exactly as Hugging Face tokenizers does
//   json_writer.h  streaming JSON
//   array_file.h   .npz and .safetensors files
//   atomic_file.h  a file written whole or not at all (temporary file, then rename)
//   viewer.h       the interactive attention viewer: one self-contained HTML page
//   matrix.h       the small dense matrix the toy layers and figures use
//   version.h      ATTNLAB_VERSION
#pragma once

#include "attnlab/analysis.h"
#include "attnlab/array_file.h"
#include "attnlab/atomic_file.h"
#include "attnlab/batching.h"
#include "attnlab/download.h"
#include "attnlab/encoding.h"
#include "attnlab/engine.h"
#include "attnlab/corpus.h"
#include "attnlab/error.h"
#include "attnlab/figure.h"
#include "attnlab/head_scores.h"
#include "attnlab/head_stats.h"
#include "attnlab/json_writer.h"
#include "attnlab/local_models.h"
#include "attnlab/matrix.h"
#include "attnlab/observations.h"
#include "attnlab/text_format.h"
#include "attnlab/tokenizer.h"
#include "attnlab/toy.h"
#include "attnlab/toy_checks.h"
#include "attnlab/version.h"
#include "attnlab/viewer.h"

#!/bin/sh
# Layers only look down (issue 32). The library's source directories, lowest first:
#   core < io < ops < text < model < api < analysis < render < server < cli
#   core/      errors, CPU features, buffers, UTF-8, bf16 bits, the thread pool: nothing of ours above it
#   io/        files and bytes (mapped files, safetensors, JSON/.npz/.safetensors writers, the Hub): no kernel
#   ops/       the kernels
#   text/      tokenizers (read their files through io/)
#   model/     model families on ops/ and io/
#   api/       the Engine (attnlab/engine.h) over model/ and text/
#   analysis/  computes from an Engine's results (attribution methods, head statistics, corpus runs)
#   render/    draws: figures, text printouts, the viewer page
#   server/, cli/  the front ends (tests/api/public_surface_check.cmake keeps them on include/attnlab/)
# Every `#include "..."` in src/<layer>/ (any depth) must name a file of its own layer or of one below:
# "<layer>/..." directly, or a public header "attnlab/<name>.h", which belongs to the layer that
# implements it (the table below). The public headers in include/attnlab/ are checked the same way
# against each other. A new source directory or public header fails here until it is given a layer.
#   layering_test.sh SOURCE_DIR
root=${1:?usage: layering_test.sh SOURCE_DIR}
cd "$root" || exit 2
files=$( (find src -type f \( -name '*.h' -o -name '*.cpp' -o -name '*.hpp' -o -name '*.inc' \);
          find include/attnlab -type f -name '*.h') | LC_ALL=C sort)
[ -n "$files" ] || { echo "no sources under $root/src"; exit 2; }
public=$(cd include/attnlab && ls -- *.h | tr '\n' ' ')
impls=$(find src -mindepth 2 -maxdepth 2 -name '*.cpp' | sed 's|^src/||; s|\.cpp$||' | tr '\n' ' ')  # layer/name
# shellcheck disable=SC2086
awk -v layers="core io ops text model api analysis render server cli" -v public="$public" -v impls="$impls" '
BEGIN {
  n = split(layers, names, " ")
  for (i = 1; i <= n; ++i) rank[names[i]] = i
  # Public header -> its layer: the table below, else the layer of the one src/<layer>/<name>.cpp
  # that implements attnlab/<name>.h (none, or several: the test fails until the table names it).
  # engine.h counts as model/: the vocabulary it
  # declares (Result, RunOptions, ModelInfo) is what model/ fills, though its Engine class is
  # implemented in api/ (a call to Engine from model/ or below is not seen here). encoding.h counts
  # as text/ (the tokenizers make an Encoding); version.h is generated from src/core/version.h.in;
  # attnlab.h includes everything.
  split("analysis:analysis array_file:io atomic_file:io attnlab:cli corpus:analysis download:io " \
        "encoding:text engine:model error:core figure:render head_stats:analysis json_writer:io local_models:io " \
        "matrix:core observations:analysis process:api text_format:render tokenizer:api toy:model " \
        "toy_checks:analysis version:core viewer:render", pairs, " ")
  for (i in pairs) { split(pairs[i], kv, ":"); owner[kv[1]] = kv[2] }
  ni = split(impls, impl, " ")
  for (i = 1; i <= ni; ++i) {
    split(impl[i], kv, "/")
    if (kv[2] in owner) continue
    if (kv[2] in inferred && inferred[kv[2]] != kv[1]) ambiguous[kv[2]] = 1
    inferred[kv[2]] = kv[1]
  }
  for (h in inferred) if (!(h in ambiguous)) owner[h] = inferred[h]
  np = split(public, headers, " ")
  for (i = 1; i <= np; ++i) {
    h = headers[i]; sub(/\.h$/, "", h)
    if (!(h in owner)) problem("include/attnlab/" headers[i] ": a public header with no layer; add it to the table in tests/layering_test.sh")
  }
}
function problem(text) { print "  " text; ++problems }
function layer_of_public(name,    base) {
  base = name; sub(/^attnlab\//, "", base); sub(/\.h$/, "", base)
  return base in owner ? owner[base] : ""
}
FNR == 1 {
  ++nfiles
  split(FILENAME, part, "/")
  if (part[1] == "src") {
    here = part[2]
    if (!(here in rank)) { problem(FILENAME ": src/" here "/ is not a known layer; give it a place in tests/layering_test.sh"); here = "" }
  } else {
    here = layer_of_public(part[3])  # include/attnlab/<name>.h; unknown ones were reported above
  }
}
here != "" && /^[ \t]*#[ \t]*include[ \t]*"/ {
  inc = $0; sub(/^[^"]*"/, "", inc); sub(/".*$/, "", inc)
  top = inc; sub(/\/.*$/, "", top)
  if (top == "attnlab") {
    to = layer_of_public(inc)
    if (to == "") {
      problem(FILENAME ":" FNR ": #include \"" inc "\": a public header with no layer; add it to the table in tests/layering_test.sh")
      next
    }
    via = " (" inc " belongs to " to "/)"
  } else if (top in rank) {
    to = top; via = ""
  } else {
    next  # not one of our directories
  }
  if (rank[to] > rank[here])
    problem(FILENAME ":" FNR ": #include \"" inc "\": " here "/ includes " to "/, which is above it" via)
}
END {
  if (problems) {
    print problems " layering problem(s); the layers, lowest first: core < io < ops < text < model < api < analysis < render < server < cli"
    exit 1
  }
  print nfiles " files (src/, include/attnlab/): every include names its own layer or one below"
}' $files

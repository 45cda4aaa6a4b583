#!/usr/bin/env bash
# make install's package as a user meets it: installs this build tree into a temporary prefix, builds
# examples/consumer against it with find_package(attnlab), runs it with no arguments and no Hub (so the
# installed offline model is used) and checks its [CLS] row against the notebook fixture, line for line.
# Usage: install_test.sh CMAKE BUILD_DIR SOURCE_DIR CXX_COMPILER
set -euo pipefail
cmake=$1 build=$2 source=$3 cxx=$4
fixture=$source/tests/fixtures/notebook_bert_minilm_notebook_stdout.txt
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if [[ ! -f $source/models/all-MiniLM-L6-v2/model.safetensors ]]; then
  echo "SKIP: $source/models/all-MiniLM-L6-v2 missing: run \`make model\` (scripts/fetch_model.sh)"
  exit 77
fi

# Runs a step quietly; on failure prints its output and fails the test.
step() {
  local name=$1
  shift
  if ! "$@" >"$tmp/$name.log" 2>&1; then
    echo "FAIL: $name: $*"
    cat "$tmp/$name.log"
    exit 1
  fi
}

step install "$cmake" --install "$build" --prefix "$tmp/prefix"
step configure "$cmake" -S "$source/examples/consumer" -B "$tmp/build" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$tmp/prefix" -DCMAKE_CXX_COMPILER="$cxx"
step build "$cmake" --build "$tmp/build" -j2

# make install copies the offline model when it has been fetched; the consumer must find it there.
model=$tmp/prefix/share/attnlab/models/all-MiniLM-L6-v2
if [[ ! -f $model/model.safetensors ]]; then
  echo "FAIL: cmake --install did not install the offline model into $model"
  exit 1
fi

# An empty Hub cache and no network: the default bert-base-uncased cannot be had, so the consumer falls back.
mkdir "$tmp/hub" "$tmp/run"
status=0
(cd "$tmp/run" && env -u HF_HOME HF_HUB_OFFLINE=1 HF_HUB_CACHE="$tmp/hub" ATTNLAB_OFFLINE_MODEL="$model" \
  "$tmp/build/consumer" >"$tmp/stdout" 2>"$tmp/stderr") || status=$?
if [[ $status -ne 0 ]]; then
  echo "FAIL: consumer exited with $status"
  cat "$tmp/stderr"
  exit 1
fi
if ! grep -q "all-MiniLM-L6-v2" "$tmp/stderr"; then
  echo "FAIL: no fallback notice naming all-MiniLM-L6-v2 on stderr:"
  cat "$tmp/stderr"
  exit 1
fi

# The fixture's token lines: those after "[CLS] attention to each token:" up to a blank line.
sed -n '/^\[CLS\] attention to each token:$/,/^$/{/^\[CLS\] attention/d;/^$/d;p}' "$fixture" >"$tmp/expected"
if [[ ! -s $tmp/expected ]]; then
  echo "FAIL: no [CLS] rows found in $fixture"
  exit 1
fi
if ! diff -u "$tmp/expected" "$tmp/stdout"; then
  echo "FAIL: the consumer's [CLS] row differs from $fixture (- fixture, + consumer)"
  exit 1
fi
# The installed CLI finds the same model on its own, from bin/ to ../share/attnlab/models/.
if ! (cd "$tmp/run" && env -u HF_HOME -u ATTNLAB_OFFLINE_MODEL HF_HUB_OFFLINE=1 HF_HUB_CACHE="$tmp/hub" \
  "$tmp/prefix/bin/attnlab" tokenize "The cat sat on the mat." >"$tmp/cli.out" 2>"$tmp/cli.err"); then
  echo "FAIL: the installed bin/attnlab did not find its offline model in share/attnlab/models/:"
  cat "$tmp/cli.err"
  exit 1
fi

echo "PASS: consumer built against $tmp/prefix printed the notebook's $(wc -l <"$tmp/expected") [CLS] rows"

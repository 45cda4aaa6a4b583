#!/bin/sh
# The C++ benchmark drivers answer --help with their usage (exit 0), a missing required flag with a
# message naming it (exit 2) and a bad inputs file with an error naming the file (exit 1), never a
# crash. Usage: drivers_test.sh BENCH_DIR
set -u
export HF_HUB_OFFLINE=1  # a model name never reaches for the network
dir=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0
expect() {  # expect CODE PATTERN COMMAND...: exit code CODE and PATTERN in stdout + stderr
  code=$1 pattern=$2
  shift 2
  "$@" >"$tmp/out" 2>&1
  rc=$?
  if [ "$rc" -ne "$code" ] || ! grep -q -- "$pattern" "$tmp/out"; then
    echo "FAIL: $* -> exit $rc (want $code), output:"; cat "$tmp/out"; echo "(want /$pattern/)"
    failed=1
  fi
}
for b in attnlab_bench attnlab_methods_bench attnlab_engine_call_bench attnlab_gemm_bench attnlab_regex_bench \
    attnlab_tokenize_bench; do
  expect 0 "^usage: $b" "$dir/$b" --help
done
expect 2 "missing --model" "$dir/attnlab_bench"
expect 2 "missing --inputs" "$dir/attnlab_methods_bench" --model models/none
printf '{' >"$tmp/bad.json"
expect 1 "$tmp/bad.json: not valid JSON" "$dir/attnlab_bench" --model models/none --inputs "$tmp/bad.json"
expect 1 "$tmp/none.json: cannot read" "$dir/attnlab_bench" --model models/none --inputs "$tmp/none.json"
expect 2 "missing --input" "$dir/attnlab_tokenize_bench" --tokenizer x.json
expect 1 "$tmp/none.txt: cannot read" "$dir/attnlab_tokenize_bench" --tokenizer x.json --input "$tmp/none.txt"
exit $failed

#!/usr/bin/env bash
# Runs each libFuzzer target in build-asan/ (or the TARGETs named after JOBS) for SECONDS (default 60), JOBS at a time (default 2),
# starting from the committed seeds in fuzz/corpus/<target>/ (new inputs go to build-asan/corpus/).
# Exits non-zero when any fuzzer finds a crash, leak, timeout or memory blow-up; the input that did it
# is kept as build-asan/artifacts/<target>-crash-* (replay: build-asan/fuzz/fuzz_<target> FILE).
set -uo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"; jobs="${2:-2}"
build=build-asan
declare -A max_len=([safetensors]=8192 [gguf]=16384 [config]=4096 [decoder_config]=4096 [tokenizer_files]=8192 [encode]=4096 [hub_headers]=4096 [api_request]=4096 [http_request]=4096 [tokenizer_json]=65536 [tokenizer_encode]=4096 [regex]=4096)
targets=(safetensors gguf config decoder_config tokenizer_files encode hub_headers api_request http_request tokenizer_json tokenizer_encode regex)
[ $# -gt 2 ] && targets=("${@:3}")  # run_fuzzers.sh SECONDS JOBS TARGET...: only these
mkdir -p "$build/artifacts" "$build/logs"

run() {  # run TARGET: one fuzzer, its log in build-asan/logs/TARGET.log
  local t="$1"
  mkdir -p "$build/corpus/$t"
  "$build/fuzz/fuzz_$t" "$build/corpus/$t" "fuzz/corpus/$t" \
    -max_total_time="$seconds" -max_len="${max_len[$t]}" -rss_limit_mb=2048 -malloc_limit_mb=2048 -timeout=10 \
    -print_final_stats=1 -artifact_prefix="$build/artifacts/$t-" >"$build/logs/$t.log" 2>&1
}

report() {  # report TARGET EXIT_CODE
  local t="$1" rc="$2" execs
  execs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$build/logs/$t.log" | grep -o '[0-9]*$')
  if [ "$rc" -eq 0 ]; then echo "fuzz ok   $t: ${execs:-?} runs in ${seconds}s"; return; fi
  echo "fuzz FAIL $t (exit $rc), see $build/logs/$t.log:"; tail -n 40 "$build/logs/$t.log"; fail=1
}

fail=0
pids=(); names=()
for t in "${targets[@]}"; do
  run "$t" & pids+=($!); names+=("$t")
  if [ ${#pids[@]} -ge "$jobs" ]; then  # wait for the oldest before starting another
    wait "${pids[0]}"; report "${names[0]}" $?
    pids=("${pids[@]:1}"); names=("${names[@]:1}")
  fi
done
for i in "${!pids[@]}"; do wait "${pids[$i]}"; report "${names[$i]}" $?; done
exit $fail

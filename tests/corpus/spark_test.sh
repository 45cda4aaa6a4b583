#!/usr/bin/env bash
# ctest corpus_spark: examples/spark_head_stats.py on pyspark (PyPI, in .venv-test) in local[2] gives
# exactly the head statistics of one `attnlab corpus` process over the same corpus: every number of
# head_stats.csv equal as a double, and the same token count.
# Usage: spark_test.sh ATTNLAB_BINARY MODEL_DIR [FALLBACK_MODEL_DIR (when MODEL_DIR has no weights)].
# Exit 77 (skipped) without Java or the test venv.
set -euo pipefail
attnlab="$1"
model="$2"
[ -f "$model/model.safetensors" ] || model="${3:-$model}"
root="$(cd "$(dirname "$0")/../.." && pwd)"

if ! command -v java >/dev/null 2>&1; then
  echo "spark_test: no java; scripts/install_deps.sh installs openjdk-17-jre-headless" >&2
  exit 77
fi
if ! python="$("$root/scripts/test_venv.sh")"; then
  echo "spark_test: cannot set up the test venv (scripts/test_venv.sh)" >&2
  exit 77
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
# A corpus of mixed lengths, punctuation, blank lines and a long line that gets truncated.
"$python" - "$tmp/corpus.txt" <<'EOF'
import random, sys
random.seed(16)
words = ("the cat sat on a mat , . students attend to every token while their heads look at "
         "special tokens ; attention is not explanation ! why ? because").split()
with open(sys.argv[1], "w") as f:
    for i in range(300):
        n = random.choice([1, 3, 8, 15, 30, 60]) if i != 150 else 700
        f.write(" ".join(random.choice(words) for _ in range(n)) + "\n")
        if i % 37 == 5:
            f.write("\n")
EOF

"$attnlab" corpus "$tmp/corpus.txt" --model "$model" --out "$tmp/single" 2>"$tmp/single.log" || {
  cat "$tmp/single.log" >&2
  exit 1
}
PATH="$(dirname "$attnlab"):$PATH" "$python" "$root/examples/spark_head_stats.py" "$tmp/corpus.txt" \
  --attnlab "$attnlab" --model "$model" --master 'local[2]' --partitions 4 --out "$tmp/spark.csv" \
  2>"$tmp/spark.log" || {
  tail -50 "$tmp/spark.log" >&2
  exit 1
}

"$python" - "$tmp/single/head_stats.csv" "$tmp/spark.csv" <<'EOF'
import csv, sys
single = list(csv.DictReader(open(sys.argv[1])))
spark = list(csv.DictReader(open(sys.argv[2])))
assert len(single) == len(spark) and single, (len(single), len(spark))
worst = 0.0
for a, b in zip(single, spark):
    for key in a:
        if key in ("layer", "head", "tokens"):
            assert int(a[key]) == int(b[key]), (key, a, b)
        else:
            worst = max(worst, abs(float(a[key]) - float(b[key])))
            assert float(a[key]) == float(b[key]), (key, a[key], b[key], a["layer"], a["head"])
print(f"spark_test: {len(single)} heads, {single[0]['tokens']} tokens: Spark local[2] equals one process exactly "
      f"(max difference {worst})")
EOF

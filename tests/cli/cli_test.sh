#!/usr/bin/env bash
# End-to-end checks of the attnlab CLI: exit codes, messages, help, and the notebook's printed text.
set -u
cli="$1"; fixtures="$2"
fail=0
check() {  # check NAME EXPECTED_EXIT PATTERN -- command...
  local name="$1" want="$2" pattern="$3"; shift 4
  local out rc
  out=$("$@" 2>&1); rc=$?
  if [ "$rc" != "$want" ]; then echo "FAIL $name: exit $rc, want $want"; echo "$out"; fail=1; return; fi
  if ! grep -qE -- "$pattern" <<<"$out"; then echo "FAIL $name: output lacks /$pattern/"; echo "$out"; fail=1; return; fi
  echo "ok   $name"
}
check version 0 '^attnlab [0-9]+\.[0-9]+\.[0-9]+$' -- "$cli" --version
check help 0 'toy' -- "$cli" --help
check toy-help 0 '--seed' -- "$cli" toy --help
check toy-help-json 0 '--json' -- "$cli" toy --help
check no-command 2 'attnlab: error' -- "$cli"
check unknown-flag 2 'attnlab: error: .*--bogus' -- "$cli" toy --bogus
check seed-not-number 2 'attnlab: error: .*--seed' -- "$cli" toy --seed abc
check seed-huge 2 'attnlab: error' -- "$cli" toy --seed 99999999999999999999999
check token-range 2 'attnlab: error: .*change-token' -- "$cli" toy --change-token 9

# The notebook's printed block, character for character (fixture printed by real PyTorch).
for seed in 103 0 42 2024 -5; do
  want=$(cat "$fixtures/toy_seed${seed}_stdout.txt")
  got=$("$cli" toy --seed "$seed" | head -c ${#want})
  if [ "$got" == "$want" ]; then echo "ok   toy-notebook-text seed $seed"; else
    echo "FAIL toy-notebook-text seed $seed"; diff <(echo "$want") <(echo "$got"); fail=1; fi
done
"$cli" toy --json | python3 -c 'import json,sys; d=json.load(sys.stdin); assert set(d["parameters"])=={"non_attention.linear","query","key","value"}' \
  && echo "ok   toy-json-parses" || { echo "FAIL toy-json-parses"; fail=1; }
# The notebook's get_bert_cls_attention() output, line for line (fixtures printed by transformers).
root="$(cd "$fixtures/../.." && pwd)"
minilm="$root/models/all-MiniLM-L6-v2"
tiny="$fixtures/bert/tiny-random/model"
for m in minilm tiny; do
  dir=$minilm; [ $m = tiny ] && dir=$tiny
  for s in notebook custom; do
    sentence="The cat sat on the mat."; [ $s = custom ] && sentence="Students learn faster when examples are visual and interactive."
    if diff <("$cli" attention --model "$dir" "$sentence") "$fixtures/notebook_bert_${m}_${s}_stdout.txt" >/dev/null; then
      echo "ok   notebook-bert-text $m $s"; else echo "FAIL notebook-bert-text $m $s"
      diff <("$cli" attention --model "$dir" "$sentence") "$fixtures/notebook_bert_${m}_${s}_stdout.txt"; fail=1; fi
  done
done
# Default model: offline fallback says so on stderr, once.
out=$(HF_HUB_OFFLINE=1 HF_HUB_CACHE=$(mktemp -d) ATTNLAB_OFFLINE_MODEL="$minilm" "$cli" attention "The cat sat on the mat." 2>&1 >/dev/null)
if grep -q "using the offline model all-MiniLM-L6-v2" <<<"$out" && [ "$(wc -l <<<"$out")" = 1 ]; then echo "ok   default-model-fallback-notice"; else echo "FAIL default-model-fallback-notice: $out"; fail=1; fi
# A named model that cannot be had is an error, never a substitute.
check named-model-offline 5 'HF_HUB_OFFLINE' -- env HF_HUB_OFFLINE=1 HF_HUB_CACHE=/nonexistent "$cli" attention --model bert-base-uncased "x"
check model-not-dir-or-id 3 'no such model directory' -- "$cli" attention --model ./no/such/dir/ "x"
check stdin-text 0 'Sentence: The cat' -- sh -c "echo 'The cat' | '$cli' attention --model '$tiny' -"
check layer-range 2 '--layer 2 is out of range: the model has 2 layers' -- "$cli" attention --model "$tiny" --layer 2 "x"
check head-range 2 '--head 4 is out of range' -- "$cli" attention --model "$tiny" --head 4 "x"
check query-range 2 '--query 9 is out of range' -- "$cli" attention --model "$tiny" --query 9 "The cat"
check tokenize-json 0 '"input_ids": \[2, ' -- "$cli" tokenize --model "$tiny" --json "The cat"
check tokenize-pair 0 'token_type_ids: \[0, 0, 0, 1, 1\]' -- "$cli" tokenize --model "$tiny" "cat" --pair "cat"
check no-truncate 3 'at most 512' -- sh -c "python3 -c 'print(\"cat \" * 600)' | '$cli' attention --model '$tiny' --no-truncate -"
check truncate-warns 0 'truncated' -- sh -c "python3 -c 'print(\"cat \" * 600)' | '$cli' attention --model '$tiny' - 2>&1 >/dev/null"
"$cli" attention --model "$tiny" --json --all "The cat sat." | python3 -c '
import json,sys; d=json.load(sys.stdin); a=d["attentions"]; n=len(d["tokens"])
assert len(a)==2 and len(a[0])==4 and len(a[0][0])==n and len(a[0][0][0])==n, "shape"
assert all(abs(sum(r)-1)<1e-5 for l in a for h in l for r in h), "rows sum to 1"
assert len(d["last_hidden_state"])==n and len(d["pooler_output"])==32' \
  && echo "ok   attention-json-all" || { echo "FAIL attention-json-all"; fail=1; }
# attnlab demo: the notebook end to end, figures in every format, errors before any work.
demo_out=$(mktemp -d)
if "$cli" demo --model "$minilm" --out "$demo_out/figs" --format png,svg,pdf > "$demo_out/stdout.txt" 2>&1; then
  okd=1
  for f in attention_comparison custom_cls_attention; do for e in png svg pdf; do [ -s "$demo_out/figs/$f.$e" ] || okd=0; done; done
  head -c "$(wc -c < "$fixtures/toy_seed103_stdout.txt")" "$demo_out/stdout.txt" | cmp -s - "$fixtures/toy_seed103_stdout.txt" || okd=0
  grep -qF "$(cat "$fixtures/notebook_bert_minilm_notebook_stdout.txt")" "$demo_out/stdout.txt" || okd=0
  grep -qF "$(cat "$fixtures/notebook_bert_minilm_custom_stdout.txt")" "$demo_out/stdout.txt" || okd=0
  grep -q "^4. Strongest \[CLS\] target token: \[SEP\]$" "$demo_out/stdout.txt" || okd=0
  grep -q "^3. Mean attention interaction strength: 0.250$" "$demo_out/stdout.txt" || okd=0
  grep -q "## \[SEP\] Token (Separator)" "$demo_out/stdout.txt" || okd=0
  # The numbers drawn are the numbers printed: every [CLS] value (3 decimals) is a text in the SVG.
  for v in 0.314 0.066 0.014 0.415 1.06 -0.30 0.27; do grep -q ">$v<" "$demo_out/figs/attention_comparison.svg" || { okd=0; echo "svg lacks $v"; }; done
  if [ $okd = 1 ]; then echo "ok   demo"; else echo "FAIL demo"; cat "$demo_out/stdout.txt"; fail=1; fi
else echo "FAIL demo (exit $?)"; cat "$demo_out/stdout.txt"; fail=1; fi
ls "$demo_out/figs" | grep -q tmp && { echo "FAIL demo left temporary files"; fail=1; }
check demo-bad-format 2 'known formats: png, svg, pdf' -- "$cli" demo --model "$minilm" --out "$demo_out/x" --format png,gif
check demo-bad-dpi 2 'dpi' -- "$cli" demo --model "$minilm" --out "$demo_out/x" --dpi 0
check demo-unwritable 4 '/proc/attnlab' -- "$cli" demo --model "$minilm" --out /proc/attnlab
[ -e "$demo_out/x" ] && { echo "FAIL demo did work before rejecting bad flags"; fail=1; }
"$cli" attention --model "$tiny" --plot "$demo_out/row.svg" --heatmap "$demo_out/map.pdf" "The cat sat." >/dev/null 2>&1 \
  && grep -q '>cat<' "$demo_out/row.svg" && [ -s "$demo_out/map.pdf" ] && echo "ok   attention-plot-heatmap" \
  || { echo "FAIL attention-plot-heatmap"; fail=1; }
check plot-bad-extension 2 'row.gif' -- "$cli" attention --model "$tiny" --plot "$demo_out/row.gif" "x"
check plot-unwritable 4 '/proc/attnlab' -- "$cli" attention --model "$tiny" --heatmap /proc/attnlab/map.png "x"
rm -rf "$demo_out"
exit $fail

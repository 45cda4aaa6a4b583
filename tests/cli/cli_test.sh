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

# Hostile inputs: every broken model folder is refused with exit 3 (4 for unreadable files), one
# "attnlab: error:" line naming the file, and never a crash. Each case breaks a copy of the tiny model.
work=$(mktemp -d)
broken() {  # broken NAME: a fresh copy of the tiny model in $work/NAME; prints its path
  rm -rf "${work:?}/$1"; cp -r "$tiny" "$work/$1"; echo "$work/$1"
}
# st.py OUT HEADER DATA_BYTES [HEADER_LEN]: a safetensors file with this JSON header and zero data.
cat > "$work/st.py" <<'PY'
import struct, sys
out, header, nbytes = sys.argv[1], sys.argv[2].encode(), int(sys.argv[3])
length = int(sys.argv[4]) if len(sys.argv) > 4 else len(header)
open(out, "wb").write(struct.pack("<Q", length) + header + bytes(nbytes))
PY
st() { python3 "$work/st.py" "$@"; }
# config.py DIR KEY JSON_VALUE: sets (or with JSON_VALUE "DELETE", removes) one config.json field.
cat > "$work/config.py" <<'PY'
import json, sys
path = sys.argv[1] + "/config.json"; c = json.load(open(path))
if sys.argv[3] == "DELETE": del c[sys.argv[2]]
else: c[sys.argv[2]] = json.loads(sys.argv[3])
json.dump(c, open(path, "w"))
PY
setcfg() { python3 "$work/config.py" "$@"; }
hostile() {  # hostile NAME EXIT FILE_REGEX MESSAGE_REGEX DIR: `attention` on DIR fails as described
  check "hostile-$1" "$2" "^attnlab: error: .*$3.*$4" -- timeout 60 "$cli" attention --model "$5" "The cat sat."
}
st_err() { echo "model\.safetensors: "; }

d=$(broken truncated-data); python3 -c "import os,sys; os.truncate(sys.argv[1], 5000)" "$d/model.safetensors"
hostile truncated-data 3 "$(st_err)" 'runs? past the (end of the file|data section).*truncated' "$d"
d=$(broken truncated-header); python3 -c "import os,sys; os.truncate(sys.argv[1], 1000)" "$d/model.safetensors"
hostile truncated-header 3 "$(st_err)" 'header length 4008 runs past the end of the file \(1000 bytes; truncated download\?\)' "$d"
d=$(broken header-past-end); st "$d/model.safetensors" '{}' 0 1000
hostile header-length-past-end 3 "$(st_err)" 'header length 1000 runs past the end' "$d"
d=$(broken header-2pow62); st "$d/model.safetensors" '{}' 0 4611686018427387904
hostile header-length-2pow62 3 "$(st_err)" 'header length 4611686018427387904 exceeds the limit' "$d"
d=$(broken header-not-json); st "$d/model.safetensors" 'not json {' 0
hostile header-not-json 3 "$(st_err)" 'header is not valid JSON' "$d"
d=$(broken empty-file); : > "$d/model.safetensors"
hostile empty-file 3 "$(st_err)" '0 bytes, expected at least 8' "$d"
d=$(broken seven-bytes); printf '1234567' > "$d/model.safetensors"
hostile seven-byte-file 3 "$(st_err)" '7 bytes, expected at least 8' "$d"
d=$(broken offsets-out-of-range); st "$d/model.safetensors" '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}' 4
hostile offsets-out-of-range 3 "$(st_err)" "tensor 'a': data_offsets \[0,8\] run past the data section \(4 bytes" "$d"
d=$(broken overlapping-offsets)
st "$d/model.safetensors" '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}' 12
hostile overlapping-offsets 3 "$(st_err)" "tensor 'b' overlaps the previous tensor" "$d"
d=$(broken unknown-dtype); st "$d/model.safetensors" '{"a":{"dtype":"F12","shape":[2],"data_offsets":[0,8]}}' 8
hostile unknown-dtype 3 "$(st_err)" "tensor 'a': unknown dtype 'F12'" "$d"
d=$(broken shape-byte-mismatch); st "$d/model.safetensors" '{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,8]}}' 8
hostile shape-byte-mismatch 3 "$(st_err)" 'F32 shape \[4\] needs 16 bytes, data_offsets give 8' "$d"
d=$(broken negative-shape); st "$d/model.safetensors" '{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}' 8
hostile negative-shape 3 "$(st_err)" 'negative dimension -2' "$d"
d=$(broken shape-wraps); st "$d/model.safetensors" '{"a":{"dtype":"F64","shape":[4611686018427387904],"data_offsets":[0,0]}}' 0
hostile shape-bytes-overflow 3 "$(st_err)" 'needs more than 2\^64 bytes' "$d"
d=$(broken escape-in-name); st "$d/model.safetensors" '{"\u001b[2J":{"dtype":"F12","shape":[],"data_offsets":[0,0]}}' 0
hostile control-chars-escaped 3 "$(st_err)" "tensor '\\\\x1b\[2J': unknown dtype" "$d"
d=$(broken c1-in-name); st "$d/model.safetensors" '{"\u009b2J":{"dtype":"F12","shape":[],"data_offsets":[0,0]}}' 0
hostile c1-control-escaped 3 "$(st_err)" "tensor '\\\\u009b2J': unknown dtype" "$d"
d=$(broken missing-tensor)
python3 - "$d/model.safetensors" <<'PY'
import json, struct, sys
b = open(sys.argv[1], "rb").read(); n = struct.unpack("<Q", b[:8])[0]; h = json.loads(b[8:8 + n]); data = b[8 + n:]
gone = "encoder.layer.1.attention.self.key.weight"; lo, hi = h.pop(gone)["data_offsets"]
for k, v in h.items():
    if k != "__metadata__" and v["data_offsets"][0] >= hi: v["data_offsets"] = [o - (hi - lo) for o in v["data_offsets"]]
hb = json.dumps(h).encode(); open(sys.argv[1], "wb").write(struct.pack("<Q", len(hb)) + hb + data[:lo] + data[hi:])
PY
hostile missing-tensor 3 "$(st_err)" "missing tensor 'encoder.layer.1.attention.self.key.weight'" "$d"
d=$(broken shape-vs-config); setcfg "$d" intermediate_size 65
hostile tensor-shape-vs-config 3 "$(st_err)" "tensor 'encoder.layer.0.intermediate.dense.weight' has shape \[64, 32\], config says \[65, 32\]" "$d"
d=$(broken vocab-2pow30); setcfg "$d" vocab_size 1073741824
hostile config-vocab-2pow30 3 "$(st_err)" 'config says \[1073741824, 32\]' "$d"
d=$(broken layers-2pow30); setcfg "$d" num_hidden_layers 1073741824
hostile config-layers-2pow30 3 'config\.json: ' "'num_hidden_layers' must be a positive integer at most 1024" "$d"
d=$(broken heads); setcfg "$d" num_attention_heads 5
hostile heads-not-dividing-hidden 3 'config\.json: ' 'hidden_size 32 is not divisible by num_attention_heads 5' "$d"
d=$(broken config-missing-key); setcfg "$d" num_attention_heads DELETE
hostile config-missing-key 3 'config\.json: ' "missing required field 'num_attention_heads'" "$d"
d=$(broken config-not-json); printf '{"hidden_size": 3' > "$d/config.json"
hostile config-not-json 3 'config\.json: ' 'not valid JSON' "$d"
d=$(broken config-number-overflow); printf '{"hidden_size": 1e400}' > "$d/config.json"
hostile config-number-overflow 3 'config\.json: ' 'not valid JSON.*number overflow' "$d"
d=$(broken config-wrong-type); setcfg "$d" hidden_size '"32"'
hostile config-wrong-type 3 'config\.json: ' "field 'hidden_size' must be a positive integer, found \"32\"" "$d"
d=$(broken config-float); setcfg "$d" num_hidden_layers 2.5
hostile config-float-for-int 3 'config\.json: ' "field 'num_hidden_layers' must be a positive integer, found 2.5" "$d"
d=$(broken architecture); setcfg "$d" model_type '"gpt2"'
hostile unsupported-architecture 3 'config\.json: ' "model_type 'gpt2' is not supported" "$d"
d=$(broken config-fifo); rm "$d/config.json"; mkfifo "$d/config.json"
hostile config-is-fifo 3 'config\.json: ' 'not a regular file' "$d"
d=$(broken config-huge); python3 -c "import sys; open(sys.argv[1],'w').write('{\"x\": \"' + 'a' * 2000000 + '\"}')" "$d/config.json"
hostile config-huge 3 'config\.json: ' 'is 2000009 bytes, more than the 1048576 bytes' "$d"
d=$(broken weights-fifo); rm "$d/model.safetensors"; mkfifo "$d/model.safetensors"
hostile weights-is-fifo 4 "$(st_err)" 'not a regular file' "$d"
d=$(broken empty-vocab); rm "$d/tokenizer.json"; : > "$d/vocab.txt"
hostile empty-vocabulary 3 'vocab\.txt: ' 'vocabulary is empty' "$d"
d=$(broken vocab-no-unk); rm "$d/tokenizer.json"; sed -i '/^\[UNK\]$/d' "$d/vocab.txt"
hostile vocabulary-without-unk 3 'vocab\.txt: ' "no unknown token '\[UNK\]'" "$d"
d=$(broken tokenizer-json-huge-id)
python3 - "$d/tokenizer.json" <<'PY'
import json, sys
t = json.load(open(sys.argv[1])); t["model"]["vocab"]["cat"] = 2 ** 40; json.dump(t, open(sys.argv[1], "w"))
PY
hostile tokenizer-json-huge-id 3 'tokenizer\.json: ' "model.vocab: id of 'cat' is 1099511627776, expected an integer id" "$d"
d=$(broken tokenizer-json-sparse-id)
python3 - "$d/tokenizer.json" <<'PY'
import json, sys
t = json.load(open(sys.argv[1])); t["model"]["vocab"]["cat"] = 2 ** 31 - 2; json.dump(t, open(sys.argv[1], "w"))
PY
hostile token-id-beyond-model-vocab 3 '' 'token id 2147483646 at position 2 is outside the vocabulary \(vocab_size 110\)' "$d"
check tokenize-sparse-id 0 '2147483646' -- timeout 60 "$cli" tokenize --model "$d" "the cat"
d=$(broken no-weights); rm "$d/model.safetensors"
hostile missing-model-file 3 "$(st_err)" 'missing model weights' "$d"
d=$(broken no-config); rm "$d/config.json"
hostile missing-config 3 "$d" 'not a model directory \(no config\.json\)' "$d"
d=$(broken no-vocab); rm "$d/tokenizer.json" "$d/vocab.txt"
hostile missing-vocabulary 3 "$d" 'no tokenizer\.json or vocab\.txt' "$d"

# Text: any bytes, any length.
same_tokens() {  # same_tokens NAME BYTES_PRINTF CLEAN_TEXT: stdin bytes tokenize like the clean text
  local got want
  got=$(printf "$2" | "$cli" tokenize --model "$tiny" - 2>&1); want=$("$cli" tokenize --model "$tiny" "$3" 2>&1)
  if [ "$got" == "$want" ] && grep -q '^Tokens: ' <<<"$got"; then echo "ok   $1"; else
    echo "FAIL $1"; diff <(echo "$want") <(echo "$got"); fail=1; fi
}
same_tokens text-invalid-utf8 'the \xff\xfecat\xc3\x28 sat\xed\xa0\x80' 'the cat( sat'
same_tokens text-nul-bytes 'the\0 cat\0\0 sat' 'the cat sat'
check attention-invalid-utf8 0 'Tokens: ' -- sh -c "printf 'the \\377cat\\0 sat' | '$cli' attention --model '$tiny' - | tr -d '\\0'"
python3 -c 'import sys; sys.stdout.write("The cat sat on the mat. " * 43691)' > "$work/1mb.txt"  # 1 MiB
check text-1mb-attention-truncates 0 'warning: input is longer than 512 tokens.*truncated' -- \
  sh -c "timeout 120 '$cli' attention --model '$tiny' - < '$work/1mb.txt' 2>&1 >/dev/null"
check text-1mb-tokenize 0 '^Tokens: \[.\[CLS\].' -- timeout 120 "$cli" tokenize --model "$tiny" - < "$work/1mb.txt"
python3 -c 'import sys; sys.stdout.write("cat " * 10000)' > "$work/10k.txt"  # 10,000 tokens + [CLS] [SEP]
check text-10k-tokens-truncated 0 'input is longer than 512 tokens' -- sh -c "'$cli' attention --model '$tiny' - < '$work/10k.txt' 2>&1"
check text-10k-tokens-no-truncate 3 '^attnlab: error: input is 10002 tokens, the model accepts at most 512' -- \
  sh -c "'$cli' attention --model '$tiny' --no-truncate - < '$work/10k.txt'"
check text-10k-tokens-tokenize-json 0 '"input_ids": \[2, ' -- sh -c "'$cli' tokenize --model '$tiny' --json - < '$work/10k.txt' 2>/dev/null"
head -c 17000000 /dev/zero > "$work/17mb.txt"
check text-over-16mib 3 '^attnlab: error: the text on standard input is more than 16777216 bytes' -- \
  sh -c "'$cli' tokenize --model '$tiny' - < '$work/17mb.txt'"

# Command-line values and outputs.
check layer-negative 2 '^attnlab: error: --layer -1 is out of range' -- "$cli" attention --model "$tiny" --layer -1 "x"
check head-not-number 2 '^attnlab: error: .*--head' -- "$cli" attention --model "$tiny" --head two "x"
check query-beyond-truncation 2 '^attnlab: error: --query 600 is out of range: the model has 512 tokens in this input' -- \
  sh -c "'$cli' attention --model '$tiny' --query 600 - < '$work/10k.txt'"
check stdout-unwritable 4 '^attnlab: error: cannot write to standard output' -- sh -c "'$cli' tokenize --model '$tiny' 'the cat' > /dev/full"
check plot-dir-missing 4 "^attnlab: error: cannot write '$work/nope/row.png': directory '$work/nope' does not exist" -- \
  "$cli" attention --model "$tiny" --plot "$work/nope/row.png" "x"
rm -rf "$work"
exit $fail

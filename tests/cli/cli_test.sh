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
exit $fail

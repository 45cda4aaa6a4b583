#!/usr/bin/env python3
"""Writes a bert-base-sized BERT with random weights in Hugging Face layout, for benchmarks.

models/bench-bert-base/: config.json (bert-base-uncased's shape: 12 layers, 12 heads, hidden 768,
intermediate 3072, vocab 30522), model.safetensors (F32, ~440 MB), and all-MiniLM-L6-v2's
bert-base-uncased vocabulary and tokenizer files. Random weights cost nothing to download and time
exactly like the real checkpoint.

Run: tools/.venv/bin/python tools/make_bench_model.py [OUT_DIR]
"""
import pathlib
import shutil
import sys

import torch
from transformers import BertConfig, BertModel

ROOT = pathlib.Path(__file__).resolve().parent.parent
VOCAB_FROM = ROOT / "models" / "all-MiniLM-L6-v2"


def main():
    out = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "models" / "bench-bert-base"
    if (out / "model.safetensors").exists():
        return
    torch.manual_seed(0)
    model = BertModel(BertConfig())  # defaults are bert-base-uncased's shape
    tmp = out.with_name(out.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(str(tmp), safe_serialization=True)
    for f in ("vocab.txt", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"):
        shutil.copy(VOCAB_FROM / f, tmp / f)
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    print(f"wrote {out}", file=sys.stderr)


if __name__ == "__main__":
    main()

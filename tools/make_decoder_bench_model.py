#!/usr/bin/env python3
"""Writes a SmolLM2-135M-shaped Llama with random weights in Hugging Face layout, for the decoder benchmark
(bench/decoder_bench.py, issue 32 "Speed").

OUT_DIR (default models/bench-smollm2-shaped): config.json and model.safetensors (F32, ~540 MB) saved by
LlamaForCausalLM.save_pretrained(safe_serialization=True) from a LlamaConfig of SmolLM2-135M's shape: 30
layers, hidden 576, 9 heads, 3 key/value heads, head_dim 64, MLP 1536, vocab 49152, rope_theta 1e5,
rms_norm_eps 1e-5, tied embeddings, max_position_embeddings 8192; weights from torch.manual_seed(0) at
SmolLM2's initializer_range. The benchmark feeds token ids directly, so no tokenizer is needed to time it;
the SmolLM2 tokenizer.json of tests/fixtures/tokenizers/smollm2 (same 49,152-token vocabulary) is copied
beside the weights anyway, so that anything opening the directory as a model (attnlab's Engine, which
spells the tokens of an id input from the vocabulary) finds one. Random weights cost nothing to
download and time exactly like the real checkpoint.

A directory already holding model.safetensors and a config.json equal to the one this script would
write (transformers_version aside) is left as it is. Anything else is replaced (written to
OUT_DIR.partial first, renamed when complete).

Run: tools/.venv/bin/python tools/make_decoder_bench_model.py [OUT_DIR]
"""
import gzip
import json
import pathlib
import shutil
import sys

import torch
from transformers import LlamaConfig, LlamaForCausalLM

ROOT = pathlib.Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "models" / "bench-smollm2-shaped"
TOKENIZER_FROM = ROOT / "tests" / "fixtures" / "tokenizers" / "smollm2"
SEED = 0

# HuggingFaceTB/SmolLM2-135M's config.json, shape and numerics (bos/eos: the ids of the copied tokenizer's
# <|im_start|> and <|im_end|>, as SmolLM2-135M-Instruct has them; they play no part in a forward pass).
SHAPE = dict(vocab_size=49152, hidden_size=576, intermediate_size=1536, num_hidden_layers=30,
             num_attention_heads=9, num_key_value_heads=3, head_dim=64, max_position_embeddings=8192,
             rope_theta=100000.0, rms_norm_eps=1e-5, tie_word_embeddings=True, hidden_act="silu",
             attention_bias=False, mlp_bias=False, initializer_range=0.041666666666666664,
             bos_token_id=1, eos_token_id=2, pad_token_id=2)
IGNORED_KEYS = ("transformers_version",)


def wanted_config():
    return LlamaConfig(**SHAPE)


def comparable(config_dict):
    return {k: v for k, v in config_dict.items() if k not in IGNORED_KEYS}


def is_current(out, config):
    """True when out already holds this script's model: its weights file and an equal config.json."""
    if not (out / "model.safetensors").is_file() or not (out / "config.json").is_file():
        return False
    try:
        saved = json.loads((out / "config.json").read_text())
    except ValueError:
        return False
    # What save_pretrained writes for this config, read back the same way (keys and types as in the file).
    fresh = json.loads(config.to_json_string())
    fresh.setdefault("architectures", ["LlamaForCausalLM"])
    saved.setdefault("architectures", ["LlamaForCausalLM"])
    for key in ("dtype", "torch_dtype"):  # save_pretrained records the weights' dtype; ours is float32
        if saved.get(key) not in (None, "float32") or fresh.get(key) not in (None, "float32"):
            return False
        saved.pop(key, None)
        fresh.pop(key, None)
    return comparable(saved) == comparable(fresh)


def copy_tokenizer(dest):
    src = TOKENIZER_FROM / "tokenizer.json"
    if src.exists():
        shutil.copy(src, dest / "tokenizer.json")
    elif (TOKENIZER_FROM / "tokenizer.json.gz").exists():
        (dest / "tokenizer.json").write_bytes(gzip.decompress((TOKENIZER_FROM / "tokenizer.json.gz").read_bytes()))
    else:
        print(f"note: no tokenizer in {TOKENIZER_FROM}; the model directory has none (ids in only)", file=sys.stderr)
        return
    if (TOKENIZER_FROM / "tokenizer_config.json").exists():
        shutil.copy(TOKENIZER_FROM / "tokenizer_config.json", dest / "tokenizer_config.json")


def main():
    out = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_OUT
    config = wanted_config()
    if is_current(out, config):
        return
    torch.manual_seed(SEED)
    model = LlamaForCausalLM(config).to(torch.float32).eval()
    tmp = out.with_name(out.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.parent.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(tmp), safe_serialization=True)
    copy_tokenizer(tmp)
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"wrote {out} ({n_params:,} parameters)", file=sys.stderr)


if __name__ == "__main__":
    main()

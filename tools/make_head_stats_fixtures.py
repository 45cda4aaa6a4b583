#!/usr/bin/env python3
"""Reference per-head statistics (Clark et al. 2019, "What does BERT look at?"; definitions in issue 16
and include/attnlab/head_stats.h) from transformers' eager BertModel attentions, computed with numpy
in float64:

  cls / sep / punct = mean over query rows i of sum_j a_ij over key positions j holding [CLS] / [SEP] /
                      a "." or "," token
  self = mean_i a_ii;  prev = mean_{i>=1} a_i,i-1;  next = mean_{i<=n-2} a_i,i+1
  entropy = mean_i -sum_j a_ij ln a_ij  (0 ln 0 = 0)

"corpus" is what `attnlab corpus` must find over the same cases given as JSON lines: per-head
token-weighted means (sum over texts of n * stat / sum of n) and, per layer and vocabulary id, the mean
over a token's occurrences of the attention it receives (mean over heads and query rows of a_ij).

Each case also keeps the float32 attentions the statistics were computed from (tiny model only, to keep
the file small), so the C++ statistics can be checked on exactly the same input apart from the engine.

Writes tests/fixtures/head_stats/<name>.json. Run with tools/.venv/bin/python (torch, transformers).
"""
import json
import pathlib
import sys

import numpy as np
import torch
import transformers
from transformers import AutoModel, AutoTokenizer

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "fixtures" / "head_stats"
MODELS = {
    "tiny-random": ROOT / "tests" / "fixtures" / "bert" / "tiny-random" / "model",
    "minilm": ROOT / "models" / "all-MiniLM-L6-v2",
}
CASES = [
    ("The cat sat on the mat.", None),
    ("Hello, world. Each head attends to every token, often to the special ones.", None),
    ("Unbelievable tokenization, isn't it?", "Yes it is."),
    ("a", None),
    ("", None),
    ("The students find attention matrices surprising, so they look at several layers.", "Why? Because."),
]
STATS = ["cls", "sep", "punct", "self", "prev", "next", "entropy"]


def head_stats(att, tokens):
    """att: [heads, n, n] float64 -> list of dicts, one per head."""
    n = att.shape[-1]
    cls = np.array([t == "[CLS]" for t in tokens])
    sep = np.array([t == "[SEP]" for t in tokens])
    punct = np.array([t in (".", ",") for t in tokens])
    with np.errstate(divide="ignore", invalid="ignore"):
        plogp = np.where(att > 0, att * np.log(np.where(att > 0, att, 1.0)), 0.0)
    out = []
    for a, ent in zip(att, plogp):
        rows = np.arange(n)
        out.append({
            "cls": float(a[:, cls].sum(axis=1).mean()),
            "sep": float(a[:, sep].sum(axis=1).mean()),
            "punct": float(a[:, punct].sum(axis=1).mean()),
            "self": float(a[rows, rows].mean()),
            "prev": float(a[rows[1:], rows[1:] - 1].mean()) if n > 1 else 0.0,
            "next": float(a[rows[:-1], rows[:-1] + 1].mean()) if n > 1 else 0.0,
            "entropy": float((-ent.sum(axis=1)).mean()),
        })
    return out


def corpus_summary(cases, atts):
    """Token-weighted head means and per-token received attention over all cases."""
    layers, heads = len(cases[0]["heads"]), len(cases[0]["heads"][0])
    sums = np.zeros((layers, heads, len(STATS)))
    tokens = 0
    received = {}  # (layer, id) -> [token, count, sum]
    for case, att in zip(cases, atts):
        n = len(case["tokens"])
        tokens += n
        sums += n * np.array([[[h[s] for s in STATS] for h in layer] for layer in case["heads"]])
        per_layer = att.mean(axis=(1, 2))  # [layers, n]: mean over heads and query rows of column j
        for layer in range(layers):
            for j, (tok_id, tok) in enumerate(zip(case["input_ids"], case["tokens"])):
                e = received.setdefault((layer, tok_id), [tok, 0, 0.0])
                e[1] += 1
                e[2] += float(per_layer[layer, j])
    means = sums / tokens
    return {"jsonl": [json.dumps({"id": f"case-{i}", "text": c["text"], "pair": c["pair"]}) for i, c in enumerate(cases)],
            "tokens": tokens,
            "head_means": [[dict(zip(STATS, map(float, h))) for h in layer] for layer in means],
            "received": [[layer, tok_id, tok, count, total / count]
                         for (layer, tok_id), (tok, count, total) in sorted(received.items())]}


def run(model_dir, keep_attentions):
    tok = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModel.from_pretrained(model_dir, attn_implementation="eager").eval()
    cases, atts = [], []
    for text, pair in CASES:
        enc = tok(text, pair, return_tensors="pt") if pair else tok(text, return_tensors="pt")
        with torch.no_grad():
            out = model(**enc, output_attentions=True)
        tokens = tok.convert_ids_to_tokens(enc["input_ids"][0])
        att32 = torch.stack(out.attentions)[:, 0].numpy()  # [layers, heads, n, n] float32
        att = att32.astype(np.float64)
        atts.append(att)
        case = {"text": text, "pair": pair, "tokens": tokens, "input_ids": enc["input_ids"][0].tolist(),
                "heads": [head_stats(layer, tokens) for layer in att]}
        if keep_attentions:
            case["attentions"] = [[[[float("%.9g" % v) for v in row] for row in h] for h in layer] for layer in att32]
        cases.append(case)
    return cases, corpus_summary(cases, atts)


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for name in sys.argv[1:] or list(MODELS):
        cases, corpus = run(MODELS[name], keep_attentions=name == "tiny-random")
        doc = {"generator": "tools/make_head_stats_fixtures.py", "transformers_version": transformers.__version__,
               "torch_version": torch.__version__, "numpy_version": np.__version__, "model": name,
               "stats": STATS, "cases": cases, "corpus": corpus}
        path = OUT / f"{name}.json"
        path.write_text(json.dumps(doc, separators=(",", ":")) + "\n")
        print(f"wrote {path.relative_to(ROOT)} ({path.stat().st_size // 1024} kB)")


if __name__ == "__main__":
    main()

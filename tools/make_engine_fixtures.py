#!/usr/bin/env python3
"""Reference values for the public engine's optional outputs: every layer's hidden states and the
per-head query / key / value vectors, from transformers' BertModel (eager, fp32).

hidden_states come from output_hidden_states=True; query / key / value are the outputs of each
layer's attention.self.{query,key,value} nn.Linear (bias added, before scaling), captured by forward
hooks and laid out [layers, heads, seq, head_dim].

Writes tests/fixtures/engine/<name>.json. Run with tools/.venv/bin/python (torch, transformers).
"""
import json
import pathlib
import sys

import torch
import transformers
from transformers import AutoModel, AutoTokenizer

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "fixtures" / "engine"
MODELS = {
    "tiny-random": ROOT / "tests" / "fixtures" / "bert" / "tiny-random" / "model",
    "minilm": ROOT / "models" / "all-MiniLM-L6-v2",
}
CASES = [("The cat sat on the mat.", None), ("Unbelievable tokenization, isn't it?", "Yes it is.")]


def float32_tree(x):
    """float32 values as the shortest decimal that reads back to the same float32 (9 digits suffice)."""
    if isinstance(x, list):
        return [float32_tree(v) for v in x]
    return float("%.9g" % x)


def run(model_dir, cases_wanted):
    tok = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModel.from_pretrained(model_dir, attn_implementation="eager").eval()
    heads = model.config.num_attention_heads
    captured = {}

    def hook(name, layer):
        def f(_module, _inputs, output):
            captured[(layer, name)] = output[0].detach()
        return f

    for i, layer in enumerate(model.encoder.layer):
        for name in ("query", "key", "value"):
            getattr(layer.attention.self, name).register_forward_hook(hook(name, i))
    cases = []
    for text, pair in cases_wanted:
        enc = tok(text, pair, return_tensors="pt") if pair else tok(text, return_tensors="pt")
        captured.clear()
        with torch.no_grad():
            out = model(**enc, output_hidden_states=True, output_attentions=True)
        seq = enc["input_ids"].shape[1]
        case = {"text": text, "pair": pair, "input_ids": enc["input_ids"][0].tolist(),
                "word_ids": [-1 if w is None else w for w in enc.word_ids(0)],
                "hidden_states": torch.stack(out.hidden_states)[:, 0].tolist(),
                "attentions": torch.stack(out.attentions)[:, 0].tolist()}
        for name in ("query", "key", "value"):
            per_layer = [captured[(i, name)].view(seq, heads, -1).transpose(0, 1)
                         for i in range(len(model.encoder.layer))]
            case[name] = torch.stack(per_layer).tolist()
        for key in ("hidden_states", "attentions", "query", "key", "value"):
            case[key] = float32_tree(case[key])
        cases.append(case)
    return cases


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    names = sys.argv[1:] or list(MODELS)
    for name in names:
        doc = {"generator": "tools/make_engine_fixtures.py", "transformers_version": transformers.__version__,
               "torch_version": torch.__version__, "model": name,
               # MiniLM: one case keeps the file small; the tiny model covers pairs.
               "cases": run(MODELS[name], CASES if name == "tiny-random" else CASES[:1])}
        path = OUT / f"{name}.json"
        path.write_text(json.dumps(doc, separators=(",", ":")) + "\n")
        print(f"wrote {path.relative_to(ROOT)} ({path.stat().st_size // 1024} kB)")


if __name__ == "__main__":
    main()

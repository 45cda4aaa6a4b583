#!/usr/bin/env python3
"""Writes tests/fixtures/toy_seed<N>.json and toy_seed<N>_stdout.txt from real PyTorch.

Runs the notebook's cells 1-2 (../shared/seed/attention_notebook.txt) verbatim for several seeds:
the parameters of NonAttentionExample.linear, query, key, value in construction order, the outputs,
and exactly what the notebook prints. Any PyTorch works (Debian's python3-torch 1.13 or pip's):

    /usr/bin/python3 tools/make_toy_fixtures.py        # or tools/.venv/bin/python
"""
import contextlib
import io
import json
import pathlib
import sys

import torch
import torch.nn as nn

OUT = pathlib.Path(__file__).resolve().parent.parent / "tests" / "fixtures"
SEEDS = [103, 0, 42, 2024, -5]


# --- The notebook's classes, verbatim. ---
class NonAttentionExample(nn.Module):
    def __init__(self, input_dim=4):
        super().__init__()
        self.linear = nn.Linear(input_dim, input_dim)

    def forward(self, x):
        # Each token is transformed independently.
        return self.linear(x)


class SimpleAttentionExample(nn.Module):
    def __init__(self, input_dim=4):
        super().__init__()
        self.query = nn.Linear(input_dim, input_dim)
        self.key = nn.Linear(input_dim, input_dim)
        self.value = nn.Linear(input_dim, input_dim)

    def forward(self, x):
        Q = self.query(x)
        K = self.key(x)
        V = self.value(x)

        scores = torch.matmul(Q, K.transpose(0, 1))
        scores = scores / (K.size(-1) ** 0.5)
        attention_weights = torch.softmax(scores, dim=-1)
        output = torch.matmul(attention_weights, V)
        return output, attention_weights


def notebook_cells(seed):
    """Cell 0's seeding and print, then cell 1 as written."""
    torch.manual_seed(seed)
    print(f"Seed set to {seed}")

    print("=== Non-Attention Example ===")
    x = torch.tensor([
        [1.0, 0.5, 0.8, 0.3],
        [0.2, 0.9, 0.4, 0.7],
        [0.6, 0.3, 0.2, 0.8],
        [0.1, 0.5, 0.9, 0.4],
    ], dtype=torch.float32)

    non_attention_model = NonAttentionExample()
    non_attention_output = non_attention_model(x)

    print("Input tokens:")
    print(x)
    print("\nOutput (independent processing):")
    print(non_attention_output)

    print("\n=== Attention Example ===")
    attention_model = SimpleAttentionExample()
    attention_output, attention_weights = attention_model(x)

    print("Attention weights (token-to-token influence):")
    print(attention_weights)
    print("\nOutput (context-aware processing):")
    print(attention_output)
    return x, non_attention_model, non_attention_output, attention_model, attention_output, attention_weights


def as_list(t):
    # float32 values widened to double: exact, so the C++ test can compare bits.
    return [[float(v) for v in row] for row in t.detach().tolist()] if t.dim() == 2 else \
        [float(v) for v in t.detach().tolist()]


def linear_dict(lin):
    return {"weight": as_list(lin.weight), "bias": as_list(lin.bias)}


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for seed in SEEDS:
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            x, na_model, na_out, at_model, at_out, at_w = notebook_cells(seed)
        # The attention layer's intermediate steps, as its forward() computes them.
        with torch.no_grad():
            q, k, v = at_model.query(x), at_model.key(x), at_model.value(x)
            scores = torch.matmul(q, k.transpose(0, 1)) / (k.size(-1) ** 0.5)
        fixture = {
            "generator": "tools/make_toy_fixtures.py",
            "torch_version": torch.__version__,
            "seed": seed,
            "input": as_list(x),
            "non_attention_output": as_list(na_out),
            "attention_weights": as_list(at_w),
            "attention_output": as_list(at_out),
            "queries": as_list(q),
            "keys": as_list(k),
            "values": as_list(v),
            "scores": as_list(scores),
            "parameters": {
                "non_attention.linear": linear_dict(na_model.linear),
                "query": linear_dict(at_model.query),
                "key": linear_dict(at_model.key),
                "value": linear_dict(at_model.value),
            },
        }
        (OUT / f"toy_seed{seed}.json").write_text(json.dumps(fixture, indent=1) + "\n")
        (OUT / f"toy_seed{seed}_stdout.txt").write_text(buf.getvalue())
        print(f"wrote toy_seed{seed}.json, toy_seed{seed}_stdout.txt (torch {torch.__version__})",
              file=sys.stderr)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Draws the notebook's side-by-side figure with real matplotlib + seaborn from a JSON of numbers.

For eyeballing attnlab's own rendering (src/render/figure.cpp) against the reference; not used by the
tests. The JSON holds "non_attention_output" (4x4), "attention_weights" (4x4), "bert_tokens" and
"bert_attention" (as `attnlab toy --json` plus the BERT cell would give them). Without a JSON argument
the numbers of seed 103 and the notebook's example tokens are used.

    tools/.venv/bin/python tools/render_reference_figure.py [numbers.json] out.png [--layout]

--layout prints every axes' position in figure pixels (for comparing layouts).
"""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import seaborn as sns  # noqa: E402

DEFAULT = {
    "non_attention_output": [[0.1538, 1.0646, -0.3012, 0.0614], [-0.1614, 0.6905, -0.2550, 0.0426],
                             [-0.0574, 0.5088, -0.1035, -0.1139], [0.0277, 0.8331, -0.1047, -0.0887]],
    "attention_weights": [[0.2331, 0.2494, 0.2675, 0.2500], [0.2543, 0.2470, 0.2402, 0.2585],
                          [0.2533, 0.2434, 0.2470, 0.2563], [0.2381, 0.2538, 0.2566, 0.2515]],
    "bert_tokens": ["[CLS]", "the", "cat", "sat", "on", "the", "mat", ".", "[SEP]"],
    "bert_attention": [0.05, 0.1, 0.2, 0.08, 0.07, 0.1, 0.25, 0.05, 0.1],
}


def draw(numbers):
    non_attention_output = np.array(numbers["non_attention_output"], dtype=np.float32)
    attention_weights = np.array(numbers["attention_weights"], dtype=np.float32)
    bert_tokens = numbers["bert_tokens"]
    bert_attention = np.array(numbers["bert_attention"], dtype=np.float32)
    tokens = ["Token 1", "Token 2", "Token 3", "Token 4"]

    # The notebook's cell, verbatim apart from the data source.
    fig, (ax1, ax2, ax3) = plt.subplots(1, 3, figsize=(20, 6))
    sns.heatmap(non_attention_output, ax=ax1, cmap="RdBu_r", center=0, annot=True, fmt=".2f",
                xticklabels=["F1", "F2", "F3", "F4"], yticklabels=tokens)
    ax1.set_title("Non-Attention Processing\n(Independent Token Processing)")
    sns.heatmap(attention_weights, ax=ax2, cmap="viridis", annot=True, fmt=".2f",
                xticklabels=tokens, yticklabels=tokens)
    ax2.set_title("Attention Weights\n(How Tokens Influence Each Other)")
    bars = ax3.bar(range(len(bert_tokens)), bert_attention, color="skyblue")
    ax3.set_xticks(range(len(bert_tokens)))
    ax3.set_xticklabels(bert_tokens, rotation=45, ha="right")
    ax3.set_title("BERT [CLS] Attention\n(Real-world Example)")
    ax3.set_ylabel("Attention Score")
    for rect in bars:
        height = rect.get_height()
        ax3.text(rect.get_x() + rect.get_width() / 2.0, height, f"{height:.3f}", ha="center", va="bottom",
                 fontsize=8)
    plt.tight_layout()
    return fig


def main(argv):
    args = [a for a in argv if not a.startswith("--")]
    numbers = DEFAULT
    if len(args) == 2:
        with open(args[0]) as f:
            numbers = json.load(f)
        args = args[1:]
    if len(args) != 1:
        sys.exit(__doc__)
    fig = draw(numbers)
    fig.savefig(args[0], dpi=100)
    if "--layout" in argv:
        h = fig.get_figheight() * fig.dpi
        for i, ax in enumerate(fig.axes):
            x0, y0, x1, y1 = ax.get_window_extent().extents
            print(f"axes {i}: x {x0:.1f}..{x1:.1f}  y(top-down) {h - y1:.1f}..{h - y0:.1f}  "
                  f"yticks {[round(t, 4) for t in ax.get_yticks()]}")


if __name__ == "__main__":
    main(sys.argv[1:])

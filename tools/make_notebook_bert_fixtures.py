#!/usr/bin/env python3
"""Runs the notebook's get_bert_cls_attention() verbatim (cell 3 and cell 5) with transformers and
records what it prints, so tests can check `attnlab attention` prints the same lines.

Writes tests/fixtures/notebook_bert_<name>_stdout.txt for all-MiniLM-L6-v2 (the offline model;
bert-base-uncased itself is not reachable from this machine) and the tiny random model.

Run: tools/.venv/bin/python tools/make_notebook_bert_fixtures.py
"""
import contextlib
import io
import pathlib

import torch
from transformers import AutoModel, AutoTokenizer

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "fixtures"


# --- The notebook's function, verbatim (model_id passed explicitly). ---
def get_bert_cls_attention(sentence, model_id="bert-base-uncased"):
    tokenizer = AutoTokenizer.from_pretrained(model_id, token=False)
    model = AutoModel.from_pretrained(
        model_id,
        token=False,
        attn_implementation="eager",  # Required to ensure output_attentions works reliably.
    )
    model.eval()

    inputs = tokenizer(sentence, return_tensors="pt")
    model_device = next(model.parameters()).device
    inputs = {k: v.to(model_device) for k, v in inputs.items()}

    with torch.no_grad():
        outputs = model(**inputs, output_attentions=True)

    if outputs.attentions is None:
        raise RuntimeError(
            "No attention tensors were returned. Ensure attn_implementation='eager' and rerun the cell."
        )

    first_layer_attention = outputs.attentions[0]  # [batch, heads, seq, seq]
    cls_attention = first_layer_attention[0, 0, 0].detach().float().cpu().numpy()
    tokens = tokenizer.convert_ids_to_tokens(inputs["input_ids"][0].detach().cpu())

    print("\n=== BERT Attention Example ===")
    print(f"Sentence: {sentence}")
    print(f"Tokens: {tokens}")
    print("\n[CLS] attention to each token:")
    for token, weight in zip(tokens, cls_attention):
        print(f"{token}: {weight:.4f}")

    return tokens, cls_attention


SENTENCES = {"notebook": "The cat sat on the mat.",
             "custom": "Students learn faster when examples are visual and interactive."}
MODELS = {"minilm": ROOT / "models" / "all-MiniLM-L6-v2", "tiny": OUT / "bert" / "tiny-random" / "model"}


def main():
    for mname, mdir in MODELS.items():
        for sname, sentence in SENTENCES.items():
            buf = io.StringIO()
            with contextlib.redirect_stdout(buf):
                get_bert_cls_attention(sentence, model_id=str(mdir))
            (OUT / f"notebook_bert_{mname}_{sname}_stdout.txt").write_text(buf.getvalue())
            print(buf.getvalue())


if __name__ == "__main__":
    main()

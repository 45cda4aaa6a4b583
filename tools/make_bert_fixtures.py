#!/usr/bin/env python3
"""Golden fixtures for attnlab's BERT encoder, from real Hugging Face transformers (eager, fp32).

Writes tests/fixtures/bert/<name>/{cases.json,cases.bin} for
  * tiny-random: a small random BERT whose attention is far from uniform (initializer_range 0.2,
    LayerNorm weights/biases and Linear biases perturbed), saved as a model directory in two
    namings: tiny-random/model (modern: no prefix, LayerNorm weight/bias, F32) and
    tiny-random/model-legacy (original bert-base-uncased style: "bert." prefix, LayerNorm gamma/beta,
    cls.* tensors, int64 position_ids, BertForMaskedLM, F16 weights - rounded before the reference
    runs, so the reference numbers hold for both directories);
  * minilm: all-MiniLM-L6-v2 (models/all-MiniLM-L6-v2, fetched by scripts/fetch_model.sh).
Both run the same cases: the notebook's two sentences, a pair, a padded batch, a >=100-token text.
cases.bin holds float32 little-endian arrays; cases.json says where (offset in floats) and shapes.

Run: tools/.venv/bin/python tools/make_bert_fixtures.py   (pip torch + transformers in tools/.venv)
"""
import json
import pathlib
import shutil
import sys

import numpy as np
import torch
import transformers
from safetensors.torch import save_file
from transformers import AutoModel, AutoTokenizer, BertConfig, BertModel, BertTokenizerFast

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "fixtures" / "bert"
MINILM = ROOT / "models" / "all-MiniLM-L6-v2"

LONG_TEXT = (
    "Attention lets every token look at every other token in the sentence, weigh how relevant each "
    "one is, and blend their representations accordingly. In a transformer encoder such as BERT, "
    "this happens in every layer and in every head, so a single sentence produces dozens of "
    "attention matrices. Students often find that the first layers attend to neighbouring words and "
    "punctuation, while later layers spread their focus across the whole input, and that the "
    "special [CLS] and [SEP] tokens collect a surprising share of the attention mass."
)

CASES = [
    {"name": "notebook", "texts": ["The cat sat on the mat."]},
    {"name": "custom", "texts": ["Students learn faster when examples are visual and interactive."]},
    {"name": "pair", "texts": ["The cat sat on the mat."], "pairs": ["It was warm and very comfortable."]},
    {"name": "batch", "texts": ["Hello world!", "The cat sat on the mat.",
                                "A much longer sentence, with several more words, forces padding here."]},
    {"name": "accents", "texts": ["Café naïve résumé: the [MASK] jumped over 3,141 fences!"]},
    {"name": "long", "texts": [LONG_TEXT]},
]


def perturbed_random_model(vocab_size):
    torch.manual_seed(1234)
    config = BertConfig(vocab_size=vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                        intermediate_size=64, max_position_embeddings=512, type_vocab_size=2,
                        initializer_range=0.2, layer_norm_eps=1e-12, hidden_act="gelu")
    model = BertModel(config, add_pooling_layer=True)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "LayerNorm.weight" in name:
                p.copy_(1.0 + 0.3 * torch.randn_like(p))
            elif "LayerNorm.bias" in name or name.endswith(".bias"):
                p.copy_(0.2 * torch.randn_like(p))
        # Round every weight to float16 and back, so an F16 checkpoint holds exactly these values.
        for p in model.parameters():
            p.copy_(p.half().float())
    return model


def reduced_vocab(tokenizer, texts):
    """Specials first, then every word piece the cases need, so the random model's vocab is small."""
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    pieces = []
    for t in texts:
        for p in tokenizer.tokenize(t):
            if p not in pieces and p not in specials:
                pieces.append(p)
    return specials + sorted(pieces)


def write_tiny_random(minilm_tokenizer):
    base = OUT / "tiny-random"
    texts = [t for c in CASES for t in c["texts"] + c.get("pairs", [])]
    vocab = reduced_vocab(minilm_tokenizer, texts)
    model = perturbed_random_model(len(vocab)).eval()
    modern = base / "model"
    legacy = base / "model-legacy"
    for d in (modern, legacy):
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir(parents=True)
        (d / "vocab.txt").write_text("\n".join(vocab) + "\n")
    tok = BertTokenizerFast(vocab=str(modern / "vocab.txt"), do_lower_case=True)
    assert "[UNK]" not in tok.tokenize(CASES[0]["texts"][0]), "reduced vocabulary did not load"
    tok.save_pretrained(str(modern))
    model.save_pretrained(str(modern), safe_serialization=True)
    # Legacy naming, F16, written by hand the way the 2018 bert-base-uncased checkpoint names things.
    tensors = {}
    for name, p in model.state_dict().items():
        if name.endswith("position_ids"):
            continue
        legacy_name = "bert." + name.replace("LayerNorm.weight", "LayerNorm.gamma").replace("LayerNorm.bias", "LayerNorm.beta")
        tensors[legacy_name] = p.detach().half().contiguous()
    tensors["bert.embeddings.position_ids"] = torch.arange(512, dtype=torch.int64).unsqueeze(0)
    h, v = model.config.hidden_size, model.config.vocab_size
    g = torch.Generator().manual_seed(5)
    tensors["cls.predictions.bias"] = torch.randn(v, generator=g).half()
    tensors["cls.predictions.transform.dense.weight"] = torch.randn(h, h, generator=g).half()
    tensors["cls.predictions.transform.dense.bias"] = torch.randn(h, generator=g).half()
    tensors["cls.predictions.transform.LayerNorm.gamma"] = torch.ones(h).half()
    tensors["cls.predictions.transform.LayerNorm.beta"] = torch.zeros(h).half()
    save_file(tensors, str(legacy / "model.safetensors"), metadata={"format": "pt"})
    cfg = json.loads((modern / "config.json").read_text())
    cfg["architectures"] = ["BertForMaskedLM"]
    (legacy / "config.json").write_text(json.dumps(cfg, indent=2) + "\n")
    (legacy / "tokenizer_config.json").write_text(json.dumps({"do_lower_case": True}) + "\n")
    # The reference is the saved directory itself, loaded exactly as a user would load it.
    reloaded = AutoModel.from_pretrained(str(modern), attn_implementation="eager").eval()
    write_cases(base, modern, reloaded, AutoTokenizer.from_pretrained(str(modern)), layers_for_long=None)


def write_cases(out_dir, model_dir, model, tokenizer, layers_for_long):
    floats = []
    offset = 0
    meta = {"generator": "tools/make_bert_fixtures.py", "transformers_version": transformers.__version__,
            "torch_version": torch.__version__, "model_dir": str(model_dir.relative_to(ROOT)), "cases": []}

    def put(array):
        nonlocal offset
        a = np.ascontiguousarray(array, dtype=np.float32)
        floats.append(a.reshape(-1))
        entry = {"offset": offset, "shape": list(a.shape)}
        offset += a.size
        return entry

    max_prob = 0.0
    for case in CASES:
        pairs = case.get("pairs")
        enc = tokenizer(case["texts"], pairs, padding=True, return_tensors="pt")
        with torch.no_grad():
            out = model(**enc, output_attentions=True)
        att = torch.stack(out.attentions, dim=1)  # [batch, layer, head, seq, seq]
        layers = list(range(att.shape[1]))
        if case["name"] == "long" and layers_for_long is not None:
            layers = layers_for_long
            att = att[:, layers]
        max_prob = max(max_prob, float(att.max()))
        meta["cases"].append({
            "name": case["name"], "texts": case["texts"], "pairs": pairs,
            "tokens": [tokenizer.convert_ids_to_tokens(ids) for ids in enc["input_ids"].tolist()],
            "input_ids": enc["input_ids"].tolist(), "token_type_ids": enc["token_type_ids"].tolist(),
            "attention_mask": enc["attention_mask"].tolist(),
            "attention_layers": layers,
            "attentions": put(att.numpy()),
            "last_hidden_state": put(out.last_hidden_state.numpy()),
            "pooler_output": put(out.pooler_output.numpy()),
        })
    out_dir.mkdir(parents=True, exist_ok=True)
    np.concatenate(floats).astype("<f4").tofile(out_dir / "cases.bin")
    (out_dir / "cases.json").write_text(json.dumps(meta, indent=1) + "\n")
    print(f"{out_dir.relative_to(ROOT)}: {len(CASES)} cases, {offset} floats, max attention prob {max_prob:.3f}",
          file=sys.stderr)


def main():
    torch.set_num_threads(2)
    minilm_tok = AutoTokenizer.from_pretrained(str(MINILM))
    write_tiny_random(minilm_tok)
    minilm = AutoModel.from_pretrained(str(MINILM), attn_implementation="eager").eval()
    write_cases(OUT / "minilm", MINILM, minilm, minilm_tok, layers_for_long=[0, 5])


if __name__ == "__main__":
    main()

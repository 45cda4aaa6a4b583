"""SentencePiece ("llama") tokenizers in GGUF files, and what transformers builds from them.

Trains a small SentencePiece BPE model (byte fallback, digits split, a user-defined and two control
symbols) on the tokenizer test strings, and writes its vocabulary as GGUF metadata the way llama.cpp's
converter writes a Llama/Mistral SentencePiece vocabulary (tokenizer.ggml.model "llama", tokens,
scores, token types straight from the model's piece types, special ids). Each variant's file then
goes through transformers' GGUF tokenizer builder (AutoTokenizer.from_pretrained(dir, gguf_file=...)),
which is the reference: the tokenizer.json it saves, and the ids it gives for the test strings.

Writes tests/fixtures/gguf_tokenizers/<variant>/:
  tokenizer.gguf   the GGUF file (metadata only, one small tensor)
  tokenizer.json   what transformers saves for it (save_pretrained)
  cases.json       {"source", "variant", "cases": [{"text", "bytes_hex"?, "ids", "ids_no_special", "decoded"}]}
                   ids = tokenizer(text)["input_ids"], ids_no_special = the same without special tokens,
                   decoded = tokenizer.decode(ids_no_special)
Variants: llama_spm (add_space_prefix and add_bos_token unset, as old files are: transformers adds BOS and
a prefix space), llama_spm_noprefix (add_space_prefix false, which transformers reads but no builder uses,
so the prefix space stays; add_bos_token false, add_eos_token true).

Run: tools/.venv/bin/python tools/make_gguf_tokenizer_fixtures.py  (offline, a few seconds; rerun gives the
same files for the same sentencepiece version)
"""
import io
import json
import platform
import shutil
import sys
import tempfile
from pathlib import Path

import gguf
import numpy as np
import sentencepiece as spm
import tokenizers
import transformers
from sentencepiece import sentencepiece_model_pb2 as model_pb2
from transformers import AutoTokenizer

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "fixtures" / "gguf_tokenizers"
STRINGS = ROOT / "tests" / "fixtures" / "tokenizers" / "smollm2" / "cases.json"
NOTEBOOK = ROOT.parent / "shared" / "seed" / "attention_notebook.txt"

VARIANTS = {
    "llama_spm": {},
    "llama_spm_noprefix": {"tokenizer.ggml.add_space_prefix": False, "tokenizer.ggml.add_bos_token": False,
                           "tokenizer.ggml.add_eos_token": True},
}


def test_strings():
    """The tokenizer test set's single strings, once each, in order (invalid UTF-8 ones as decoded)."""
    seen, out = set(), []
    for c in json.loads(STRINGS.read_text(encoding="utf-8"))["cases"]:
        if "pair" in c or c["text"] in seen:
            continue
        seen.add(c["text"])
        out.append(c)
    return out


def train(corpus):
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(corpus), model_writer=model, model_type="bpe", vocab_size=1200,
        hard_vocab_limit=False, byte_fallback=True, split_digits=True, character_coverage=0.9995,
        num_threads=1, seed_sentencepiece_size=100000, shuffle_input_sentence=False,
        normalization_rule_name="identity", add_dummy_prefix=True, remove_extra_whitespaces=False,
        allow_whitespace_only_pieces=True, user_defined_symbols=["<think>"],
        control_symbols=["<|im_start|>", "<|im_end|>"], unk_id=0, bos_id=1, eos_id=2, pad_id=-1,
        minloglevel=2)
    proto = model_pb2.ModelProto()
    proto.ParseFromString(model.getvalue())
    return proto


def write_gguf(path, proto, extra):
    w = gguf.GGUFWriter(str(path), "llama")
    w.add_tokenizer_model("llama")
    w.add_token_list([p.piece for p in proto.pieces])
    w.add_token_scores([p.score for p in proto.pieces])
    w.add_token_types([int(p.type) for p in proto.pieces])  # sentencepiece's piece types are GGUF's
    w.add_bos_token_id(1)
    w.add_eos_token_id(2)
    w.add_unk_token_id(0)
    for key, value in extra.items():
        w.add_bool(key, value)
    w.add_tensor("w", np.zeros((2, 4), dtype=np.float32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def main():
    strings = test_strings()
    corpus = [c["text"] for c in strings if "bytes_hex" not in c]
    if NOTEBOOK.exists():
        corpus += [line for line in NOTEBOOK.read_text(encoding="utf-8").splitlines() if line.strip()]
    proto = train(corpus)
    source = {"generator": "tools/make_gguf_tokenizer_fixtures.py", "transformers": transformers.__version__,
              "tokenizers": tokenizers.__version__, "gguf": getattr(gguf, "__version__", "0.19.0"),
              "sentencepiece": spm.__version__, "python": platform.python_version(),
              "strings_from": str(STRINGS.relative_to(ROOT)), "vocab_size": len(proto.pieces)}
    if OUT.exists():
        shutil.rmtree(OUT)
    for name, extra in VARIANTS.items():
        out = OUT / name
        out.mkdir(parents=True)
        write_gguf(out / "tokenizer.gguf", proto, extra)
        with tempfile.TemporaryDirectory() as tmp:
            shutil.copy(out / "tokenizer.gguf", Path(tmp) / "tokenizer.gguf")
            tok = AutoTokenizer.from_pretrained(tmp, gguf_file="tokenizer.gguf")
            tok.save_pretrained(tmp)
            document = json.loads((Path(tmp) / "tokenizer.json").read_text(encoding="utf-8"))
        (out / "tokenizer.json").write_text(json.dumps(document, ensure_ascii=False, indent=1) + "\n",
                                            encoding="utf-8")
        cases = []
        for c in strings:
            entry = {"category": c["category"], "text": c["text"]}
            if "bytes_hex" in c:
                entry["bytes_hex"] = c["bytes_hex"]
            entry["ids"] = tok(c["text"])["input_ids"]
            entry["ids_no_special"] = tok(c["text"], add_special_tokens=False)["input_ids"]
            entry["decoded"] = tok.decode(entry["ids_no_special"])
            cases.append(entry)
        head = dict(source, variant=name, metadata={k: v for k, v in extra.items()},
                    tokenizer_class=type(tok).__name__)
        lines = ",\n".join(json.dumps(c, ensure_ascii=False, separators=(",", ":")) for c in cases)
        (out / "cases.json").write_text("{\"source\":" + json.dumps(head, ensure_ascii=False) +
                                        ",\n\"cases\":[\n" + lines + "\n]}\n", encoding="utf-8")
        print(f"{name}: {len(cases)} strings, vocabulary {len(proto.pieces)}, {type(tok).__name__}")
    (OUT / "README.md").write_text(
        "# SentencePiece tokenizers in GGUF files (transformers)\n\n"
        "Generated by `tools/make_gguf_tokenizer_fixtures.py` (" +
        ", ".join(f"{k} {v}" for k, v in source.items() if k not in ("generator", "strings_from", "vocab_size")) +
        "); do not edit by hand. Regenerate with `tools/.venv/bin/python tools/make_gguf_tokenizer_fixtures.py`.\n\n"
        + __doc__.split("\n\n", 1)[1].split("\nRun:")[0] + "\n", encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())

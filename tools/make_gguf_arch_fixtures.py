"""GGUF files of the llama, qwen2 and qwen3 architectures, and what transformers' GGUF loader makes of them.

The tiny random decoders of tests/fixtures/decoders/ (tools/make_llama_fixtures.py) written as llama.cpp's
convert_hf_to_gguf.py writes them: its tensor names, its metadata keys, the Q/K row permutation of the
llama architecture (LlamaModel.permute; qwen2 and qwen3 are written unpermuted, as their converters do),
Qwen2's q/k/v biases, Qwen3's attn_q_norm / attn_k_norm, the tokenizer as a "gpt2" vocabulary padded to
vocab_size with [PADn] tokens (llama.cpp's _set_vocab_gpt2), and one llama file with its linear weights in
Q8_0 (gguf.quants.quantize). Each file is then loaded by transformers (AutoTokenizer and
AutoModelForCausalLM.from_pretrained(dir, gguf_file=..., dtype=float32, attn_implementation="eager")),
which is the reference: the case texts' ids from its tokenizer (checked equal to the HF fixture's), and its
attentions, logits and top-k on every case, in the format of tests/fixtures/decoders/ (cases.json + cases.bin).

Writes tests/fixtures/decoders/gguf-<name>/: model.gguf, cases.json, cases.bin, for gguf-llama-gqa,
gguf-llama-gqa-q8_0, gguf-qwen2-bias, gguf-qwen3-qknorm.

Run: tools/.venv/bin/python tools/make_gguf_arch_fixtures.py  (offline, about a minute; deterministic)
"""
import json
import pathlib
import shutil
import sys
import tempfile

import gguf
import numpy as np
import tokenizers
import torch
import transformers
from safetensors.numpy import load_file
from transformers import AutoModelForCausalLM, AutoTokenizer

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
from float_blob import FloatBlob  # noqa: E402
DECODERS = ROOT / "tests" / "fixtures" / "decoders"
SCRIPT = "tools/make_gguf_arch_fixtures.py"
TOP_K = 10
# (fixture written, HF fixture it comes from, GGUF architecture, linear weight type, head_dim override)
# transformers' GGUF config for qwen3 does not read attention.key_length, so Qwen3Config's default
# head_dim (128) is what it loads: the qwen3 file is a fresh model of qwen3-qknorm's config with that
# head_dim (seed 33, perturbed as make_llama_fixtures.py perturbs), and its case texts and ids.
VARIANTS = [("gguf-llama-gqa", "llama-gqa", "llama", "F32", None),
            ("gguf-llama-gqa-q8_0", "llama-gqa", "llama", "Q8_0", None),
            ("gguf-qwen2-bias", "qwen2-bias", "qwen2", "F32", None),
            ("gguf-qwen3-qknorm", "qwen3-qknorm", "qwen3", "F32", 128)]


def fresh_model_dir(src, head_dim, tmp):
    """src's config with head_dim replaced, random weights (seed 33) perturbed like the other fixtures'."""
    from make_llama_fixtures import perturb
    cfg = transformers.AutoConfig.from_pretrained(str(src))
    cfg.head_dim = head_dim
    torch.manual_seed(33)
    model = AutoModelForCausalLM.from_config(cfg, dtype=torch.float32).eval()
    perturb(model, {"cls": (type(cfg), type(model))})
    model.save_pretrained(tmp)
    for f in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(src / f, pathlib.Path(tmp) / f)
    return pathlib.Path(tmp)


def permute(w, n_head, n_head_kv):
    """convert_hf_to_gguf.py LlamaModel.permute: rotary pairs (i, i + d/2) become adjacent rows."""
    if n_head_kv is not None and n_head != n_head_kv:
        n_head = n_head_kv
    return w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


def gpt2_vocab(tok_json, vocab_size):
    """llama.cpp's _set_vocab_gpt2: tokens by id up to vocab_size ([PADn] where none), control for the
    added special tokens, the merges as 'a b'."""
    model = tok_json["model"]
    by_id = {i: t for t, i in model["vocab"].items()}
    special = {}
    for a in tok_json.get("added_tokens", []):
        by_id[a["id"]] = a["content"]
        special[a["id"]] = a.get("special", False)
    tokens, types = [], []
    for i in range(vocab_size):
        if i not in by_id:
            tokens.append(f"[PAD{i}]")
            types.append(gguf.TokenType.UNUSED)
        else:
            tokens.append(by_id[i])
            types.append(gguf.TokenType.CONTROL if special.get(i) else gguf.TokenType.NORMAL)
    merges = [" ".join(m) if isinstance(m, list) else m for m in model["merges"]]
    return tokens, types, merges


def write_gguf(path, src, arch, qtype):
    cfg = json.loads((src / "config.json").read_text())
    tok_json = json.loads((src / "tokenizer.json").read_text())
    tok_cfg = json.loads((src / "tokenizer_config.json").read_text())
    w = load_file(str(src / "model.safetensors"))
    heads, kv = cfg["num_attention_heads"], cfg.get("num_key_value_heads", cfg["num_attention_heads"])
    hidden = cfg["hidden_size"]
    head_dim = cfg.get("head_dim") or hidden // heads
    out = gguf.GGUFWriter(str(path), arch)
    out.add_name(src.parent.name)
    out.add_context_length(cfg["max_position_embeddings"])
    out.add_embedding_length(hidden)
    out.add_block_count(cfg["num_hidden_layers"])
    out.add_feed_forward_length(cfg["intermediate_size"])
    out.add_head_count(heads)
    out.add_head_count_kv(kv)
    out.add_rope_freq_base(float(cfg.get("rope_theta", cfg.get("rope_parameters", {}).get("rope_theta", 10000.0))))
    out.add_layer_norm_rms_eps(cfg["rms_norm_eps"])
    if head_dim != hidden // heads:
        out.add_key_length(head_dim)
        out.add_value_length(head_dim)
    if arch == "llama":
        out.add_rope_dimension_count(head_dim)
    out.add_vocab_size(cfg["vocab_size"])
    out.add_file_type(gguf.LlamaFileType.ALL_F32 if qtype == "F32" else gguf.LlamaFileType.MOSTLY_Q8_0)
    tokens, types, merges = gpt2_vocab(tok_json, cfg["vocab_size"])
    out.add_tokenizer_model("gpt2")
    out.add_tokenizer_pre("llama-bpe")
    out.add_token_list(tokens)
    out.add_token_types(types)
    out.add_token_merges(merges)
    if cfg.get("bos_token_id") is not None:
        out.add_bos_token_id(cfg["bos_token_id"])
    if cfg.get("eos_token_id") is not None:
        out.add_eos_token_id(cfg["eos_token_id"] if isinstance(cfg["eos_token_id"], int) else cfg["eos_token_id"][0])
    out.add_add_bos_token(bool(tok_cfg.get("add_bos_token", True)))

    def add(name, array, quantize=False):
        array = np.ascontiguousarray(array, dtype=np.float32)
        if quantize and qtype == "Q8_0" and array.ndim == 2 and array.shape[-1] % 32 == 0:
            out.add_tensor(name, gguf.quants.quantize(array, gguf.GGMLQuantizationType.Q8_0),
                           raw_dtype=gguf.GGMLQuantizationType.Q8_0)
        else:
            out.add_tensor(name, array)

    add("token_embd.weight", w["model.embed_tokens.weight"], quantize=True)
    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}."
        q, k = w[p + "self_attn.q_proj.weight"], w[p + "self_attn.k_proj.weight"]
        if arch == "llama":
            q, k = permute(q, heads, heads), permute(k, heads, kv)
        add(f"blk.{i}.attn_norm.weight", w[p + "input_layernorm.weight"])
        add(f"blk.{i}.attn_q.weight", q, True)
        add(f"blk.{i}.attn_k.weight", k, True)
        add(f"blk.{i}.attn_v.weight", w[p + "self_attn.v_proj.weight"], True)
        add(f"blk.{i}.attn_output.weight", w[p + "self_attn.o_proj.weight"], True)
        for proj in ("q", "k", "v"):
            if p + f"self_attn.{proj}_proj.bias" in w:
                add(f"blk.{i}.attn_{proj}.bias", w[p + f"self_attn.{proj}_proj.bias"])
        if p + "self_attn.q_norm.weight" in w:
            add(f"blk.{i}.attn_q_norm.weight", w[p + "self_attn.q_norm.weight"])
            add(f"blk.{i}.attn_k_norm.weight", w[p + "self_attn.k_norm.weight"])
        add(f"blk.{i}.ffn_norm.weight", w[p + "post_attention_layernorm.weight"])
        add(f"blk.{i}.ffn_gate.weight", w[p + "mlp.gate_proj.weight"], True)
        add(f"blk.{i}.ffn_up.weight", w[p + "mlp.up_proj.weight"], True)
        add(f"blk.{i}.ffn_down.weight", w[p + "mlp.down_proj.weight"], True)
    add("output_norm.weight", w["model.norm.weight"])
    if "lm_head.weight" in w and not cfg.get("tie_word_embeddings", True):
        add("output.weight", w["lm_head.weight"], True)
    out.write_header_to_file()
    out.write_kv_data_to_file()
    out.write_tensors_to_file()
    out.close()


def write_cases(name, src_fixture, gguf_path, out_dir):
    hf_cases = json.loads((src_fixture / "cases.json").read_text())["cases"]
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copy(gguf_path, pathlib.Path(tmp) / "model.gguf")
        tokenizer = AutoTokenizer.from_pretrained(tmp, gguf_file="model.gguf")
        model = AutoModelForCausalLM.from_pretrained(tmp, gguf_file="model.gguf", dtype=torch.float32,
                                                     attn_implementation="eager").eval()
    blob = FloatBlob()
    put = blob.put
    meta = {"generator": SCRIPT, "transformers_version": transformers.__version__, "torch_version": torch.__version__,
            "tokenizers_version": tokenizers.__version__, "gguf_version": "0.19.0",
            "source_fixture": str(src_fixture.relative_to(ROOT)), "model_file": "model.gguf",
            "config": {k: v for k, v in json.loads(model.config.to_json_string(use_diff=False)).items()
                       if k != "_name_or_path"},  # a temporary directory's name
            "top_k": TOP_K, "cases": []}
    for c in hf_cases:
        if c.get("text"):
            ids = tokenizer(c["text"])["input_ids"]
            assert ids == c["input_ids"], (name, c["text"], ids, c["input_ids"])
        else:
            ids = c["input_ids"]
        with torch.no_grad():
            out = model(torch.tensor([ids]), output_attentions=True, use_cache=False)
        att = torch.stack(out.attentions, dim=1)[0]
        logits = out.logits[0]
        probs = torch.softmax(logits[-1], dim=-1, dtype=torch.float32)
        top = torch.topk(probs, TOP_K)
        case = {"name": c["name"], "text": c.get("text"), "input_ids": ids, "n": len(ids), "attentions": put(att.numpy()),
                "logits": put(logits.numpy()), "top_k": {"ids": top.indices.tolist(), "probs": put(top.values.numpy())}}
        meta["cases"].append(case)
    blob.write(out_dir / "cases.bin")
    (out_dir / "cases.json").write_text(json.dumps(meta, indent=1, ensure_ascii=False) + "\n")
    print(f"{out_dir.relative_to(ROOT)}: {len(meta['cases'])} cases, {blob.offset} floats", file=sys.stderr)


def main():
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    transformers.logging.set_verbosity_error()
    for name, src, arch, qtype, head_dim in VARIANTS:
        out_dir = DECODERS / name
        if out_dir.exists():
            shutil.rmtree(out_dir)
        out_dir.mkdir(parents=True)
        with tempfile.TemporaryDirectory() as tmp:
            model_dir = fresh_model_dir(DECODERS / src / "model", head_dim, tmp) if head_dim else DECODERS / src / "model"
            write_gguf(out_dir / "model.gguf", model_dir, arch, qtype)
        write_cases(name, DECODERS / src, out_dir / "model.gguf", out_dir)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Golden fixtures for attnlab's Llama-architecture decoders, from real Hugging Face transformers (eager, fp32).

Writes tests/fixtures/decoders/<name>/{model/,cases.json,cases.bin} for tiny random-weight decoders
(model_type llama, mistral, qwen2, qwen3), each built from a config with torch.manual_seed, its
RMSNorm weights, q/k projections (and qwen2's q/k/v biases, qwen3's q_norm/k_norm) perturbed so that
attention is far from uniform, saved by save_pretrained(safe_serialization=True) in Hugging Face layout
together with a byte-level BPE tokenizer.json (learnt from CORPUS below by the deterministic trainer of
make_tokenizer_json_fixtures.py), tokenizer_config.json and generation_config.json:
  llama-gqa       4 heads / 2 kv heads, rope llama3, tied embeddings, rms_norm_eps 1e-5; config.json in the
                  transformers 4.x hub layout (rope_scaling + rope_theta + torch_dtype), as Llama 3.1 ships it
  llama-untied    separate lm_head, rope linear, saved in 3 safetensors shards + model.safetensors.index.json
  llama-dynamic   rope dynamic (NTK), max_position_embeddings 16 < the longest cases; 4.x layout, "type" key
  llama-yarn      rope yarn (attention_factor inferred from factor), 2 heads / 1 kv head (MQA), head_dim 16
  mistral-window  MistralConfig sliding_window 4 on every layer; 4.x layout
  qwen2-bias      Qwen2Config q/k/v biases, use_sliding_window false beside a sliding_window 4 that must be
                  ignored; 4.x layout (no layer_types), as Qwen2.5 ships it
  qwen2-window    Qwen2Config use_sliding_window true, max_window_layers 1: layer_types [full, sliding]
  qwen3-qknorm    Qwen3Config head_dim 16 != hidden/heads (8), q_norm/k_norm
  llama-bf16      weights saved as BF16; goldens from the checkpoint loaded with dtype=torch.float32
  gemma3-window   Gemma3TextConfig (model_type gemma3_text): sandwich norms with (1 + w), embeddings times
                  sqrt(hidden), QK-norm, query_pre_attn_scalar 24 != head_dim, layer_types [sliding, sliding,
                  full] with sliding_window 4, local rope 10000 / global rope 1e6 linear x2, GELU-tanh gated MLP,
                  final_logit_softcapping 5
  gemma3-legacy   the hub layout of google/gemma-3-1b: rope_theta + rope_local_base_freq + rope_scaling null,
                  sliding_window_pattern 2 and no layer_types, untied lm_head
Every case is run on the saved directory as a user loads it: AutoModelForCausalLM.from_pretrained(dir,
attn_implementation="eager", dtype=torch.float32), freshly loaded for each case (dynamic RoPE is stateful),
model(input_ids, output_attentions=True, output_hidden_states=True) under torch.no_grad(). Texts go
through AutoTokenizer.from_pretrained(dir); "ids" cases are given as input_ids directly.
cases.bin holds float32 little-endian arrays; cases.json says where ({"offset" (in floats), "shape"}).
The files are rewritten from scratch each run and come out byte-identical.

Run: tools/.venv/bin/python tools/make_llama_fixtures.py [NAME...]   (pip torch + transformers in tools/.venv)
"""
import json
import os
import pathlib
import random
import shutil
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import numpy as np  # noqa: E402
import tokenizers  # noqa: E402
import torch  # noqa: E402
import transformers  # noqa: E402
from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, pre_tokenizers, processors  # noqa: E402
from transformers import (AutoModelForCausalLM, AutoTokenizer, LlamaConfig, LlamaForCausalLM,  # noqa: E402
                          Gemma3ForCausalLM, Gemma3TextConfig, MistralConfig, MistralForCausalLM,
                          PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM, Qwen3Config, Qwen3ForCausalLM)

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from make_tokenizer_json_fixtures import LLAMA3_PATTERN, train_bpe, word_counts  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "fixtures" / "decoders"
SCRIPT = "tools/make_llama_fixtures.py"
TOP_K = 10

# What the tokenizers' merges are learnt from (the case texts' words are in it, so they come out as a few
# tokens each; "naïve", the CJK and the emoji are not, so those stay byte tokens).
CORPUS = """\
The cat sat on the mat. The cat sat on the mat and looked at the dog.
Attention lets every token look back at the tokens before it, weigh how useful each one is, and mix them.
A decoder reads the text from left to right: each token sees itself and the tokens before it, never after.
The quick brown fox jumps over the lazy dog; the quick brown fox jumps again.
Every head in every layer makes its own attention matrix, and the model mixes the values it picks.
Rotary position embeddings turn the queries and keys by an angle that grows with the position.
The window lets a token look back only a few positions; the cache keeps the keys and the values.
Students learn faster when examples are visual and interactive, so they look at the matrices.
"""

TEXTS = [
    ("notebook", "The cat sat on the mat."),
    ("long", "Attention lets every token look back at the tokens before it, weigh how useful each one is, "
             "and mix them."),
    ("induction", "the quick brown fox jumps; the quick brown fox jumps; the quick brown fox jumps"),
    ("bytes", "Café naïve 日本 🙂!"),
    ("single", ""),  # the BOS token alone: n = 1
]

LLAMA3_SPECIALS = ("<|begin_of_text|>", "<|end_of_text|>")
SP_SPECIALS = ("<s>", "</s>")


def build_tokenizer(specials):
    """Llama-3 style byte-level BPE: Split(llama3 regex) + ByteLevel, BPE ignore_merges, TemplateProcessing BOS."""
    bos, eos = specials
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(LLAMA3_PATTERN), "isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=False)])
    vocab, merges = train_bpe(word_counts(tok, CORPUS.splitlines()), 330,
                              initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.model = models.BPE(vocab, merges, ignore_merges=True)
    tok.decoder = decoders.ByteLevel()
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in specials])
    tok.post_processor = processors.Sequence([
        processors.ByteLevel(trim_offsets=False),
        processors.TemplateProcessing(single=f"{bos} $A", pair=f"{bos} $A {bos}:1 $B:1",
                                      special_tokens=[(bos, tok.token_to_id(bos))])])
    return tok


# Per model: config class and kwargs (vocab_size, bos/eos ids are filled in), perturbation, how it is saved.
COMMON = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
              num_key_value_heads=2, hidden_act="silu", initializer_range=0.1, rms_norm_eps=1e-6)

MODELS = [
    {"name": "llama-gqa", "cls": (LlamaConfig, LlamaForCausalLM), "specials": LLAMA3_SPECIALS, "seed": 11,
     "config": dict(COMMON, rms_norm_eps=1e-5, tie_word_embeddings=True, max_position_embeddings=8192,
                    rope_parameters={"rope_type": "llama3", "rope_theta": 500000.0, "factor": 8.0,
                                     "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                                     "original_max_position_embeddings": 8192}),
     "layout": "legacy",
     "readme": "LlamaConfig, 4 heads / 2 kv heads (GQA), head_dim 8, rope llama3 (theta 500000, factor 8, low 1, "
               "high 4, original 8192: the 4 frequencies fall in all three bands: kept, smoothed, divided), "
               "tie_word_embeddings true (no lm_head.weight in the file), rms_norm_eps 1e-5. config.json rewritten "
               "in the transformers 4.x hub layout: rope_scaling {rope_type: llama3, ...} + top-level rope_theta + "
               "torch_dtype, as meta-llama/Llama-3.1 ships it."},
    {"name": "llama-untied", "cls": (LlamaConfig, LlamaForCausalLM), "specials": LLAMA3_SPECIALS, "seed": 12,
     "config": dict(COMMON, tie_word_embeddings=False, max_position_embeddings=256,
                    rope_parameters={"rope_type": "linear", "rope_theta": 10000.0, "factor": 2.0}),
     "shard": "40KB",
     "readme": "LlamaConfig, tie_word_embeddings false (own lm_head.weight), rope linear factor 2 (inv_freq / 2), "
               "saved sharded (max_shard_size 40KB: model-0000k-of-0000n.safetensors + "
               "model.safetensors.index.json); transformers 5 config layout (rope_parameters)."},
    {"name": "llama-dynamic", "cls": (LlamaConfig, LlamaForCausalLM), "specials": LLAMA3_SPECIALS, "seed": 13,
     "config": dict(COMMON, tie_word_embeddings=True, max_position_embeddings=16,
                    rope_parameters={"rope_type": "dynamic", "rope_theta": 10000.0, "factor": 2.0}),
     "layout": "legacy-type", "extra_id_lengths": [16, 17],
     "readme": "LlamaConfig, rope dynamic (NTK) factor 2 with max_position_embeddings 16: cases of n <= 16 use the "
               "plain inv_freq, n > 16 (long, ids-long, ids-17) a recomputed base; ids-16 / ids-17 sit either side "
               "of the switch. config.json in the older hub layout: rope_scaling {type: dynamic, factor: 2.0} "
               "(\"type\", not \"rope_type\") + rope_theta."},
    {"name": "llama-yarn", "cls": (LlamaConfig, LlamaForCausalLM), "specials": LLAMA3_SPECIALS, "seed": 14,
     "config": dict(COMMON, num_attention_heads=2, num_key_value_heads=1, tie_word_embeddings=True,
                    max_position_embeddings=8192,
                    rope_parameters={"rope_type": "yarn", "rope_theta": 10000.0, "factor": 4.0,
                                     "original_max_position_embeddings": 2048}),
     "readme": "LlamaConfig, 2 heads / 1 kv head (MQA), head_dim 16, rope yarn factor 4, original 2048, beta_fast/slow "
               "defaults 32/1, truncate default true: correction range [2, 6], ramp (i-2)/4 over the 8 frequencies; "
               "attention_factor not given, so 0.1*ln(4)+1 = 1.1386 multiplies cos and sin."},
    {"name": "mistral-window", "cls": (MistralConfig, MistralForCausalLM), "specials": SP_SPECIALS, "seed": 15,
     "config": dict(COMMON, tie_word_embeddings=False, max_position_embeddings=4096, sliding_window=4,
                    rope_parameters={"rope_type": "default", "rope_theta": 10000.0}),
     "layout": "legacy",
     "readme": "MistralConfig, sliding_window 4 on every layer (Mistral has no layer_types): each query sees "
               "itself and the 3 keys before it; untied lm_head; <s>/</s> tokenizer. config.json in the 4.x hub "
               "layout (rope_theta top level, torch_dtype), as Mistral-7B-v0.1 ships it."},
    {"name": "qwen2-bias", "cls": (Qwen2Config, Qwen2ForCausalLM), "specials": SP_SPECIALS, "seed": 16,
     "config": dict(COMMON, tie_word_embeddings=True, max_position_embeddings=32768, use_sliding_window=False,
                    sliding_window=4, max_window_layers=1,
                    rope_parameters={"rope_type": "default", "rope_theta": 1000000.0}),
     "layout": "legacy-qwen2",
     "readme": "Qwen2Config, q/k/v biases (o_proj none), tied, rope_theta 1e6. config.json in the 4.x hub layout "
               "(no layer_types) with use_sliding_window false, sliding_window 4 and max_window_layers 1: the "
               "window must be ignored (transformers sets sliding_window to None when use_sliding_window is "
               "false): full causal attention on both layers."},
    {"name": "qwen2-window", "cls": (Qwen2Config, Qwen2ForCausalLM), "specials": SP_SPECIALS, "seed": 17,
     "config": dict(COMMON, tie_word_embeddings=False, max_position_embeddings=32768, use_sliding_window=True,
                    sliding_window=4, max_window_layers=1,
                    rope_parameters={"rope_type": "default", "rope_theta": 10000.0}),
     "readme": "Qwen2Config, use_sliding_window true, sliding_window 4, max_window_layers 1: layer_types (written "
               "by transformers) [full_attention, sliding_attention], so layer 0 is fully causal and layer 1 "
               "windowed; q/k/v biases; untied."},
    {"name": "qwen3-qknorm", "cls": (Qwen3Config, Qwen3ForCausalLM), "specials": LLAMA3_SPECIALS, "seed": 18,
     "config": dict(COMMON, head_dim=16, tie_word_embeddings=True, max_position_embeddings=40960,
                    rope_parameters={"rope_type": "default", "rope_theta": 1000000.0}),
     "readme": "Qwen3Config, head_dim 16 != hidden/heads = 8 (q_proj 32->64, k/v 32->32, o_proj 64->32), q_norm / "
               "k_norm RMSNorm over head_dim (weights perturbed) before RoPE, no biases, tied."},
    {"name": "llama-bf16", "cls": (LlamaConfig, LlamaForCausalLM), "specials": LLAMA3_SPECIALS, "seed": 19,
     "config": dict(COMMON, tie_word_embeddings=False, max_position_embeddings=2048,
                    rope_parameters={"rope_type": "default", "rope_theta": 10000.0}),
     "bf16": True,
     "readme": "LlamaConfig, plain rope, untied, every tensor stored as BF16 (config dtype bfloat16). The goldens are "
               "computed in float32 from the bf16 weights (from_pretrained(dtype=torch.float32) widens them "
               "exactly); transformers 5 would otherwise load it in bf16 (dtype defaults to the checkpoint's)."},
    {"name": "gemma3-window", "cls": (Gemma3TextConfig, Gemma3ForCausalLM), "specials": SP_SPECIALS, "seed": 20,
     "config": dict(COMMON, num_hidden_layers=3, head_dim=16, hidden_act=None, hidden_activation="gelu_pytorch_tanh",
                    query_pre_attn_scalar=24, sliding_window=4,
                    layer_types=["sliding_attention", "sliding_attention", "full_attention"],
                    rope_parameters={"sliding_attention": {"rope_type": "default", "rope_theta": 10000.0},
                                     "full_attention": {"rope_type": "linear", "rope_theta": 1000000.0,
                                                        "factor": 2.0}},
                    final_logit_softcapping=5.0, tie_word_embeddings=True, max_position_embeddings=32768),
     "readme": "Gemma3TextConfig (model_type gemma3_text, Gemma3ForCausalLM): 4 heads / 2 kv heads, head_dim 16 != "
               "hidden/heads, query_pre_attn_scalar 24 (scaling 24^-0.5, not head_dim^-0.5), layer_types [sliding, "
               "sliding, full] with sliding_window 4, rope sliding_attention default theta 1e4 and full_attention "
               "linear factor 2 theta 1e6, sandwich RMSNorms x * (1 + w) (weights perturbed around 0), q_norm / "
               "k_norm, embeddings times sqrt(32) in float32, GELU-tanh gated MLP, final_logit_softcapping 5 "
               "(logits = 5 tanh(logits / 5)), tied; transformers 5 config layout (rope_parameters per layer type)."},
    {"name": "gemma3-legacy", "cls": (Gemma3TextConfig, Gemma3ForCausalLM), "specials": SP_SPECIALS, "seed": 21,
     "config": dict(COMMON, num_hidden_layers=4, num_key_value_heads=1, hidden_act=None,
                    hidden_activation="gelu_pytorch_tanh", query_pre_attn_scalar=8, sliding_window=3,
                    sliding_window_pattern=2,
                    rope_parameters={"sliding_attention": {"rope_type": "default", "rope_theta": 10000.0},
                                     "full_attention": {"rope_type": "default", "rope_theta": 1000000.0}},
                    tie_word_embeddings=False, max_position_embeddings=32768),
     "layout": "legacy-gemma3",
     "readme": "Gemma3TextConfig, 4 heads / 1 kv head, head_dim 256 (the config class's default, not hidden/heads), query_pre_attn_scalar 8, sliding_window 3, untied lm_head. config.json in "
               "the hub layout of google/gemma-3-1b-pt: rope_theta 1e6 + rope_local_base_freq 1e4 + rope_scaling "
               "null, sliding_window_pattern 2 and no layer_types (transformers derives [sliding, full, sliding, "
               "full]), torch_dtype."},
]


def perturb(model, spec):
    """Move the model away from near-uniform attention and unit norms (in place, from the torch seed)."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("norm.weight"):  # input/post_attention/final norms, qwen3 q_norm/k_norm
                # Gemma's RMSNorm scales by (1 + w): its weights sit around 0
                p.copy_((0.0 if is_gemma(spec) else 1.0) + 0.3 * torch.randn_like(p))
            elif name.endswith(("q_proj.weight", "k_proj.weight")):
                p.mul_(3.0)
            elif name.endswith(("q_proj.bias", "k_proj.bias", "v_proj.bias")):
                p.copy_(0.5 * torch.randn_like(p))
        model.model.embed_tokens.weight.mul_(5.0)  # logits far from flat, so top-k has clear gaps
        if spec.get("bf16"):
            for p in model.parameters():
                p.copy_(p.to(torch.bfloat16).float())


def is_gemma(spec):
    return spec["cls"][0] is Gemma3TextConfig


def legacy_config(cfg, kind):
    """Rewrite a transformers-5 config.json dict in the 4.x hub layout (rope_scaling + rope_theta, torch_dtype)."""
    cfg = dict(cfg)
    if kind == "legacy-gemma3":  # per layer type -> rope_theta (global), rope_local_base_freq, rope_scaling
        rope = cfg.pop("rope_parameters")
        cfg["rope_theta"] = rope["full_attention"]["rope_theta"]
        cfg["rope_local_base_freq"] = rope["sliding_attention"]["rope_theta"]
        cfg["rope_scaling"] = None
        cfg["sliding_window_pattern"] = cfg.pop("_sliding_window_pattern", None) or 2
        cfg.pop("layer_types")
        cfg["torch_dtype"] = cfg.pop("dtype")
        return cfg
    rope = dict(cfg.pop("rope_parameters"))
    cfg["rope_theta"] = rope.pop("rope_theta")
    if rope.get("rope_type", "default") == "default":
        cfg["rope_scaling"] = None
    elif kind == "legacy-type":
        rope["type"] = rope.pop("rope_type")
        cfg["rope_scaling"] = rope
    else:
        cfg["rope_scaling"] = rope
    cfg["torch_dtype"] = cfg.pop("dtype")
    if kind == "legacy-qwen2":
        cfg.pop("layer_types")
    return cfg


def legacy_qwen2_window(cfg, spec):
    # transformers writes sliding_window null when use_sliding_window is false; the hub files keep the number.
    cfg["sliding_window"] = spec["config"]["sliding_window"]
    return cfg


def save_model(spec, tok, model_dir):
    config_cls, model_cls = spec["cls"]
    bos, eos = spec["specials"]
    kwargs = {k: v for k, v in spec["config"].items() if v is not None}
    kwargs = dict(kwargs, vocab_size=tok.get_vocab_size(with_added_tokens=True),
                  bos_token_id=tok.token_to_id(bos), eos_token_id=tok.token_to_id(eos), pad_token_id=None)
    config = config_cls(**kwargs)
    torch.manual_seed(spec["seed"])
    model = model_cls(config).eval()
    perturb(model, spec)
    if spec.get("bf16"):
        model = model.to(torch.bfloat16)
    shutil.rmtree(model_dir, ignore_errors=True)
    model_dir.mkdir(parents=True)
    save_kw = {"max_shard_size": spec["shard"]} if "shard" in spec else {}
    model.save_pretrained(str(model_dir), safe_serialization=True, **save_kw)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, bos_token=bos, eos_token=eos)
    fast.save_pretrained(str(model_dir))
    layout = spec.get("layout", "native")
    if layout != "native":
        path = model_dir / "config.json"
        native = json.loads(path.read_text())
        cfg = legacy_config(native, layout)
        if layout == "legacy-qwen2":
            cfg = legacy_qwen2_window(cfg, spec)
        path.write_text(json.dumps(cfg, indent=2, sort_keys=True) + "\n")
    return {k: v.detach().float().clone() for k, v in model.state_dict().items()}, config


def load(model_dir):
    model = AutoModelForCausalLM.from_pretrained(str(model_dir), attn_implementation="eager", dtype=torch.float32)
    return model.eval()


def check_reload(spec, model_dir, weights, config):
    """The saved directory must give back the same weights and the same attention-relevant config."""
    model = load(model_dir)
    state = model.state_dict()
    for k, v in weights.items():
        assert torch.equal(state[k], v), f"{spec['name']}: {k} changed on reload"
        assert state[k].dtype == torch.float32
    rc = model.config

    def rope(c):
        return {k: v for k, v in c.rope_parameters.items() if k != "type"}  # a 4.x "type" key is kept beside rope_type

    assert rope(rc) == rope(config), (spec["name"], rc.rope_parameters)
    for key in ("num_key_value_heads", "head_dim", "tie_word_embeddings", "rms_norm_eps"):
        assert getattr(rc, key, None) == getattr(config, key, None), (spec["name"], key, getattr(rc, key, None))
    for key in ("sliding_window", "layer_types"):
        assert getattr(rc, key, None) == getattr(config, key, None), (spec["name"], key, getattr(rc, key, None))
    if spec.get("bf16"):
        raw = AutoModelForCausalLM.from_pretrained(str(model_dir))  # transformers' default dtype
        assert raw.model.embed_tokens.weight.dtype == torch.bfloat16
    if spec["config"].get("tie_word_embeddings"):
        assert model.lm_head.weight.data_ptr() == model.model.embed_tokens.weight.data_ptr()
    return model


def config_summary(config, spec, model_dir):
    c = config
    return {
        "model_type": c.model_type, "architectures": json.loads((model_dir / "config.json").read_text())["architectures"],
        "vocab_size": c.vocab_size, "hidden_size": c.hidden_size, "intermediate_size": c.intermediate_size,
        "num_hidden_layers": c.num_hidden_layers, "num_attention_heads": c.num_attention_heads,
        "num_key_value_heads": c.num_key_value_heads,
        "head_dim": getattr(c, "head_dim", None) or c.hidden_size // c.num_attention_heads,
        "max_position_embeddings": c.max_position_embeddings, "rms_norm_eps": c.rms_norm_eps,
        "rope_parameters": c.rope_parameters, "tie_word_embeddings": c.tie_word_embeddings,
        "sliding_window": getattr(c, "sliding_window", None), "layer_types": getattr(c, "layer_types", None),
        "attention_bias": c.model_type == "qwen2" or bool(getattr(c, "attention_bias", False)),
        "bos_token_id": c.bos_token_id, "eos_token_id": c.eos_token_id,
        "checkpoint_dtype": "bfloat16" if spec.get("bf16") else "float32",
        "config_layout": spec.get("layout", "native"),
        "shards": sorted(p.name for p in model_dir.glob("*.safetensors")),
    }


def id_cases(spec, vocab_size, bos_id, eos_id):
    rng = random.Random(spec["seed"])
    body = [rng.randrange(vocab_size - 2) for _ in range(18)]
    cases = [("ids-long", [bos_id] + body[:9] + [eos_id] + body[9:]),  # 20 ids, an added token inside
             ("ids-single", [body[0]])]                              # no BOS, one id
    for n in spec.get("extra_id_lengths", []):
        cases.append((f"ids-{n}", [bos_id] + [rng.randrange(vocab_size - 2) for _ in range(n - 1)]))
    return cases


def write_cases(spec, model_dir, out_dir, config):
    tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
    bos, eos = spec["specials"]
    floats = []
    offset = 0
    meta = {"generator": SCRIPT, "transformers_version": transformers.__version__,
            "torch_version": torch.__version__, "tokenizers_version": tokenizers.__version__,
            "model_dir": str(model_dir.relative_to(ROOT)), "config": None, "top_k": TOP_K, "cases": []}

    def put(array):
        nonlocal offset
        a = np.ascontiguousarray(array, dtype=np.float32)
        floats.append(a.reshape(-1))
        entry = {"offset": offset, "shape": list(a.shape)}
        offset += a.size
        return entry

    todo = []
    for name, text in TEXTS:
        ids = tokenizer(text)["input_ids"]
        todo.append((name, text, ids))
    for name, ids in id_cases(spec, config.vocab_size, tokenizer.convert_tokens_to_ids(bos),
                              tokenizer.convert_tokens_to_ids(eos)):
        todo.append((name, None, ids))

    stats = {"max_attention": 0.0, "min_topk_gap": 1.0, "window_ok": True}
    for name, text, ids in todo:
        model = load(model_dir)  # fresh: dynamic RoPE keeps the inv_freq of the longest input seen so far
        if meta["config"] is None:
            meta["config"] = config_summary(model.config, spec, model_dir)
        captured = {}
        last_layer = model.model.layers[-1]
        hook = last_layer.register_forward_hook(lambda m, a, o: captured.__setitem__("pre_norm", o))
        input_ids = torch.tensor([ids], dtype=torch.long)
        with torch.no_grad():
            out = model(input_ids, output_attentions=True, output_hidden_states=True)
        hook.remove()
        pre_norm = captured["pre_norm"][0] if isinstance(captured["pre_norm"], tuple) else captured["pre_norm"]
        att = torch.stack(out.attentions, dim=1)[0]  # [layer, head, n, n]
        hid = torch.stack(out.hidden_states, dim=1)[0]  # [layer+1, n, hidden]
        logits = out.logits[0]  # [n, vocab]
        probs = torch.softmax(logits[-1], dim=-1, dtype=torch.float32)
        top = torch.topk(probs, min(TOP_K + 1, probs.numel()))
        rot = model.model.rotary_emb
        with torch.no_grad():
            ref_last = model.model.norm(pre_norm)
        assert torch.equal(ref_last, out.hidden_states[-1]), "hidden_states[-1] is not norm(last layer output)"
        n = len(ids)
        stats["max_attention"] = max(stats["max_attention"], float(att.max()))
        stats["min_topk_gap"] = min(stats["min_topk_gap"], float((top.values[:-1] - top.values[1:]).min()))
        stats["window_ok"] &= check_mask(att, model.config)
        case = {
            "name": name, "text": text,
            "tokens": tokenizer.convert_ids_to_tokens(ids) if text is not None else None,
            "input_ids": ids, "n": n,
            "attentions": put(att.numpy()),
            "hidden_states": put(hid.numpy()),
            "last_layer_output": put(pre_norm[0].numpy()),
            "logits": put(logits.numpy()),
            "top_k": {"ids": top.indices[:TOP_K].tolist(), "probs": put(top.values[:TOP_K].numpy())},
        }
        if hasattr(rot, "inv_freq"):
            case["rope_inv_freq"] = put(rot.inv_freq.numpy())
            case["rope_attention_scaling"] = float(rot.attention_scaling)
        else:  # Gemma 3: one rotary table per layer type
            for t in sorted(set(model.config.layer_types)):
                case[f"rope_inv_freq_{t}"] = put(getattr(rot, f"{t}_inv_freq").numpy())
        if text is None:
            del case["tokens"]
            case["text"] = None
        meta["cases"].append(case)
    out_dir.mkdir(parents=True, exist_ok=True)
    np.concatenate(floats).astype("<f4").tofile(out_dir / "cases.bin")
    (out_dir / "cases.json").write_text(json.dumps(meta, indent=1, ensure_ascii=False) + "\n")
    print(f"{out_dir.relative_to(ROOT)}: {len(todo)} cases, lengths {[len(t[2]) for t in todo]}, {offset} floats, "
          f"max attention {stats['max_attention']:.3f}, min top-k gap {stats['min_topk_gap']:.2e}, "
          f"mask as expected {stats['window_ok']}", file=sys.stderr)
    assert stats["window_ok"]


def check_mask(att, config):
    """Zeros exactly where eager's mask says: causal, and q - k < sliding_window on sliding layers."""
    L, H, n, _ = att.shape
    q = torch.arange(n)[:, None]
    k = torch.arange(n)[None, :]
    window = getattr(config, "sliding_window", None)
    types = getattr(config, "layer_types", None) or ["sliding_attention" if window else "full_attention"] * L
    ok = True
    for layer in range(L):
        visible = k <= q
        if types[layer] == "sliding_attention":
            visible = visible & (q - k < window)
        a = att[layer]
        ok &= bool((a[:, ~visible] == 0).all()) and bool((a[:, visible] > 0).all())
    return ok


def main():
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    transformers.logging.set_verbosity_error()
    OUT.mkdir(parents=True, exist_ok=True)
    only = set(sys.argv[1:])  # model names to regenerate (default: all)
    for spec in MODELS:
        if only and spec["name"] not in only:
            continue
        tok = build_tokenizer(spec["specials"])
        base = OUT / spec["name"]
        model_dir = base / "model"
        weights, config = save_model(spec, tok, model_dir)
        check_reload(spec, model_dir, weights, config)
        write_cases(spec, model_dir, base, config)


if __name__ == "__main__":
    main()

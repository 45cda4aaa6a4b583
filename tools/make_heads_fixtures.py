#!/usr/bin/env python3
"""Reference head scores (attention sinks, previous-token / duplicate-token / induction heads, self, local window,
entropy) for attnlab's decoders, from Hugging Face transformers' eager attentions, computed with numpy in float64.

    tools/.venv/bin/python tools/make_heads_fixtures.py [MODEL...]     (all six when none is named)

Needs, in tools/.venv: torch, transformers, tokenizers, numpy, and for the two GGUF models gguf + accelerate
(transformers requires it to load a GGUF; the files come from `make model`). Offline: nothing is downloaded. About
a minute on one core, nearly all of it transformers loading the GGUF files. Deterministic: one torch thread,
torch.use_deterministic_algorithms(True), fixed texts and numpy seeds; every file is rewritten from scratch and comes
out byte-identical.

Writes tests/fixtures/heads/<model>.json for the tiny random-weight decoders of tests/fixtures/decoders/
(llama-gqa, mistral-window, qwen2-window, gemma3-window: AutoModelForCausalLM.from_pretrained(dir,
attn_implementation="eager", dtype=torch.float32), AutoTokenizer.from_pretrained(dir)) and the two real GGUF models
(smollm2-135m-instruct, gemma-3-270m: from_pretrained(dir, gguf_file=name, dtype=torch.float32,
attn_implementation="eager"), as tools/make_gguf_model_goldens.py loads them), and tests/fixtures/heads/README.md.
Attentions: model(input_ids, output_attentions=True) under torch.no_grad(), float32 [layers][heads, T, T] (every
query head, GQA already expanded by transformers), converted to float64 before anything is computed. The script
fails unless every row sums to 1 within 1e-5, everything above the diagonal is exactly 0, and every score is in
[0, 1] (within 1e-5 above; entropy in [0, ln T]).

Scores, per layer and head, of the T x T matrix a (query row i, key column j), with ids = the input_ids given to the
model (prefix included):

* TransformerLens transformer_lens/head_detector.py at commit 4cd36aaeb5dad931d085bd5d46a12b402fe15272
  (TL_COMMIT), error_measure "mul": detection patterns built from the ids, line for line:
    previous_token  P = zeros(T, T); P[1:, :-1] = eye(T - 1); tril(P)                     (P[i, i-1] = 1)
    duplicate_token E = (ids repeated T times as rows) == its transpose; fill_diagonal(E, 0); tril(E)
                    (P[i, j] = 1 iff j < i and ids[j] == ids[i])
    induction       D = duplicate pattern; roll(D, 1, axis=1); column 0 set to 0; tril
                    (P[i, j] = 1 iff 1 <= j <= i and ids[j-1] == ids[i], j-1 < i: the diagonal j = i is in the
                    pattern where ids[i-1] == ids[i])
  compute_head_attention_similarity_score: on a copy of a (TransformerLens zeroes the cached pattern in place),
  column 0 zeroed if exclude_bos, the diagonal zeroed if exclude_current_token, then
    score = sum(a * P) / sum(a)     (sums over the whole matrix, the denominator after the zeroing)
  "previous_token", "duplicate_token", "induction": detect_head's defaults exclude_bos=False,
  exclude_current_token=False; "..._excl": both True. (T = 2 with both exclusions would be 0 / 0: no case has T < 3.)
* TransformerLens demos/Main_Demo.ipynb (same commit), cells 44 and 46 (0-based): "induction_stripe" =
  mean(pattern.diagonal(offset=1 - L)) of the R*L x R*L sub-matrix a[p:, p:] of the repeated random tokens (p = the
  prefix, e.g. Gemma's <bos>; SmolLM2 has none, so there it is Main_Demo's exactly): the (R-1)*L + 1 entries
  a[p+i, p+i-L+1] for i = L-1 .. R*L-1 (the first, i = L-1 -> key 0 of the block, is in the diagonal too).
* sail-sg/Attention-Sink eval_sink_open_source.py at commit af49727230ee57b6ecadcc74547653fc776833fc (SINK_COMMIT),
  compute_attention_sink: alpha_k = sum over all T query rows q of a[q, k] / (T - k) (ratios = arange(T, 0, -1) along
  the key axis); "sink" = alpha_0, "sink_by_key" = [alpha_0 .. alpha_3] ([4][L][H], cases with T >= 4 only);
  "sink_rate_percent"[k] = mean over (layer, head) of (alpha_k > EPSILON = 0.3) (strict), times 100 (their metric1 *
  100 for one input), for k < min(4, T). "sink_min_margin" = min |alpha_k - 0.3| over k < min(4, T), layers, heads
  (how far the closest head is from flipping the rate).
* attnlab's own (include/attnlab/head_stats.h): "self" = mean_i a[i, i]; "local_window" = mean over query rows i of
  sum of a[i, j] for j in [max(0, i - w + 1), i] (the last w tokens, itself included; w = "local_window_w", 4 for the
  tiny models, 16 for the real ones); "entropy" = mean_i of -sum_j a[i, j] ln a[i, j] (natural log, 0 ln 0 = 0).

Cases: four texts (tokenizer(text)["input_ids"], add_special_tokens default; "prefix" = the ids the tokenizer adds to
the empty string, checked to lead the ids: 1 for the <bos> of the tiny models and Gemma, 0 for SmolLM2) and two
"induction" cases: prefix + R copies of L random ids, np.random.default_rng(seed) (seeds 0 and 1): the tiny models
L=12 R=2 and L=8 R=3, rng.choice over the non-special ids of range(vocab_size) (uniform, with replacement); the real
models L=50 R=2 and L=20 R=3, rng.integers(1000, 10000, L) as Main_Demo's torch.randint(1000, 10000) (checked to hold
no special or added token). "corpus": the text cases' token-weighted means sum_i n_i s_i / sum_i n_i (n_i = the
case's T, summed in case order) of every [L][H] score all text cases have, as `attnlab corpus` reduces head stats.
"""
import hashlib
import json
import math
import os
import pathlib
import platform
import sys
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
os.environ.setdefault("TQDM_DISABLE", "1")  # the GGUF loader's progress bar

import numpy as np  # noqa: E402
import tokenizers  # noqa: E402
import torch  # noqa: E402
import transformers  # noqa: E402
from transformers import AutoModelForCausalLM, AutoTokenizer  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "fixtures" / "heads"
SCRIPT = "tools/make_heads_fixtures.py"

TL_REPO = "TransformerLensOrg/TransformerLens"
TL_COMMIT = "4cd36aaeb5dad931d085bd5d46a12b402fe15272"
SINK_REPO = "sail-sg/Attention-Sink"
SINK_COMMIT = "af49727230ee57b6ecadcc74547653fc776833fc"
EPSILON = 0.3           # eval_sink_open_source.py line 92: compute_attention_sink(score_path, epsilon=0.3)
SINK_KEYS = 4           # alpha_0 .. alpha_3
ROW_SUM_TOL = 1e-5
SCORE_TOL = 1e-5        # scores that are sums of a row's entries may exceed 1 by the row sum's rounding

DECODERS = ROOT / "tests" / "fixtures" / "decoders"
TINY_INDUCTION = [(12, 2, 0), (8, 3, 1)]     # (L, R, seed)
REAL_INDUCTION = [(50, 2, 0), (20, 3, 1)]
MODELS = [
    {"name": "llama-gqa", "dir": "tests/fixtures/decoders/llama-gqa/model", "gguf": None, "w": 4,
     "induction": TINY_INDUCTION},
    {"name": "mistral-window", "dir": "tests/fixtures/decoders/mistral-window/model", "gguf": None, "w": 4,
     "induction": TINY_INDUCTION},
    {"name": "qwen2-window", "dir": "tests/fixtures/decoders/qwen2-window/model", "gguf": None, "w": 4,
     "induction": TINY_INDUCTION},
    {"name": "gemma3-window", "dir": "tests/fixtures/decoders/gemma3-window/model", "gguf": None, "w": 4,
     "induction": TINY_INDUCTION},
    {"name": "smollm2-135m-instruct", "dir": "models/smollm2-135m-instruct", "gguf": "SmolLM2-135M-Instruct.Q4_1.gguf",
     "sha256": "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
     "fetch": "scripts/fetch_model.sh smollm2", "w": 16, "induction": REAL_INDUCTION},
    {"name": "gemma-3-270m", "dir": "models/gemma-3-270m", "gguf": "gemma-3-270m-q4_k_m.gguf",
     "sha256": "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
     "fetch": "scripts/fetch_model.sh gemma3-270m", "w": 16, "induction": REAL_INDUCTION},
]

# Text cases. Every one repeats words, so the duplicate and induction patterns are not empty. "short" is the first of
# its candidates the model's tokenizer makes exactly 3 tokens of (<bos> " the" " the" with a bos, "the" " the" " the"
# without): the smallest T for which the _excl scores are defined (T = 2 leaves nothing after both exclusions), and
# its induction pattern holds diagonal entries (ids[i-1] == ids[i]), which exclude_current_token removes: with a bos
# only (2, 2); SmolLM2's three equal " the" ids give (1, 1), (2, 1), (2, 2).
TEXTS = [
    ("cat", "The cat sat on the mat. The cat sat on the mat again."),
    ("short", [" the the", " the the the"]),
    ("numbers", "In 2024, 3 cats ate 12 fish; in 2025, 3 cats ate 12 fish again!"),
    ("fox", "the quick brown fox jumps; the quick brown fox jumps; the quick brown fox"),
]
SHORT_T = 3

# The [L][H] scores, in the order they are written.
HEAD_SCORES = ["sink", "previous_token", "duplicate_token", "induction", "previous_token_excl",
               "duplicate_token_excl", "induction_excl", "self", "local_window", "entropy"]


# ---------------------------------------------------------------------------------------------------------------
# TransformerLens head_detector.py (TL_COMMIT), in numpy.
# ---------------------------------------------------------------------------------------------------------------
def get_previous_token_head_detection_pattern(tokens):
    """head_detector.py lines 166-177."""
    n = tokens.shape[-1]
    detection_pattern = np.zeros((n, n))
    detection_pattern[1:, :-1] = np.eye(n - 1)  # a diagonal of 1's below the main diagonal
    return np.tril(detection_pattern)


def get_duplicate_token_head_detection_pattern(tokens):
    """head_detector.py lines 181-197. tokens: [1, pos]; tokens.repeat(pos, 1) -> [pos, pos], every row = tokens."""
    token_pattern = np.tile(tokens, (tokens.shape[-1], 1))
    eq_mask = np.equal(token_pattern, token_pattern.T).astype(int)
    np.fill_diagonal(eq_mask, 0)  # Current token is always a duplicate of itself. Ignore that.
    detection_pattern = eq_mask.astype(int)
    return np.tril(detection_pattern.astype(np.float64))


def get_induction_head_detection_pattern(tokens):
    """head_detector.py lines 201-219."""
    duplicate_pattern = get_duplicate_token_head_detection_pattern(tokens)
    shifted_tensor = np.roll(duplicate_pattern, shift=1, axis=1)  # torch.roll(shifts=1, dims=1)
    zeros_column = np.zeros((duplicate_pattern.shape[0], 1))      # the wrapped-around last column -> 0
    result_tensor = np.concatenate((zeros_column, shifted_tensor[:, 1:]), axis=1)
    return np.tril(result_tensor)


def compute_head_attention_similarity_score(attention_pattern, detection_pattern, *, exclude_bos,
                                            exclude_current_token):
    """head_detector.py lines 227-256, error_measure "mul". TransformerLens zeroes attention_pattern in place (a view
    of the cached pattern, so a reused cache keeps the zeros); here on a copy."""
    assert attention_pattern.ndim == 2 and attention_pattern.shape[0] == attention_pattern.shape[1]
    attention_pattern = attention_pattern.copy()
    if exclude_bos:
        attention_pattern[:, 0] = 0
    if exclude_current_token:
        np.fill_diagonal(attention_pattern, 0)
    score = attention_pattern * detection_pattern
    return float(score.sum() / attention_pattern.sum())


PATTERNS = {"previous_token": get_previous_token_head_detection_pattern,
            "duplicate_token": get_duplicate_token_head_detection_pattern,
            "induction": get_induction_head_detection_pattern}


# ---------------------------------------------------------------------------------------------------------------
# Attention-Sink eval_sink_open_source.py (SINK_COMMIT), compute_attention_sink lines 41-49, for one input.
# ---------------------------------------------------------------------------------------------------------------
def sink_importance(att):
    """att [layers, heads, T, T] float64 -> alpha [layers, heads, T]: sum over query rows of a_qk / (T - k)."""
    n = att.shape[-1]
    ratios = np.arange(n, 0, -1, dtype=np.float64)[None, None, None, :]  # along the key axis
    return (att / ratios).sum(axis=-2)


def sink_rate_percent(alpha, k):
    """metric1[k] * 100 of one sample: the share of (layer, head) with alpha_k > EPSILON, as a percentage."""
    return float((alpha[:, :, k] > EPSILON).astype(np.float64).mean() * 100)


# ---------------------------------------------------------------------------------------------------------------
def plogp_entropy(a):
    """mean_i -sum_j a_ij ln a_ij, 0 ln 0 = 0 (as tools/make_head_stats_fixtures.py)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        plogp = np.where(a > 0, a * np.log(np.where(a > 0, a, 1.0)), 0.0)
    return float((-plogp.sum(axis=1)).mean())


def local_window(a, w):
    n = a.shape[0]
    return float(np.mean([a[i, max(0, i - w + 1):i + 1].sum() for i in range(n)]))


def scores(att, ids, w, induction=None):
    """att [layers, heads, T, T] float64, ids the T input ids -> dict of scores ([L][H] lists, sink_by_key [4][L][H],
    sink_rate_percent [min(4, T)]). induction = (prefix, L, R) for the Main_Demo stripe."""
    layers, heads, n, _ = att.shape
    tokens = np.array([ids], dtype=np.int64)  # [batch (1) x pos], as TransformerLens' to_tokens
    patterns = {k: f(tokens) for k, f in PATTERNS.items()}
    alpha = sink_importance(att)
    out = {"sink": alpha[:, :, 0].tolist()}
    kmax = min(SINK_KEYS, n)
    if n >= SINK_KEYS:
        out["sink_by_key"] = [alpha[:, :, k].tolist() for k in range(SINK_KEYS)]
    out["sink_rate_percent"] = [sink_rate_percent(alpha, k) for k in range(kmax)]
    out["sink_min_margin"] = float(np.abs(alpha[:, :, :kmax] - EPSILON).min())
    grid = {s: [[0.0] * heads for _ in range(layers)] for s in HEAD_SCORES[1:] + ["induction_stripe"]}
    rows = np.arange(n)
    for layer in range(layers):
        for head in range(heads):
            a = att[layer, head]
            for name, pattern in patterns.items():
                grid[name][layer][head] = compute_head_attention_similarity_score(
                    a, pattern, exclude_bos=False, exclude_current_token=False)
                grid[name + "_excl"][layer][head] = compute_head_attention_similarity_score(
                    a, pattern, exclude_bos=True, exclude_current_token=True)
            grid["self"][layer][head] = float(a[rows, rows].mean())
            grid["local_window"][layer][head] = local_window(a, w)
            grid["entropy"][layer][head] = plogp_entropy(a)
            if induction:
                p, length, repeats = induction
                sub = a[p:, p:]
                assert sub.shape == (length * repeats, length * repeats), sub.shape
                stripe = np.diagonal(sub, offset=1 - length)  # pattern.diagonal(offset=1 - seq_len)
                assert stripe.shape == ((repeats - 1) * length + 1,), stripe.shape
                grid["induction_stripe"][layer][head] = float(stripe.mean())
    for s in HEAD_SCORES[1:]:
        out[s] = grid[s]
    if induction:
        out["induction_stripe"] = grid["induction_stripe"]
    check_scores(out, n)
    return out


def check_scores(out, n):
    for name, value in out.items():
        v = np.array(value, dtype=np.float64)
        if not np.isfinite(v).all():
            raise SystemExit(f"score {name} not finite: {v}")
        if name == "sink_rate_percent":
            ok = ((v >= 0) & (v <= 100)).all()
        elif name == "sink_min_margin":
            ok = (v >= 0).all()
        elif name == "entropy":
            ok = ((v >= 0) & (v <= math.log(n) + SCORE_TOL)).all()
        else:
            ok = ((v >= 0) & (v <= 1 + SCORE_TOL)).all()
        if not ok:
            raise SystemExit(f"score {name} out of range: min {v.min()} max {v.max()} (T = {n})")


def check_attention(att, n):
    """att float64 [layers, heads, T, T]: rows sum to 1, exact zeros above the diagonal, no negatives."""
    assert att.shape[-2:] == (n, n), att.shape
    dev = np.abs(att.sum(axis=-1) - 1).max()
    if dev > ROW_SUM_TOL:
        raise SystemExit(f"attention rows do not sum to 1: largest deviation {dev}")
    if (att < 0).any() or (att[..., np.triu_indices(n, 1)[0], np.triu_indices(n, 1)[1]] != 0).any():
        raise SystemExit("attention negative or non-zero above the diagonal")
    return float(dev)


# ---------------------------------------------------------------------------------------------------------------
def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def versions():
    from importlib.metadata import PackageNotFoundError, version
    v = {"generator": SCRIPT, "transformers": transformers.__version__, "torch": torch.__version__,
         "numpy": np.__version__, "tokenizers": tokenizers.__version__}
    for pkg in ("gguf", "accelerate"):
        try:
            v[pkg] = version(pkg)
        except PackageNotFoundError:
            v[pkg] = None
    v["python"] = platform.python_version()
    return v


def reference():
    return {
        "versions": versions(),
        "transformer_lens": {"repo": TL_REPO, "commit": TL_COMMIT,
                             "detection": "transformer_lens/head_detector.py: get_previous_token_head_detection_"
                                          "pattern, get_duplicate_token_head_detection_pattern, get_induction_head_"
                                          "detection_pattern, compute_head_attention_similarity_score "
                                          "(error_measure mul)",
                             "defaults": {"exclude_bos": False, "exclude_current_token": False},
                             "excl": {"exclude_bos": True, "exclude_current_token": True},
                             "induction_stripe": "demos/Main_Demo.ipynb cells 44, 46 (0-based): "
                                                 "mean(pattern.diagonal(offset=1 - seq_len))"},
        "attention_sink": {"repo": SINK_REPO, "commit": SINK_COMMIT,
                           "function": "eval_sink_open_source.py: compute_attention_sink",
                           "epsilon": EPSILON, "keys": SINK_KEYS},
        "attention": "model(input_ids, output_attentions=True) under torch.no_grad(), eager, float32, "
                     "converted to float64",
        "row_sum_tolerance": ROW_SUM_TOL,
    }


def load(spec):
    kwargs = {"dtype": torch.float32, "attn_implementation": "eager"}
    if spec["gguf"]:
        path = ROOT / spec["dir"] / spec["gguf"]
        if not path.exists():
            raise SystemExit(f"{path} missing: run `make model` (or {spec['fetch']})")
        got = sha256_file(path)
        if got != spec["sha256"]:
            raise SystemExit(f"{path}: sha256 {got}, expected {spec['sha256']}")
        kwargs["gguf_file"] = spec["gguf"]
        tokenizer = AutoTokenizer.from_pretrained(spec["dir"], gguf_file=spec["gguf"])
    else:
        tokenizer = AutoTokenizer.from_pretrained(spec["dir"])
    model = AutoModelForCausalLM.from_pretrained(spec["dir"], **kwargs).eval()
    assert model.config._attn_implementation == "eager", model.config._attn_implementation
    for p_name, p in model.named_parameters():
        assert p.dtype == torch.float32, (p_name, p.dtype)
    return tokenizer, model


def attentions(model, ids):
    with torch.no_grad():
        out = model(torch.tensor([ids], dtype=torch.long), output_attentions=True, logits_to_keep=1)
    att = torch.stack([a[0] for a in out.attentions])  # [layers, heads, T, T] float32
    assert att.dtype == torch.float32, att.dtype
    return att.numpy().astype(np.float64)


def model_cases(spec, tokenizer, model):
    config = model.config
    layers, heads = config.num_hidden_layers, config.num_attention_heads
    prefix_ids = tokenizer("", add_special_tokens=True)["input_ids"]
    p = len(prefix_ids)
    special = set(tokenizer.all_special_ids) | set(tokenizer.added_tokens_decoder)
    cases = []
    w = spec["w"]
    for name, text in TEXTS:
        if isinstance(text, list):
            text = next((t for t in text if len(tokenizer(t)["input_ids"]) == SHORT_T), None)
            assert text is not None, f"{spec['name']}: no {name} candidate of {SHORT_T} tokens"
        ids = tokenizer(text)["input_ids"]
        assert ids[:p] == prefix_ids and ids[p:] == tokenizer(text, add_special_tokens=False)["input_ids"], \
            (name, ids, prefix_ids)
        cases.append({"name": name, "kind": "text", "text": text, "input_ids": ids,
                      "tokens": tokenizer.convert_ids_to_tokens(ids), "prefix": p})
    for length, repeats, seed in spec["induction"]:
        rng = np.random.default_rng(seed)
        if spec["gguf"]:
            random_ids = rng.integers(1000, 10000, size=length)
            how = f"np.random.default_rng({seed}).integers(1000, 10000, size={length})"
        else:
            pool = np.array([i for i in range(config.vocab_size) if i not in special], dtype=np.int64)
            random_ids = rng.choice(pool, size=length)
            how = (f"np.random.default_rng({seed}).choice(non-special ids of range({config.vocab_size}) "
                   f"({len(pool)} ids, excluding {sorted(i for i in special if i < config.vocab_size)}), "
                   f"size={length})")
        random_ids = [int(i) for i in random_ids]
        assert not set(random_ids) & special, (spec["name"], set(random_ids) & special)
        ids = prefix_ids + random_ids * repeats
        cases.append({"name": f"induction-L{length}-R{repeats}", "kind": "induction", "text": None,
                      "input_ids": ids, "tokens": tokenizer.convert_ids_to_tokens(ids), "prefix": p,
                      "length": length, "repeats": repeats, "seed": seed, "random_ids_from": how,
                      "random_ids": random_ids})
    max_dev = 0.0
    for case in cases:
        ids = case["input_ids"]
        n = len(ids)
        case["n"] = n
        case["local_window_w"] = w
        att = attentions(model, ids)
        assert att.shape == (layers, heads, n, n), att.shape
        max_dev = max(max_dev, check_attention(att, n))
        induction = (case["prefix"], case["length"], case["repeats"]) if case["kind"] == "induction" else None
        case["scores"] = scores(att, ids, w, induction)
        print(f"  {case['name']}: T={n} sink rate {case['scores']['sink_rate_percent']} "
              f"margin {case['scores']['sink_min_margin']:.3g}", file=sys.stderr)
    meta = {"name": spec["name"], "path": spec["dir"], "gguf_file": spec["gguf"],
            "gguf_sha256": spec.get("sha256"),
            "loaded_with": (f"AutoModelForCausalLM.from_pretrained({spec['dir']!r}"
                            + (f", gguf_file={spec['gguf']!r}" if spec["gguf"] else "")
                            + ", dtype=torch.float32, attn_implementation='eager'); AutoTokenizer.from_pretrained("
                            + repr(spec["dir"]) + (f", gguf_file={spec['gguf']!r}" if spec["gguf"] else "") + ")"),
            "model_type": config.model_type, "layers": layers, "heads": heads,
            "kv_heads": config.num_key_value_heads, "vocab_size": config.vocab_size,
            "sliding_window": getattr(config, "sliding_window", None),
            "layer_types": getattr(config, "layer_types", None),
            "prefix_ids": prefix_ids, "special_ids": sorted(special),
            "max_row_sum_deviation": max_dev}
    return meta, cases


def corpus(cases):
    text = [c for c in cases if c["kind"] == "text"]
    names = [s for s in HEAD_SCORES + ["sink_by_key"] if all(s in c["scores"] for c in text)]
    total = sum(c["n"] for c in text)
    out = {"cases": [c["name"] for c in text], "tokens": total, "scores": {}}
    for s in names:
        acc = None
        for c in text:
            v = c["n"] * np.array(c["scores"][s], dtype=np.float64)
            acc = v if acc is None else acc + v
        out["scores"][s] = (acc / total).tolist()
    return out


# ---------------------------------------------------------------------------------------------------------------
# JSON: indented objects, every list of numbers (or strings) on one line, floats as repr (full float64 precision).
# ---------------------------------------------------------------------------------------------------------------
def to_json(obj, indent=0):
    pad, inner = " " * indent, " " * (indent + 1)
    if isinstance(obj, dict):
        if not obj:
            return "{}"
        items = [f"{inner}{json.dumps(k)}: {to_json(v, indent + 1)}" for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(obj, list):
        if all(not isinstance(x, (dict, list)) for x in obj):
            return "[" + ",".join(scalar(x) for x in obj) + "]"
        return "[\n" + ",\n".join(inner + to_json(x, indent + 1) for x in obj) + "\n" + pad + "]"
    return scalar(obj)


def scalar(x):
    if isinstance(x, float):
        if not math.isfinite(x):
            raise ValueError(f"non-finite {x}")
        return repr(float(x))
    return json.dumps(x, ensure_ascii=False)


def write(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    data = data.encode("utf-8")
    if not path.exists() or path.read_bytes() != data:
        path.write_bytes(data)


# ---------------------------------------------------------------------------------------------------------------
def main():
    os.chdir(ROOT)  # model paths stay relative
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    transformers.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    wanted = sys.argv[1:] or [m["name"] for m in MODELS]
    unknown = set(wanted) - {m["name"] for m in MODELS}
    if unknown:
        raise SystemExit(f"unknown model(s) {sorted(unknown)}; known: {[m['name'] for m in MODELS]}")
    t_all = time.time()
    docs = {}
    for spec in MODELS:
        if spec["name"] not in wanted:
            continue
        t0 = time.time()
        print(f"{spec['name']}:", file=sys.stderr)
        tokenizer, model = load(spec)
        meta, cases = model_cases(spec, tokenizer, model)
        doc = {"generator": SCRIPT, "reference": reference(), "model": meta, "cases": cases,
               "corpus": corpus(cases)}
        write(OUT / f"{spec['name']}.json", to_json(doc) + "\n")
        docs[spec["name"]] = doc
        print(f"  {time.time() - t0:.0f} s", file=sys.stderr)
        del model
    if len(docs) == len(MODELS):
        write(OUT / "README.md", readme(docs))
    else:
        print("README.md not rewritten (not every model was run)", file=sys.stderr)
    print(f"total {time.time() - t_all:.0f} s", file=sys.stderr)


# ---------------------------------------------------------------------------------------------------------------
def top_heads(grid, k=3):
    flat = [(v, layer, head) for layer, row in enumerate(grid) for head, v in enumerate(row)]
    flat.sort(key=lambda t: (-t[0], t[1], t[2]))
    return ", ".join(f"L{layer}H{head} {v:.4f}" for v, layer, head in flat[:k])


def readme(docs):
    v = versions()
    L = []
    a = L.append
    a("# Head-score fixtures (attention sinks, induction / previous-token / duplicate-token heads)")
    a("")
    a(f"Generated by `{SCRIPT}` (transformers {v['transformers']}, torch {v['torch']}, numpy {v['numpy']}, "
      f"tokenizers {v['tokenizers']}, gguf {v['gguf']}, accelerate {v['accelerate']}, Python {v['python']}); do not "
      f"edit by hand. Regenerate with `tools/.venv/bin/python {SCRIPT} [MODEL...]` (offline; the GGUF files from "
      "`make model`; about a minute on one core, most of it transformers loading the GGUF files). "
      "Deterministic (one torch thread, `torch.use_deterministic_algorithms(True)`, fixed texts and numpy seeds): "
      "byte-identical on rerun.")
    a("")
    a("| file | model | loaded from | layers x heads | T of the cases |")
    a("|---|---|---|---|---|")
    for name, doc in docs.items():
        m = doc["model"]
        src = f"`{m['path']}/{m['gguf_file']}`" if m["gguf_file"] else f"`{m['path']}/`"
        a(f"| `{name}.json` | {m['model_type']} | {src} | {m['layers']} x {m['heads']} | "
          + ", ".join(f"{c['name']} {c['n']}" for c in doc["cases"]) + " |")
    a("")
    a(DEFINITIONS.format(tl=TL_COMMIT, sink=SINK_COMMIT, eps=EPSILON))
    a("")
    a("## Sample values")
    a("")
    for name, doc in docs.items():
        ind = [c for c in doc["cases"] if c["kind"] == "induction"]
        text = {c["name"]: c for c in doc["cases"]}
        a(f"- `{name}`: sink rate (alpha_0 > {EPSILON}, % of heads) "
          + ", ".join(f"{c['name']} {c['scores']['sink_rate_percent'][0]:.2f}" for c in doc["cases"])
          + "; largest induction_stripe " + "; ".join(f"{c['name']}: {top_heads(c['scores']['induction_stripe'])}"
                                                      for c in ind)
          + f"; largest previous_token (cat) {top_heads(text['cat']['scores']['previous_token'])}.")
    return "\n".join(L) + "\n"


DEFINITIONS = """\
## Layout of `<model>.json`

- `generator`; `reference`: `versions` (transformers, torch, numpy, tokenizers, gguf, accelerate, python), the
  TransformerLens and Attention-Sink repositories, commits and functions, `epsilon` ({eps}), `keys` (4),
  `row_sum_tolerance`.
- `model`: `name`, `path` (relative to the repo root), `gguf_file` (or null), `gguf_sha256`, `loaded_with`,
  `model_type`, `layers`, `heads` (query heads: the attentions are per query head), `kv_heads`, `vocab_size`,
  `sliding_window`, `layer_types`, `prefix_ids` (= `tokenizer("")["input_ids"]`: `[330]` for the tiny models'
  `<bos>`, `[2]` for Gemma's, `[]` for SmolLM2), `special_ids`, `max_row_sum_deviation`.
- `cases`: each `name`, `kind` (`text` or `induction`), `text` (null for induction), `input_ids` (all of the ids
  given to the model), `tokens`, `prefix` (leading prefix tokens = len(prefix_ids)), `n` (T), `local_window_w` (4 for
  the tiny models, 16 for the real ones); induction cases also `length` L, `repeats` R, `seed`, `random_ids_from`,
  `random_ids` (input_ids = prefix_ids + random_ids * R); and `scores`:
  - `sink` [L][H] (alpha_0), `sink_by_key` [4][L][H] (alpha_0 .. alpha_3, only when T >= 4), `sink_rate_percent`
    [min(4, T)], `sink_min_margin` (min |alpha_k - {eps}| over k < min(4, T) and every head: how close the rate is
    to flipping);
  - `previous_token`, `duplicate_token`, `induction`, `previous_token_excl`, `duplicate_token_excl`,
    `induction_excl`, `self`, `local_window`, `entropy`, all [L][H] (`[layer][head]`);
  - induction cases: `induction_stripe` [L][H].
- `corpus`: `cases` (the text cases), `tokens` (sum of their T), `scores`: for every [L][H] score all text cases have
  (`sink_by_key` is not among them: `short` has T = 3), sum_i n_i s_i / sum_i n_i with n_i = the case's T (summed in
  case order, then divided), as `attnlab corpus` reduces head statistics (include/attnlab/corpus.h).

Numbers are JSON floats written with Python's `repr` (shortest round-trip form of the float64).

## Cases

Text cases (`tokenizer(text)["input_ids"]`, add_special_tokens default; the script checks they are `prefix_ids` +
`tokenizer(text, add_special_tokens=False)`): `cat` "The cat sat on the mat. The cat sat on the mat again.",
`short` (3 tokens: " the the" for the tokenizers with a `<bos>`, " the the the" for SmolLM2), `numbers` "In 2024, 3
cats ate 12 fish; in 2025, 3 cats ate 12 fish again!", `fox` "the quick brown fox jumps; the quick brown fox jumps;
the quick brown fox". Induction cases `induction-L<L>-R<R>`: prefix_ids + R copies of L random ids from
`np.random.default_rng(seed)`: tiny models L=12 R=2 (seed 0) and L=8 R=3 (seed 1), `rng.choice` over the non-special
ids 0..329 of range(vocab_size 332) (uniform, with replacement); real models L=50 R=2 (seed 0) and L=20 R=3 (seed 1),
`rng.integers(1000, 10000, L)` like Main_Demo's `torch.randint(1000, 10000, (batch, 50))` (checked to hold no
special or added id).

The windows show: the Main_Demo stripe (L - 1 = 11 or 7 keys back) lies outside a sliding window of 4, so it is
exactly 0 on every layer of `mistral-window`, on layer 1 of `qwen2-window` and on layers 0-1 of `gemma3-window`
(their full-attention layers are not 0); likewise the duplicate / induction scores count only the repeats a window
still sees.

## Definitions

Attentions: `model(input_ids, output_attentions=True)` under `torch.no_grad()`, eager, float32, every layer
[heads, T, T], converted to float64 before anything else. The script fails unless every row sums to 1 within 1e-5,
everything above the diagonal is exactly 0 (sliding-window layers have more exact zeros; they count like any other
entry), and every score is in [0, 1] (up to 1e-5 above, the row sums' rounding; entropy in [0, ln T]). a is one
head's T x T matrix (query row i, key column j); ids = input_ids (prefix included).

### TransformerLens detection scores

`transformer_lens/head_detector.py` at {tl} (TransformerLensOrg/TransformerLens), implemented line for line in numpy:

- `get_previous_token_head_detection_pattern` (lines 166-177): `P = zeros(T, T); P[1:, :-1] = eye(T - 1); tril(P)`:
  P[i, i-1] = 1 for i >= 1.
- `get_duplicate_token_head_detection_pattern` (lines 181-197): `tokens.repeat(T, 1)` (every row = ids) compared
  with its transpose, `fill_diagonal(0)`, `tril`: P[i, j] = 1 iff j < i and ids[j] == ids[i] (special tokens
  included: a repeated `<bos>` would count).
- `get_induction_head_detection_pattern` (lines 201-219): the duplicate pattern `torch.roll`ed one column right, its
  first column replaced by zeros (the roll wraps the last column there), `tril`: P[i, j] = 1 iff 1 <= j, j - 1 < i and
  ids[j-1] == ids[i]. Subtle: j = i is allowed, so the pattern has a diagonal entry wherever ids[i-1] == ids[i] (the
  `short` case: (2, 2) for <bos> " the" " the"; (1, 1), (2, 1), (2, 2) for SmolLM2's three " the"); with
  `exclude_current_token` the zeroed diagonal of a drops them from both sums.
- `compute_head_attention_similarity_score` (lines 227-256), `error_measure="mul"` (lines 250-256):
  `if exclude_bos: attention_pattern[:, 0] = 0; if exclude_current_token: attention_pattern.fill_diagonal_(0);`
  `score = (attention_pattern * detection_pattern).sum() / attention_pattern.sum()`. One ratio of two sums over the
  whole matrix (not a mean of per-row ratios); the denominator is taken after the zeroing, so the `_excl` scores are
  shares of the attention left (without exclusions sum(a) = T up to rounding). The zeroing is in place on
  `cache["pattern", layer][head]` (detect_head, lines 151-161), so TransformerLens' scores with a reused `cache=` see
  earlier calls' zeros; here every score starts from a fresh copy. With both exclusions and T = 2 nothing is left
  (0 / 0 = NaN), and detect_head asserts 1 < T (line 130): no case has T < 3.
- `detect_head` (lines 34-162) defaults `exclude_bos=False, exclude_current_token=False` (lines 41-43) give
  `previous_token`, `duplicate_token`, `induction`; both True give the `_excl` scores. TransformerLens computes in
  the model's dtype (float32) on its own HookedTransformer patterns, whose `to_tokens` prepends a BOS; here the
  patterns are transformers' and the ids are the tokenizer's, in float64.

### Main_Demo induction stripe

`demos/Main_Demo.ipynb` (same commit), cell 44 (0-based, markdown cells counted): `seq_len = 50`,
`torch.randint(1000, 10000, (10, 50))` repeated twice (`einops.repeat(..., "batch seq_len -> batch (2 seq_len)")`,
given as tokens, so no BOS); cell 46: `pattern.diagonal(dim1=-2, dim2=-1, offset=1 - seq_len)` then the mean over
batch and position.
`induction_stripe` = mean of `np.diagonal(a[p:, p:], offset=1 - L)` (p = `prefix`; with SmolLM2's p = 0 it is
Main_Demo's for one sequence): the (R - 1) L + 1 entries a[p + i, p + i - L + 1], i = L - 1 .. R L - 1. Subtle: the
first entry (i = L - 1, the last token of the first copy attending to the block's first token) is not an induction
position but is in the diagonal and the mean (the notebook's comment "only has entries for tokens with
index>=seq_len" is off by one).

### Attention sink

sail-sg/Attention-Sink `eval_sink_open_source.py` at {sink}, `compute_attention_sink` (lines 41-49):
`ratios = torch.arange(T, 0, -1)[None, None, None, :]` (along the key axis), `importance_scores = (attention_scores /
ratios).sum(dim=-2)`: alpha_k = sum over all T query rows q of a[q, k] / (T - k), the mean attention key k gets from
the T - k rows that can see it (rows a sliding window hides it from still count, with 0). `metric1 = (importance >
epsilon).float().mean(dim=(0, 1, 2))`, printed as `metric1 * 100` with epsilon = {eps} (line 92): per key position, the
percentage of (sample, layer, head) with alpha_k > epsilon (strict). Here one sample: `sink_rate_percent[k]` =
mean over (layer, head) of (alpha_k > {eps}) * 100 (the mean first, then times 100). The paper's sink rate is k = 0.
(Their inputs are the first 64 tokens of a prompt set, through `model.generate(max_new_tokens=1,
output_attentions=True)`, lines 13-38 and 85; the scores are the same function of any input's attentions.)

### attnlab's own

- `self` = mean_i a[i, i] (include/attnlab/head_stats.h, `HeadStats::self`).
- `local_window` = mean over all T query rows i of sum_{{j = max(0, i - w + 1)}}^{{i}} a[i, j] (the last w tokens,
  itself included; w = `local_window_w`).
- `entropy` = mean_i of -sum_j a[i, j] ln a[i, j], natural log, 0 ln 0 = 0 (head_stats.h, `HeadStats::entropy`)."""


if __name__ == "__main__":
    main()

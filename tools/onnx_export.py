#!/usr/bin/env python3
"""ONNX exports of a local Hugging Face BERT directory that return every attention matrix, for
benchmarking attnlab against ONNX Runtime; both graphs are checked against transformers before use.

Variants (in OUT_DIR, build/onnx/<model>/ by default, git-ignored; re-exported when missing or when
the model file or the torch/transformers/onnxruntime versions change):
  ort      model.onnx: torch.onnx.export with the TorchScript exporter (dynamo=False), opset 17, of
           BertModel with attn_implementation="eager" and output_attentions=True
  ort-opt  model-opt.onnx: that graph through onnxruntime.transformers.optimizer (model_type bert,
           num_heads and hidden_size from config.json) with attention fusion off, since a fused
           Attention node returns no probabilities; the SkipLayerNorm and BiasGelu fusions stay on

Inputs: input_ids, attention_mask, token_type_ids, int64 [batch, seq]. Outputs: last_hidden_state
[batch, seq, hidden], then attention_0 .. attention_{L-1} [batch, heads, seq, seq]. Batch and seq are
dynamic axes.

The check runs transformers and both graphs (in sessions made by session(), as the benchmarks make
them) on a sentence, a padded batch, a padded batch of pairs and a 512-token text, and refuses the
export (exit status 1) when any attention probability differs by more than 1e-5.

CLI:    tools/.venv/bin/python tools/onnx_export.py MODEL_DIR [--out DIR] [--force]
        prints one JSON object: each variant's path and its max attention / hidden-state difference
Module: prepare(model_dir) runs the CLI in a child process (torch stays out of the caller) and returns
        that object; session(path, threads) is the ORT session every benchmark times.
"""
import argparse
import hashlib
import json
import os
import pathlib
import subprocess
import sys
import warnings

ROOT = pathlib.Path(__file__).resolve().parent.parent
OPSET = 17
TOLERANCE = 1e-5  # fp32 attention, as attnlab's goldens
VARIANTS = {"ort": "model.onnx", "ort-opt": "model-opt.onnx"}
INPUT_NAMES = ["input_ids", "attention_mask", "token_type_ids"]

# The check's inputs: padding in a batch (single texts and pairs) exercises the mask and the token types;
# the repeated paragraph is truncated to 512 tokens, the longest input the benchmarks time.
CHECK_TEXTS = {
    "notebook sentence": (["The cat sat on the mat."], None),
    "padded batch": (["Hello world!", "The cat sat on the mat.",
                      "A much longer sentence, with several more words, forces padding here."], None),
    "padded batch of pairs": (["Where is the cat?", "The cat sat on the mat."],
                              ["Under the mat, where it is warm.", "It was warm."]),
    "512 tokens": ([" ".join(["Attention lets every token weigh every other token in the sentence."] * 60)], None),
}


class CheckFailed(Exception):
    pass


def default_out_dir(model_dir):
    return ROOT / "build" / "onnx" / pathlib.Path(model_dir).resolve().name


def session(path, threads):
    """An ONNX Runtime CPU session on `threads` intra-op threads, one inter-op thread, sequential."""
    import onnxruntime as ort
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


def feed(enc):
    """The graph's inputs from a tokenizer's numpy or torch encoding (int64, token types zero if absent)."""
    import numpy as np
    ids = np.asarray(enc["input_ids"], dtype=np.int64)
    types = enc.get("token_type_ids")
    return {"input_ids": ids, "attention_mask": np.asarray(enc["attention_mask"], dtype=np.int64),
            "token_type_ids": np.zeros_like(ids) if types is None else np.asarray(types, dtype=np.int64)}


def fingerprint(model_dir):
    """What an export depends on: the weights file, the config and the exporting libraries' versions."""
    import onnxruntime
    import torch
    import transformers
    model_dir = pathlib.Path(model_dir)
    st = (model_dir / "model.safetensors").stat()
    return {"weights": [st.st_size, st.st_mtime_ns],
            "config_sha256": hashlib.sha256((model_dir / "config.json").read_bytes()).hexdigest(),
            "torch": torch.__version__, "transformers": transformers.__version__,
            "onnxruntime": onnxruntime.__version__, "opset": OPSET}


def load_reference(model_dir):
    from transformers import AutoModel, AutoTokenizer
    tok = AutoTokenizer.from_pretrained(str(model_dir))
    model = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager").eval()
    return tok, model


def export(model, tok, path):
    """Writes model (a transformers BertModel, eager attention) to path with every attention as an output."""
    import torch

    class WithAttentions(torch.nn.Module):
        def __init__(self, m):
            super().__init__()
            self.m = m

        def forward(self, input_ids, attention_mask, token_type_ids):
            o = self.m(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids,
                       output_attentions=True)
            return (o.last_hidden_state,) + tuple(o.attentions)

    # Traced on a padded batch of pairs, so no branch that skips an all-ones mask or zero token types
    # is recorded into the graph.
    enc = tok(["The cat sat on the mat.", "Hi."], ["Where?", "Under the warm mat, all day."], padding=True,
              return_tensors="pt")
    example = tuple(enc[k] for k in INPUT_NAMES)
    layers = model.config.num_hidden_layers
    names = ["last_hidden_state"] + [f"attention_{i}" for i in range(layers)]
    axes = {k: {0: "batch", 1: "seq"} for k in INPUT_NAMES}
    axes["last_hidden_state"] = {0: "batch", 1: "seq"}
    axes.update({n: {0: "batch", 2: "seq", 3: "seq"} for n in names[1:]})
    # eval(): the exporter restores the wrapper's mode afterwards, and a new module is in training mode,
    # which would leave the model's dropout on for the check that follows. The tracer's warnings (a
    # shape test in transformers' mask code taken as a constant, the legacy exporter's deprecation) are
    # silenced: check() runs the graph at other batch sizes and lengths, padded and not.
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(WithAttentions(model).eval(), example, str(path), input_names=INPUT_NAMES, output_names=names,
                          dynamic_axes=axes, opset_version=OPSET, dynamo=False)


def optimize(src, dst, config):
    """Writes src through ORT's BERT optimizer to dst, attention fusion off (every probability stays an output)."""
    from onnxruntime.transformers.fusion_options import FusionOptions
    from onnxruntime.transformers.optimizer import optimize_model
    options = FusionOptions("bert")
    options.enable_attention = False
    model = optimize_model(str(src), model_type="bert", num_heads=config.num_attention_heads,
                           hidden_size=config.hidden_size, optimization_options=options)
    model.save_model_to_file(str(dst))
    return model.get_fused_operator_statistics()


def check(tok, model, paths, threads=2):
    """Max |ORT - transformers| per variant over CHECK_TEXTS, attentions and last hidden state apart.

    Every position is compared, padded rows and columns included: the graph computes them as
    transformers does.
    """
    import numpy as np
    import torch
    sessions = {v: session(p, threads) for v, p in paths.items()}
    diffs = {v: {"max_attention_diff": 0.0, "max_hidden_diff": 0.0, "worst_input": None} for v in paths}
    for name, (texts, pairs) in CHECK_TEXTS.items():
        enc = tok(texts, pairs, padding=True, truncation=True, max_length=512, return_tensors="pt")
        with torch.no_grad():
            ref = model(**enc, output_attentions=True)
        ref_att = [a.numpy() for a in ref.attentions]
        for v, sess in sessions.items():
            out = sess.run(None, feed({k: enc[k].numpy() for k in INPUT_NAMES}))
            if len(out) != 1 + len(ref_att):
                raise CheckFailed(f"{paths[v]}: {len(out)} outputs, expected last_hidden_state and "
                                  f"{len(ref_att)} attentions")
            att = max(float(np.abs(o - r).max()) for o, r in zip(out[1:], ref_att))
            hidden = float(np.abs(out[0] - ref.last_hidden_state.numpy()).max())
            d = diffs[v]
            if att >= d["max_attention_diff"]:
                d["max_attention_diff"], d["worst_input"] = att, name
            d["max_hidden_diff"] = max(d["max_hidden_diff"], hidden)
    return diffs


def export_and_check(model_dir, out_dir=None, force=False):
    """Exports both variants when missing or stale, checks them; returns {variant: path and diffs}."""
    model_dir = pathlib.Path(model_dir)
    out_dir = pathlib.Path(out_dir) if out_dir else default_out_dir(model_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {v: out_dir / f for v, f in VARIANTS.items()}
    stamp = out_dir / "export.json"
    source = fingerprint(model_dir)
    try:
        fresh = json.loads(stamp.read_text())["source"] == source
    except (OSError, ValueError, KeyError):
        fresh = False
    tok, model = load_reference(model_dir)
    exported = force or not fresh or not all(p.exists() for p in paths.values())
    if exported:
        print(f"onnx_export: exporting {model_dir} to {out_dir}", file=sys.stderr)
        stamp.unlink(missing_ok=True)
        partial = {v: p.with_name(p.name + ".partial") for v, p in paths.items()}
        export(model, tok, partial["ort"])
        fused = optimize(partial["ort"], partial["ort-opt"], model.config)
        for v in VARIANTS:
            os.replace(partial[v], paths[v])
        stamp.write_text(json.dumps({"source": source, "ort_opt_fused_operators": fused}, indent=1) + "\n")
    diffs = check(tok, model, paths)
    result = {"model": str(model_dir), "exported": exported, "tolerance": TOLERANCE,
              "variants": {v: {"path": str(paths[v]), **diffs[v]} for v in VARIANTS}}
    bad = [f"{v} ({paths[v]}): max attention difference {d['max_attention_diff']:.2e} on the "
           f"{d['worst_input']} input" for v, d in diffs.items() if d["max_attention_diff"] > TOLERANCE]
    if bad:
        raise CheckFailed(f"the ONNX graph of {model_dir} does not reproduce transformers' attentions within "
                          f"{TOLERANCE:g}: " + "; ".join(bad) + "; refusing to time it")
    return result


def prepare(model_dir, out_dir=None):
    """export_and_check in a child process of this interpreter; exits this process with its message on failure."""
    cmd = [sys.executable, str(pathlib.Path(__file__).resolve()), str(model_dir)]
    if out_dir:
        cmd += ["--out", str(out_dir)]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sys.stderr.write(proc.stderr)
    if proc.returncode != 0:
        sys.exit(f"ONNX export or check failed for {model_dir} (exit status {proc.returncode}); see above")
    return json.loads(proc.stdout)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model_dir", help="a local Hugging Face BERT directory (config.json, model.safetensors, tokenizer)")
    ap.add_argument("--out", help="where the .onnx files go (default: build/onnx/<model directory name>/)")
    ap.add_argument("--force", action="store_true", help="export again even when the cached files are current")
    args = ap.parse_args()
    try:
        result = export_and_check(args.model_dir, args.out, args.force)
    except CheckFailed as e:
        sys.exit(f"onnx_export: error: {e}")
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()

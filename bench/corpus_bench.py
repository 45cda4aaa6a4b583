#!/usr/bin/env python3
"""Corpus throughput, side by side in one run (issue 16): `attnlab corpus` with the head-stats
reduction against

  transformers  eager BertModel, output_attentions=True, batches of 32 padded, head statistics
                computed from the padded attentions with torch (masked), as a user would write it
  onnxruntime   the same model exported by tools/onnx_export.py (every layer's attentions as outputs,
                checked against transformers first; cached in build/onnx/), batches of 32 padded, the
                statistics in numpy
  spark         examples/spark_head_stats.py on pyspark local[2] (two attnlab processes of one
                thread each behind RDD.pipe) against one attnlab process of two threads

on 1,000 and 10,000 sentences of mixed length (4-64 words). Every side gets the same 2 threads. Prints
a table and writes bench/corpus_results.json. Run with `make bench` (needs tools/.venv with torch,
transformers, onnxruntime, onnx; pyspark from .venv-test for the Spark row).

Usage: corpus_bench.py [--model DIR] [--sizes 1000,10000] [--attnlab build/attnlab]
"""
import argparse
import json
import os
import pathlib
import random
import re
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
THREADS = 2
sys.path.insert(0, str(ROOT / "tools"))
import onnx_export  # noqa: E402  (tools/ is not a package)

# One worker per reference side, in its own process (each imports its own runtime).
TORCH_WORKER = r'''
import json, sys, time, os
import torch
torch.set_num_threads(int(os.environ["BENCH_THREADS"]))
from transformers import AutoModel, AutoTokenizer
model_dir, corpus_path = sys.argv[1], sys.argv[2]
texts = [l.rstrip("\n") for l in open(corpus_path) if l.strip()]
tok = AutoTokenizer.from_pretrained(model_dir)
model = AutoModel.from_pretrained(model_dir, attn_implementation="eager").eval()
sep_id = tok.sep_token_id
t = time.perf_counter()
totals = None
with torch.inference_mode():
    for i in range(0, len(texts), 32):
        enc = tok(texts[i:i + 32], padding=True, truncation=True, return_tensors="pt")
        att = torch.stack(model(**enc, output_attentions=True).attentions)  # [L, B, H, T, T]
        mask = enc["attention_mask"].to(att.dtype)                          # [B, T]
        rows = mask[None, :, None, :]                                        # valid query rows
        n = mask.sum(1)[None, :, None]
        sep = (enc["input_ids"] == sep_id).to(att.dtype)
        cls = (att[..., 0] * rows).sum(-1) / n
        to_sep = ((att * sep[None, :, None, None, :]).sum(-1) * rows).sum(-1) / n
        self_ = (torch.diagonal(att, dim1=-2, dim2=-1) * rows).sum(-1) / n
        ent = (-(att * torch.log(att.clamp_min(1e-30))).sum(-1) * rows).sum(-1) / n
        stats = torch.stack([cls, to_sep, self_, ent]) * n                   # token-weighted
        s = stats.sum(2)
        totals = s if totals is None else totals + s
elapsed = time.perf_counter() - t
print(json.dumps({"texts": len(texts), "seconds": elapsed}))
'''

ORT_WORKER = r'''
import json, sys, time, os
import numpy as np
from transformers import AutoTokenizer
sys.path.insert(0, os.environ["BENCH_TOOLS"])
from onnx_export import feed, session
model_dir, onnx_path, corpus_path = sys.argv[1], sys.argv[2], sys.argv[3]
texts = [l.rstrip("\n") for l in open(corpus_path) if l.strip()]
tok = AutoTokenizer.from_pretrained(model_dir)
sess = session(onnx_path, int(os.environ["BENCH_THREADS"]))
sep_id = tok.sep_token_id
t = time.perf_counter()
for i in range(0, len(texts), 32):
    enc = tok(texts[i:i + 32], padding=True, truncation=True, return_tensors="np")
    att = np.stack(sess.run(None, feed(enc))[1:])  # the attentions, after last_hidden_state
    mask = enc["attention_mask"].astype(np.float32)
    rows = mask[None, :, None, :]
    n = mask.sum(1)[None, :, None]
    sep = (enc["input_ids"] == sep_id).astype(np.float32)
    cls = (att[..., 0] * rows).sum(-1) / n
    to_sep = ((att * sep[None, :, None, None, :]).sum(-1) * rows).sum(-1) / n
    self_ = (np.diagonal(att, axis1=-2, axis2=-1) * rows).sum(-1) / n
    ent = (-(att * np.log(np.maximum(att, 1e-30))).sum(-1) * rows).sum(-1) / n
elapsed = time.perf_counter() - t
print(json.dumps({"texts": len(texts), "seconds": elapsed}))
'''


def make_corpus(model_dir, count, path):
    vocab = [l.rstrip("\n") for l in open(model_dir / "vocab.txt", encoding="utf-8")]
    words = [w for w in vocab if w.isalpha() and len(w) > 2 and not w.startswith("##")]
    rng = random.Random(16)
    with open(path, "w") as f:
        for _ in range(count):
            n = rng.choice([4, 6, 8, 10, 12, 16, 20, 24, 32, 48, 64])
            sentence = " ".join(rng.choice(words) for _ in range(n)).capitalize()
            f.write(sentence.replace(" ", ", ", 1) + ".\n")


def timed(cmd, env=None, stdout=subprocess.DEVNULL):
    t = time.perf_counter()
    p = subprocess.run(cmd, env=env, stdout=stdout, stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        raise SystemExit(f"failed: {' '.join(map(str, cmd))}\n{p.stderr[-3000:]}")
    return time.perf_counter() - t, p


def worker(script, args, env):
    _, p = timed([sys.executable, "-c", script, *map(str, args)], env=env, stdout=subprocess.PIPE)
    return json.loads(p.stdout.strip().splitlines()[-1])["seconds"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default=str(ROOT / "models" / "all-MiniLM-L6-v2"))
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--attnlab", default=str(ROOT / "build" / "attnlab"))
    parser.add_argument("--spark-python", default=str(ROOT / ".venv-test" / "bin" / "python"))
    args = parser.parse_args()
    model = pathlib.Path(args.model)
    env = dict(os.environ, BENCH_THREADS=str(THREADS), OMP_NUM_THREADS=str(THREADS), BENCH_TOOLS=str(ROOT / "tools"))
    results = {"model": model.name, "threads": THREADS, "load_average": os.getloadavg(), "runs": []}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        onnx_path = onnx_export.prepare(model)["variants"]["ort"]["path"]
        for size in map(int, args.sizes.split(",")):
            corpus = tmp / f"corpus-{size}.txt"
            make_corpus(model, size, corpus)
            row = {"sentences": size}
            # attnlab: end to end, process start and model load included, every line printed.
            row["attnlab"], _ = timed([args.attnlab, "--threads", str(THREADS), "corpus", corpus, "--model", model,
                                       "--jsonl"], env=env)
            # The references: model load excluded (timed inside the worker around the batches).
            row["transformers"] = worker(TORCH_WORKER, [model, corpus], env)
            row["onnxruntime"] = worker(ORT_WORKER, [model, onnx_path, corpus], env)
            if pathlib.Path(args.spark_python).exists():
                row["spark_local2"], p = timed([args.spark_python, ROOT / "examples" / "spark_head_stats.py", corpus,
                                                "--attnlab", args.attnlab, "--model", model, "--master", "local[2]",
                                                "--out", tmp / "spark.csv"], env=env)
                # The job alone (the script's own line): Spark's start-up excluded, as on a running cluster.
                job = re.search(r"spark_head_stats: .* in ([0-9.]+) s ", p.stderr)
                if job:
                    row["spark_local2_job"] = float(job.group(1))
            results["runs"].append(row)
            print(f"{size:>6} sentences  attnlab {row['attnlab']:.2f} s ({size / row['attnlab']:.0f}/s)  "
                  f"transformers {row['transformers']:.2f} s (x{row['transformers'] / row['attnlab']:.2f})  "
                  f"onnxruntime {row['onnxruntime']:.2f} s (x{row['onnxruntime'] / row['attnlab']:.2f})"
                  + (f"  spark local[2] {row['spark_local2']:.2f} s (overhead {row['spark_local2'] / row['attnlab'] - 1:+.0%})"
                     if "spark_local2" in row else "")
                  + (f", its job alone {row['spark_local2_job']:.2f} s (overhead "
                     f"{row['spark_local2_job'] / row['attnlab'] - 1:+.0%})" if "spark_local2_job" in row else ""),
                  flush=True)
    results["load_average_after"] = os.getloadavg()
    (ROOT / "bench" / "corpus_results.json").write_text(json.dumps(results, indent=1) + "\n")
    print("wrote bench/corpus_results.json (x = reference time / attnlab time; the machine is shared, "
          f"load average {results['load_average'][0]:.1f} -> {results['load_average_after'][0]:.1f})")


if __name__ == "__main__":
    main()

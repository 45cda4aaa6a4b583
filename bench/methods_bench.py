#!/usr/bin/env python3
"""Attribution methods side by side: seconds per sentence of attnlab's analyze() (bench/methods_bench.cpp)
and of the Python reference computation (tools/make_analysis_fixtures.py's Reference: transformers
eager + hooks, then the papers' reference code in torch float32 as the reference repositories run it,
value zeroing rerunning each layer once per token). Both sides include the forward pass, run on the
same sentences with 2 threads, alternate for two rounds and keep their better round per method.
Writes bench/methods_results.json. Run by `make bench`.
"""
import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
THREADS = 2
METHODS = ["rollout", "norm", "alti", "value-zeroing"]
SENTENCES = [
    "The cat sat on the mat.",
    "Attention is not explanation, or is it?",
    "Where is the station? It is next to the old bank on the corner of the main street.",
    "Researchers compared rollout, attention flow, norm-based analysis and value zeroing on many sentences.",
    "She said that the committee, which had met twice already, would decide by Friday at the latest.",
    "Transformers mix information between tokens in every layer, so raw attention weights can mislead "
    "anyone who reads them as explanations of a prediction.",
]

REFERENCE_WORKER = r'''
import json, os, sys, time
import torch
torch.set_num_threads(int(os.environ["BENCH_THREADS"]))
sys.path.insert(0, os.environ["BENCH_TOOLS"])
from make_analysis_fixtures import Reference
model_dir, texts, methods = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
ref = Reference(model_dir)
encs = [ref.encode(t, None) for t in texts]
out = {}
for m in methods:
    ref.compute(encs[0], [m], dtype=torch.float32)  # warm-up
    t = time.perf_counter()
    for e in encs:
        ref.compute(e, [m], dtype=torch.float32)
    out[m] = (time.perf_counter() - t) / len(encs)
print(json.dumps(out))
'''


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--build", default="build", help="attnlab build directory")
    parser.add_argument("--model", default=str(ROOT / "models" / "all-MiniLM-L6-v2"))
    args = parser.parse_args()
    harness = ROOT / args.build / "bench" / "attnlab_methods_bench"
    env = dict(os.environ, BENCH_THREADS=str(THREADS), BENCH_TOOLS=str(ROOT / "tools"),
               OMP_NUM_THREADS=str(THREADS))
    best = {"attnlab": {}, "reference": {}}
    with tempfile.TemporaryDirectory() as tmp:
        inputs = pathlib.Path(tmp) / "inputs.json"
        inputs.write_text(json.dumps({"texts": SENTENCES, "methods": METHODS}))
        for _ in range(2):
            runs = {
                "attnlab": [str(harness), "--model", args.model, "--inputs", str(inputs), "--threads", str(THREADS)],
                "reference": [sys.executable, "-c", REFERENCE_WORKER, args.model, json.dumps(SENTENCES),
                              json.dumps(METHODS)],
            }
            for side, cmd in runs.items():
                res = json.loads(subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout)
                for m, s in res.items():
                    best[side][m] = min(best[side].get(m, float("inf")), s)
    tokens = "%d sentences of 9-30 tokens" % len(SENTENCES)
    print(f"attribution methods, {pathlib.Path(args.model).name}, {tokens}, {THREADS} threads, best of 2 rounds")
    print("| method        | attnlab / sentence | reference / sentence | speed-up |")
    print("|---------------|--------------------|----------------------|----------|")
    for m in METHODS:
        a, r = best["attnlab"][m], best["reference"][m]
        print(f"| {m:<13} | {a * 1e3:15.2f} ms | {r * 1e3:17.2f} ms | {r / a:7.1f}x |")
    result = {"date": time.strftime("%Y-%m-%d"), "model": args.model, "sentences": SENTENCES, "threads": THREADS,
              "seconds_per_sentence": best}
    (ROOT / "bench" / "methods_results.json").write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()

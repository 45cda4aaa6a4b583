#!/usr/bin/env python3
"""One peer's round of bench/run.py, in a process of its own: transformers (BertModel, eager attention,
output_attentions=True, in torch) or ONNX Runtime (a graph of tools/onnx_export.py, every attention an
output). Both are timed by the same loops on the same inputs file; prints one JSON object.

Usage: peer_worker.py transformers MODEL_DIR INPUTS_JSON [options]
       peer_worker.py ort MODEL_DIR INPUTS_JSON --onnx MODEL.onnx [options]

  latency  each of the inputs' token-id lists as a batch of one, after one warm-up pass: median and
           minimum of --repeats passes (a quarter of them, at least 3, above 256 tokens)
  corpus   tokenizing and running the inputs' sentences in batches of each --batches size, padded to
           the batch's longest, every attention returned; model loading is not included
Threads: BENCH_THREADS (torch.set_num_threads; ORT: that many intra-op threads, one inter-op, sequential).
"""
import argparse
import json
import os
import pathlib
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent


def transformers_engine(model_dir, threads):
    """(tokenizer, run) where run(encoding) is one forward pass returning every attention."""
    import torch
    torch.set_num_threads(threads)
    from transformers import AutoModel, AutoTokenizer
    tok = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModel.from_pretrained(model_dir, attn_implementation="eager").eval()
    torch.set_grad_enabled(False)

    def run(enc):
        return model(**{k: torch.as_tensor(v) for k, v in enc.items()}, output_attentions=True).attentions
    return tok, run


def ort_engine(model_dir, threads, onnx_path):
    sys.path.insert(0, str(ROOT / "tools"))
    from onnx_export import feed, session
    from transformers import AutoTokenizer
    tok = AutoTokenizer.from_pretrained(model_dir)
    sess = session(onnx_path, threads)

    def run(enc):
        return sess.run(None, feed(enc))
    return tok, run


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("engine", choices=["transformers", "ort"])
    ap.add_argument("model_dir")
    ap.add_argument("inputs", help="bench/run.py's inputs file: {latency: {name: ids}, corpus: [text]}")
    ap.add_argument("--onnx", help="the graph ONNX Runtime runs (engine ort)")
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--measures", default="latency,corpus", help="comma-separated: latency, corpus")
    ap.add_argument("--batches", default="32", help="comma-separated corpus batch sizes")
    args = ap.parse_args()
    import numpy as np
    threads = int(os.environ["BENCH_THREADS"])
    inputs = json.loads(pathlib.Path(args.inputs).read_text())
    measures = args.measures.split(",")
    t0 = time.perf_counter()
    if args.engine == "ort":
        tok, run = ort_engine(args.model_dir, threads, args.onnx)
    else:
        tok, run = transformers_engine(args.model_dir, threads)
    res = {"load_seconds": time.perf_counter() - t0, "latency": {}, "corpus": {}}
    if "latency" in measures:
        for name, ids in inputs["latency"].items():
            enc = {"input_ids": np.array([ids], dtype=np.int64), "attention_mask": np.ones((1, len(ids)), dtype=np.int64),
                   "token_type_ids": np.zeros((1, len(ids)), dtype=np.int64)}
            run(enc)
            times = []
            reps = max(3, args.repeats // 4) if len(ids) > 256 else args.repeats
            for _ in range(reps):
                t = time.perf_counter()
                run(enc)
                times.append(time.perf_counter() - t)
            times.sort()
            res["latency"][name] = {"median_ms": times[len(times) // 2] * 1e3, "min_ms": times[0] * 1e3}
    corpus = inputs["corpus"]
    if "corpus" in measures and corpus:
        for batch in map(int, args.batches.split(",")):
            t = time.perf_counter()
            for i in range(0, len(corpus), batch):
                run(tok(corpus[i:i + batch], padding=True, truncation=True, return_tensors="np"))
            s = time.perf_counter() - t
            res["corpus"][f"batch {batch}"] = {"sentences": len(corpus), "seconds": s,
                                               "sentences_per_second": len(corpus) / s}
    print(json.dumps(res))


if __name__ == "__main__":
    main()

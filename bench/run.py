#!/usr/bin/env python3
"""Side-by-side benchmark: attnlab vs PyTorch + transformers (eager, output_attentions=True).

Same machine, same run, same inputs, same thread count (2); the two sides alternate for two rounds
and each keeps its better round per measure. Prints one table with ratios and the
machine's limits, and writes bench/results.json. Run with `make bench` (it builds attnlab, makes the
bert-base-sized random model and the tools/.venv reference environment when missing).

Measured:
  latency    one forward pass returning all attentions: the notebook's sentence (9 tokens), 128 and
             512 tokens, on a bert-base-sized model and on all-MiniLM-L6-v2
  throughput 1,000 sentences of mixed length (reference batched as a user would: batch 32, padding)
  cold start process start to the [CLS] attention printed, weights in the page cache
  memory     peak resident set of each process
  outputs    attnlab only: every attention of a 512-token pass out of the CLI, `attention --all --json`
             to /dev/null and `--output x.npz` (on /dev/shm), wall time and peak RSS, each against the
             forward pass alone (the 512-token latency of the same run) and the plain command
  floors     DRAM floor = bytes of weights a pass must read / measured read bandwidth;
             compute floor = FLOPs / measured peak GEMM rate (the better of OpenBLAS sgemm and
             attnlab's packed kernel on a bert-base-sized product); the FMA ceiling (a register-only
             loop) is printed too
"""
import argparse
import json
import os
import pathlib
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
THREADS = 2
NOTEBOOK = "The cat sat on the mat."

REFERENCE_WORKER = r'''
import json, os, resource, sys, time
import torch
torch.set_num_threads(int(os.environ["BENCH_THREADS"]))
from transformers import AutoModel, AutoTokenizer
model_dir, inputs_path, repeats = sys.argv[1], sys.argv[2], int(sys.argv[3])
inputs = json.load(open(inputs_path))
t0 = time.perf_counter()
tok = AutoTokenizer.from_pretrained(model_dir)
model = AutoModel.from_pretrained(model_dir, attn_implementation="eager").eval()
load = time.perf_counter() - t0
res = {"load_seconds": load, "latency": {}}
with torch.inference_mode():
    for name, ids in inputs["latency"].items():
        x = torch.tensor([ids])
        model(input_ids=x, output_attentions=True)
        times = []
        reps = max(3, repeats // 4) if len(ids) > 256 else repeats
        for _ in range(reps):
            t = time.perf_counter()
            out = model(input_ids=x, output_attentions=True)
            times.append(time.perf_counter() - t)
        times.sort()
        res["latency"][name] = {"median_ms": times[len(times) // 2] * 1e3, "min_ms": times[0] * 1e3}
    corpus = inputs["corpus"]
    t = time.perf_counter()
    for i in range(0, len(corpus), 32):
        enc = tok(corpus[i:i + 32], padding=True, truncation=True, return_tensors="pt")
        out = model(**enc, output_attentions=True)
    s = time.perf_counter() - t
    res["corpus"] = {"sentences": len(corpus), "seconds": s, "sentences_per_second": len(corpus) / s}
print(json.dumps(res))
'''

REFERENCE_COLD = r'''
import torch
from transformers import AutoModel, AutoTokenizer
import sys
model_id = sys.argv[1]
torch.set_num_threads(int(sys.argv[2]))
tokenizer = AutoTokenizer.from_pretrained(model_id)
model = AutoModel.from_pretrained(model_id, attn_implementation="eager")
model.eval()
inputs = tokenizer("The cat sat on the mat.", return_tensors="pt")
with torch.no_grad():
    outputs = model(**inputs, output_attentions=True)
cls_attention = outputs.attentions[0][0, 0, 0].detach().float().cpu().numpy()
tokens = tokenizer.convert_ids_to_tokens(inputs["input_ids"][0])
for token, weight in zip(tokens, cls_attention):
    print(f"{token}: {weight:.4f}")
'''


def run_measured(cmd, env=None):
    """Runs cmd to completion; returns (stdout, wall-clock seconds from start to exit)."""
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, env=env)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"{cmd[0]} failed:\n{proc.stderr.decode()}")
    return proc.stdout.decode(), wall


RSS_PROBE = r"""
import json, os, subprocess, sys
proc = subprocess.run(sys.argv[1:], capture_output=True)
import resource
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
sys.stdout.write(json.dumps({"status": proc.returncode, "rss_kb": rss, "out": proc.stdout.decode(errors="replace"),
                             "err": proc.stderr.decode(errors="replace")}))
"""


def peak_rss_mb(cmd, env=None):
    """Runs cmd; returns (stdout, peak resident set of that process alone in MB).

    The command is started by a small probe interpreter, not by this process: a child forked from
    here would count in its ru_maxrss the pages it shared with this Python process (torch is loaded
    here) before exec.
    """
    probe = subprocess.run([sys.executable, "-S", "-c", RSS_PROBE] + cmd, capture_output=True, env=env)
    res = json.loads(probe.stdout)
    if res["status"] != 0:
        sys.exit(f"{cmd[0]} failed with status {res['status']}:\n{res['err']}")
    return res["out"], res["rss_kb"] / 1024.0


OUTPUT_PROBE = r"""
import json, resource, subprocess, sys, time
with open(sys.argv[1], "wb") as out:
    t = time.perf_counter()
    proc = subprocess.run(sys.argv[2:], stdout=out, stderr=subprocess.PIPE)
    wall = time.perf_counter() - t
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
sys.stdout.write(json.dumps({"status": proc.returncode, "wall_s": wall, "rss_kb": rss,
                             "err": proc.stderr.decode(errors="replace")}))
"""


def timed_output(cmd, stdout_path, env, rounds=2):
    """Runs cmd with stdout to stdout_path; returns (best wall seconds, peak RSS MB) over rounds.

    From a probe process, like peak_rss_mb, so the RSS is attnlab's alone.
    """
    best_wall, peak = float("inf"), 0.0
    for _ in range(rounds):
        probe = subprocess.run([sys.executable, "-S", "-c", OUTPUT_PROBE, stdout_path] + cmd, capture_output=True, env=env)
        res = json.loads(probe.stdout)
        if res["status"] != 0:
            sys.exit(f"{cmd[0]} failed with status {res['status']}:\n{res['err']}")
        best_wall, peak = min(best_wall, res["wall_s"]), max(peak, res["rss_kb"] / 1024.0)
    return best_wall, peak


def text_of_tokens(model_dir, n):
    """A text of whole-word vocabulary entries that tokenizes to exactly n tokens ([CLS] ... [SEP])."""
    from transformers import AutoTokenizer
    tok = AutoTokenizer.from_pretrained(str(model_dir))
    rng = random.Random(11)
    words = [w for w in tok.vocab if w.isascii() and w.isalpha() and len(w) > 2]
    text = " ".join(rng.choice(words) for _ in range(n - 2))
    assert len(tok(text)["input_ids"]) == n, "the benchmark text does not tokenize to the planned length"
    return text


def output_rows(attnlab, model_dir, forward_ms, weights_mb, env):
    """Rows for every attention of a 512-token pass out of the CLI, as JSON and as .npz."""
    cfg = json.loads((pathlib.Path(model_dir) / "config.json").read_text())
    block_mb = cfg["num_hidden_layers"] * cfg["num_attention_heads"] * 512 * 512 * 4 / 2**20
    base = [attnlab, "attention", "--model", str(model_dir), text_of_tokens(model_dir, 512)]
    tmp = tempfile.mkdtemp(prefix="attnlab-bench-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
    try:
        plain, plain_rss = timed_output(base, os.devnull, env)
        js, js_rss = timed_output(base + ["--all", "--json"], os.devnull, env)
        npz, npz_rss = timed_output(base + ["--output", os.path.join(tmp, "x.npz")], os.devnull, env)
        npz_mb = os.path.getsize(os.path.join(tmp, "x.npz")) / 2**20
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    rss_target = weights_mb + block_mb + 64

    def ratios(wall):
        # The target's measure: a forward pass plus writing everything, over the forward pass alone
        # (writing = this command's wall time minus the plain command's, which loads and runs the same
        # pass); then the whole command, model loading included, over the forward pass.
        return (f"{1 + (wall - plain) * 1e3 / forward_ms:.2f}x fwd",
                f"whole command {wall * 1e3 / forward_ms:.2f}x fwd")
    fwd = f"forward pass {forward_ms:.0f} ms; plain command {plain * 1e3:.0f} ms, {plain_rss:.0f} MB"
    js_ratio, js_whole = ratios(js)
    npz_ratio, npz_whole = ratios(npz)
    return [
        ("512 tokens, attention --all --json", f"{js:.2f} s, {js_rss:.0f} MB", "-", js_ratio,
         f"to /dev/null; target < 3x fwd, RSS < {rss_target:.0f} MB (weights {weights_mb:.0f} + attentions "
         f"{block_mb:.0f} + 64); {js_whole}; {fwd}"),
        ("512 tokens, attention --output x.npz", f"{npz:.2f} s, {npz_rss:.0f} MB", "-", npz_ratio,
         f"{npz_mb:.0f} MB on /dev/shm; target < 1.3x fwd; {npz_whole}; {fwd}"),
    ]


def make_inputs(model_dir, path):
    sys.path.insert(0, str(ROOT / "tools"))
    from transformers import AutoTokenizer
    tok = AutoTokenizer.from_pretrained(str(model_dir))
    rng = random.Random(7)
    words = [w for w in tok.vocab if w.isalpha() and len(w) > 2 and not w.startswith("##")]
    def ids_of_length(n):
        body = [tok.vocab[rng.choice(words)] for _ in range(n - 2)]
        return [tok.cls_token_id] + body + [tok.sep_token_id]
    corpus = []
    for i in range(1000):
        n = rng.choice([4, 6, 8, 10, 12, 16, 20, 24, 32, 48, 64])
        corpus.append(" ".join(rng.choice(words) for _ in range(n)).capitalize() + ".")
    inputs = {"latency": {"notebook (9 tokens)": tok(NOTEBOOK)["input_ids"],
                          "128 tokens": ids_of_length(128), "512 tokens": ids_of_length(512)},
              "corpus": corpus}
    path.write_text(json.dumps(inputs))
    return inputs


def encoder_weight_bytes(model_dir):
    """Bytes a forward pass must read in full: every encoder and pooler weight (embeddings are rows)."""
    cfg = json.loads((pathlib.Path(model_dir) / "config.json").read_text())
    h, i, L = cfg["hidden_size"], cfg["intermediate_size"], cfg["num_hidden_layers"]
    per_layer = 4 * (h * h + h) + 2 * h * i + i + h + 4 * h
    return 4 * (L * per_layer + h * h + h)


def forward_flops(model_dir, seq):
    cfg = json.loads((pathlib.Path(model_dir) / "config.json").read_text())
    h, i, L = cfg["hidden_size"], cfg["intermediate_size"], cfg["num_hidden_layers"]
    return L * (2 * seq * (4 * h * h + 2 * h * i) + 4 * seq * seq * h)


def better_round(best, new):
    """Per measure, the round with the lower median latency / higher throughput."""
    if best is None:
        return new
    for name, lat in new["latency"].items():
        if lat["median_ms"] < best["latency"][name]["median_ms"]:
            best["latency"][name] = lat
    if new["corpus"]["sentences_per_second"] > best["corpus"]["sentences_per_second"]:
        best["corpus"] = new["corpus"]
    if "bf16" in new and new["bf16"]["median_ms"] < best["bf16"]["median_ms"]:
        best["bf16"] = new["bf16"]
    return best


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--attnlab-bench", default=str(ROOT / "build" / "bench" / "attnlab_bench"))
    ap.add_argument("--attnlab", default=str(ROOT / "build" / "attnlab"))
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=2, help="alternating rounds per side; each keeps its best")
    ap.add_argument("--models", nargs="*", default=["models/bench-bert-base", "models/all-MiniLM-L6-v2"])
    ap.add_argument("--skip-outputs", action="store_true", help="leave out the --all --json / --output rows")
    args = ap.parse_args()
    env = dict(os.environ, BENCH_THREADS=str(THREADS), OMP_NUM_THREADS=str(THREADS),
               OPENBLAS_NUM_THREADS=str(THREADS), ATTNLAB_NUM_THREADS=str(THREADS), HF_HUB_OFFLINE="1",
               TOKENIZERS_PARALLELISM="false")
    machine_out, _ = peak_rss_mb([args.attnlab_bench, "--machine", "--threads", str(THREADS)], env)
    machine = json.loads(machine_out)
    results = {"machine": machine, "models": {}}
    inputs_path = ROOT / "build" / "bench_inputs.json"
    rows = []
    for m in args.models:
        model_dir = ROOT / m
        inputs = make_inputs(model_dir, inputs_path)
        # The two sides alternate (attnlab, reference, attnlab, ...) and each keeps its better round:
        # on a shared machine a slow spell then hits both sides alike instead of one.
        ours = ref = None
        ours_rss = ref_rss = 0.0
        for _ in range(args.rounds):
            out, rss = peak_rss_mb([args.attnlab_bench, "--model", str(model_dir), "--inputs", str(inputs_path),
                                    "--threads", str(THREADS), "--repeats", str(args.repeats)], env)
            ours, ours_rss = better_round(ours, json.loads(out)), max(ours_rss, rss)
            out, rss = peak_rss_mb([sys.executable, "-c", REFERENCE_WORKER, str(model_dir), str(inputs_path),
                                    str(args.repeats)], env)
            ref, ref_rss = better_round(ref, json.loads(out)), max(ref_rss, rss)
        # Cold start: process start to the [CLS] attention printed (median of 3, page cache warm).
        cold_ours = statistics.median(run_measured([args.attnlab, "attention", "--model", str(model_dir), NOTEBOOK], env)[1]
                                      for _ in range(3))
        cold_ref = statistics.median(run_measured([sys.executable, "-c", REFERENCE_COLD, str(model_dir), str(THREADS)], env)[1]
                                     for _ in range(3))
        _, cold_rss_ours = peak_rss_mb([args.attnlab, "attention", "--model", str(model_dir), NOTEBOOK], env)
        size_mb = (model_dir / "model.safetensors").stat().st_size / 1e6
        wbytes = encoder_weight_bytes(model_dir)
        results["models"][m] = {"attnlab": ours, "reference": ref, "cold_start_s": {"attnlab": cold_ours, "reference": cold_ref},
                                "peak_rss_mb": {"attnlab_bench": ours_rss, "attnlab_attention": cold_rss_ours,
                                                "reference": ref_rss},
                                "weights_file_mb": size_mb}
        for name, ids in inputs["latency"].items():
            a, r = ours["latency"][name]["median_ms"], ref["latency"][name]["median_ms"]
            dram_ms = wbytes / (machine["read_bandwidth_gbs"] * 1e9) * 1e3
            comp_ms = forward_flops(model_dir, len(ids)) / (machine["gemm_peak_gflops"] * 1e9) * 1e3
            rows.append((m, f"latency {name}", f"{a:.2f} ms", f"{r:.2f} ms", f"{r / a:.2f}x",
                         f"DRAM {dram_ms:.2f} ms ({a / dram_ms:.2f}x), compute {comp_ms:.2f} ms ({a / comp_ms:.2f}x)"))
        bf = ours["bf16"]
        r = ref["latency"][bf["input"]]["median_ms"]
        rows.append((m, f"latency {bf['input']}, --bf16", f"{bf['median_ms']:.2f} ms", f"{r:.2f} ms (fp32)",
                     f"{r / bf['median_ms']:.2f}x", f"max attention error vs fp32 {bf['max_attention_error_vs_fp32']:.1e}"))
        a, r = ours["corpus"]["sentences_per_second"], ref["corpus"]["sentences_per_second"]
        rows.append((m, "throughput, 1000 sentences", f"{a:.1f} sent/s", f"{r:.1f} sent/s", f"{a / r:.2f}x", "reference: batch 32, padded"))
        rows.append((m, "cold start to [CLS] row", f"{cold_ours * 1e3:.0f} ms", f"{cold_ref * 1e3:.0f} ms",
                     f"{cold_ref / cold_ours:.1f}x", "page cache warm"))
        rows.append((m, "peak RSS (attention cmd)", f"{cold_rss_ours:.0f} MB", f"{ref_rss:.0f} MB", f"{ref_rss / cold_rss_ours:.2f}x",
                     f"weights file {size_mb:.0f} MB; attnlab/file = {cold_rss_ours / size_mb:.2f}"))
        if not args.skip_outputs:
            outputs = output_rows(args.attnlab, model_dir, ours["latency"]["512 tokens"]["median_ms"],
                                  (model_dir / "model.safetensors").stat().st_size / 2**20, env)
            rows += [(m,) + r for r in outputs]
            results["models"][m]["outputs"] = [dict(zip(("measure", "attnlab", "reference", "ratio", "notes"), r))
                                               for r in outputs]
    (ROOT / "bench" / "results.json").write_text(json.dumps(results, indent=1) + "\n")
    print(f"machine: {machine['read_bandwidth_gbs']:.1f} GB/s read bandwidth; peak GEMM {machine['gemm_peak_gflops']:.0f} "
          f"GFLOP/s (best of OpenBLAS sgemm {machine['openblas_sgemm_gflops']:.0f} and attnlab's kernel "
          f"{machine['attnlab_gemm_gflops']:.0f} at 512x768x3072); FMA ceiling {machine['fma_peak_gflops']:.0f} GFLOP/s; "
          f"{THREADS} threads")
    header = ("model", "measure", "attnlab", "reference", "speed-up", "notes")
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print("| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths)) + " |")


if __name__ == "__main__":
    main()

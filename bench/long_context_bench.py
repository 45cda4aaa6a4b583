#!/usr/bin/env python3
"""Long contexts (issue 34 "Speed"): attnlab's forward pass with its attention streamed to a safetensors file
on /dev/shm against the same pass without the file, and transformers' eager pass with output_attentions
where it fits, on the real offline GGUF models; 2 threads, the same token ids (decoder_bench.py's
ids[i] = (i * 7919 + 13) % vocab), alternating rounds.

attnlab: `attnlab attention --model FILE.gguf --ids ... [--output /dev/shm/....safetensors ...]`, one process
per pass (its load included on both sides: the difference is the file). Without --output the pass still
computes every attention block (and keeps one row); with it every selected row is written in place.
What the file holds: all of it at 2,048 tokens (SmolLM2: 4.5 GB float32); at 8,192 tokens every attention
is 72 GB (SmolLM2) or 19 GB (Gemma 3), more than this machine's RAM-backed /dev/shm, so there --precision
f16 and every 4th (SmolLM2) or every 2nd (Gemma 3) query row: 9.1 and 4.8 GB. Peak RSS of each process
from wait4.

transformers: from_pretrained(dir, gguf_file=..., dtype=float32, attn_implementation="eager"),
output_attentions=True, use_cache=False, logits_to_keep=1, in a process of its own per n with a 20 GB
address-space limit; n doubles from 1,024 until it fails (out of memory) or passes the largest n of the run,
so the table says the largest n it manages.

Usage: long_context_bench.py [--rounds 2] [--attnlab build/attnlab] [--json build/long_context_results.json]
                             [--skip-transformers]
"""
import argparse
import json
import os
import pathlib
import resource
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
MODELS = {"smollm2": ROOT / "models" / "smollm2-135m-instruct" / "SmolLM2-135M-Instruct.Q4_1.gguf",
          "gemma3-270m": ROOT / "models" / "gemma-3-270m" / "gemma-3-270m-q4_k_m.gguf"}
VOCAB = {"smollm2": 49152, "gemma3-270m": 262144}
# (model, tokens, extra --output flags)
CASES = [("smollm2", 2048, []), ("smollm2", 8192, ["--precision", "f16", "--queries", "every:4"]),
         ("gemma3-270m", 8192, ["--precision", "f16", "--queries", "every:2"])]
SHM = pathlib.Path("/dev/shm")


def bench_ids(n, vocab):
    return [(i * 7919 + 13) % vocab for i in range(n)]


def timed(cmd, env=None, limit_bytes=None):
    """(seconds, peak RSS kB, returncode, stderr tail) of one child process."""
    def preexec():
        if limit_bytes:
            resource.setrlimit(resource.RLIMIT_AS, (limit_bytes, limit_bytes))
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, preexec_fn=preexec)
    _, status, usage = os.wait4(p.pid, 0)
    seconds = time.perf_counter() - t0
    err = p.stderr.read().decode(errors="replace")[-2000:]
    p.stderr.close()
    return seconds, usage.ru_maxrss, os.waitstatus_to_exitcode(status), err


def attnlab_side(args, env, model, n, extra, rounds):
    ids = ",".join(map(str, bench_ids(n, VOCAB[model])))
    base = [args.attnlab, "attention", "--model", str(MODELS[model]), "--ids", ids]
    out = SHM / f"attnlab_long_context_{os.getpid()}.safetensors"
    rows = {"alone": [], "file": [], "rss_alone_kb": 0, "rss_file_kb": 0, "file_bytes": 0}
    for r in range(rounds):
        for side in ("alone", "file") if r % 2 == 0 else ("file", "alone"):
            cmd = base + (["--output", str(out)] + extra if side == "file" else [])
            s, rss, code, err = timed(cmd, env)
            if code != 0:
                sys.exit(f"attnlab failed ({code}): {err}")
            rows[side].append(s)
            rows[f"rss_{side}_kb"] = max(rows[f"rss_{side}_kb"], rss)
            if side == "file":
                rows["file_bytes"] = out.stat().st_size
                out.unlink()
            print(f"{model} {n}: round {r + 1}/{rounds} {side} {s:.2f} s", file=sys.stderr)
    rows["ratio"] = [f / a for f, a in zip(rows["file"], rows["alone"])]
    return rows


TRANSFORMERS_WORKER = r'''
import sys, time, torch, transformers
torch.set_num_threads(2)
path, n, vocab = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
import pathlib
p = pathlib.Path(path)
m = transformers.AutoModelForCausalLM.from_pretrained(str(p.parent), gguf_file=p.name, dtype=torch.float32,
                                                      attn_implementation="eager")
ids = torch.tensor([[(i * 7919 + 13) % vocab for i in range(n)]])
with torch.no_grad():
    t0 = time.perf_counter()
    out = m(ids, output_attentions=True, use_cache=False, logits_to_keep=1)
    print(time.perf_counter() - t0)
'''


def transformers_side(model, largest, env):
    results = []
    n = 1024
    while n <= largest:
        cmd = [sys.executable, "-c", TRANSFORMERS_WORKER, str(MODELS[model]), str(n), str(VOCAB[model])]
        s, rss, code, err = timed(cmd, env, limit_bytes=20 << 30)
        ok = code == 0
        results.append({"tokens": n, "ok": ok, "wall_s": s, "peak_rss_kb": rss,
                        "error": None if ok else (err.strip().splitlines() or ["killed"])[-1][:300]})
        print(f"transformers {model} {n}: {'ok' if ok else 'failed'} {s:.1f} s", file=sys.stderr)
        if not ok:
            break
        n *= 2
    return results


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--attnlab", default=str(ROOT / "build" / "attnlab"))
    ap.add_argument("--json", default=str(ROOT / "build" / "long_context_results.json"))
    ap.add_argument("--skip-transformers", action="store_true")
    args = ap.parse_args()
    env = dict(os.environ, ATTNLAB_NUM_THREADS="2", OMP_NUM_THREADS="2")
    report = {"threads": 2, "rounds": args.rounds, "cases": [], "transformers": {}}
    for model, n, extra in CASES:
        if not MODELS[model].exists():
            sys.exit(f"{MODELS[model]} is missing: run `make model`")
        rows = attnlab_side(args, env, model, n, extra, args.rounds)
        report["cases"].append({"model": model, "tokens": n, "output_flags": extra, **rows})
    if not args.skip_transformers:
        for model in MODELS:
            report["transformers"][model] = transformers_side(model, 8192, env)
    pathlib.Path(args.json).write_text(json.dumps(report, indent=1) + "\n")
    print("| model | tokens | file | pass alone | pass + file | ratio [range] | peak RSS alone / with file |")
    print("|---|---|---|---|---|---|---|")
    for c in report["cases"]:
        med = lambda v: sorted(v)[len(v) // 2]
        print(f"| {c['model']} | {c['tokens']} | {c['file_bytes'] / 1e9:.1f} GB {' '.join(c['output_flags'])} | "
              f"{med(c['alone']):.2f} s | {med(c['file']):.2f} s | {med(c['ratio']):.2f}x "
              f"[{min(c['ratio']):.2f}, {max(c['ratio']):.2f}] | {c['rss_alone_kb'] // 1024} / "
              f"{c['rss_file_kb'] // 1024} MB |")
    for model, rows in report["transformers"].items():
        for r in rows:
            print(f"transformers {model} {r['tokens']}: {'ok' if r['ok'] else 'FAILED'} {r['wall_s']:.1f} s, "
                  f"peak RSS {r['peak_rss_kb'] // 1024} MB" + ("" if r["ok"] else f" ({r['error']})"))
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()

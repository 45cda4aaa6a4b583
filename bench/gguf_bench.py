#!/usr/bin/env python3
"""GGUF prefill, side by side in one run (issue 33 "Speed"): attnlab returning every attention matrix against
llama.cpp (llama-cpp-python, flash attention off and on; it returns no attention) and transformers (the same
GGUF dequantized to float32 by its GGUF loader, eager attention, output_attentions=True), on the real offline
models `make model` fetches: SmolLM2-135M-Instruct Q4_1 and Gemma 3 270M Q4_K_M, at 9, 128, 512 and 2048
tokens, 2 threads each.

Every side runs the same token ids, ids[i] = (i * 7919 + 13) % vocab_size (decoder_bench.py's), computes the
last position's logits and nothing more past the final norm. attnlab: build/bench/attnlab_decoder_bench on
the .gguf (weights kept quantized; a process per round, its load not timed). llama.cpp: one Llama() per
setting (n_ctx and n_batch = n_ubatch = 2048, so a prompt is one batch; logits of the last position only),
the context cleared before each pass. transformers: from_pretrained(dir, gguf_file=..., dtype=float32,
attn_implementation="eager"), use_cache=False, logits_to_keep=1, torch.no_grad(). The peers load once
each (transformers takes about a minute per GGUF) and stay up, answering one request per round; the sides
alternate within every round (attnlab, llama.cpp off, llama.cpp on, transformers), so a slow spell of the
machine hits them alike. One warm-up pass per side and round, then the timed passes; per round the median
pass of each side; per token count each side's median over every pass and the speed-up per round (the
peer's median / attnlab's) as its median and [min, max] range.

Floors beside each row: DRAM, the bytes one pass must move (every weight of the file once, as stored, plus
the attention probabilities attnlab writes, layers x heads x n x n x 4 B) over the read bandwidth; compute,
the FLOPs of decoder_bench.py's forward_flops over the machine's FMA ceiling (`attnlab_bench --machine`,
best of 3). Load time and peak RSS of each side (its process's maximum resident set after load and after
the passes) against the file size.

Targets (issue 33): attnlab with every attention at least 1.5x as fast as llama.cpp's faster setting at 9
and 128 tokens and 1.2x at 512 and 2048; at least 3x transformers at 9 tokens and 2x at 128, 512, 2048.

Writes bench/gguf_results.json for a full run (build/gguf_results.json otherwise, or --json). Needs
tools/.venv with torch, transformers, gguf and llama-cpp-python (`make bench` installs what is missing).

Usage: gguf_bench.py [--models smollm2,gemma3-270m] [--tokens 9,128,512,2048] [--rounds 3] [--repeats 5]
                     [--driver PATH] [--machine-bench PATH] [--json PATH]
"""
import argparse
import json
import os
import pathlib
import resource
import statistics
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from decoder_bench import (attention_bytes, bench_ids, cpu_snapshot, fmt_s, forward_flops, machine_limits,  # noqa: E402
                           other_work, passes, run_json)

THREADS = 2
DEFAULT_MODELS = ("smollm2", "gemma3-270m")
MODELS = {"smollm2": ROOT / "models" / "smollm2-135m-instruct" / "SmolLM2-135M-Instruct.Q4_1.gguf",
          "gemma3-270m": ROOT / "models" / "gemma-3-270m" / "gemma-3-270m-q4_k_m.gguf"}
DEFAULT_TOKENS = (9, 128, 512, 2048)
DEFAULT_ROUNDS = 3
DEFAULT_REPEATS = 5
CTX = 2048
TARGET_LLAMA = {9: 1.5, 128: 1.5, 512: 1.2, 2048: 1.2}
TARGET_TRANSFORMERS = {9: 3.0, 128: 2.0, 512: 2.0, 2048: 2.0}
PEERS = ("llama.cpp flash off", "llama.cpp flash on", "transformers")
DISTURBED = 0.05


def peak_rss_kb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


# ---- the peers (this file again, one process each: `gguf_bench.py --peer KIND FILE`), one request per line ----

def peer(kind, path, threads):
    t0 = time.perf_counter()
    if kind.startswith("llama.cpp"):
        import llama_cpp
        llm = llama_cpp.Llama(model_path=str(path), n_ctx=CTX, n_batch=CTX, n_ubatch=CTX, n_threads=threads,
                              n_threads_batch=threads, flash_attn=kind.endswith("on"), logits_all=False,
                              verbose=False)
        vocab = llm.n_vocab()
        version = llama_cpp.__version__

        def clear():
            llm.reset()
            ctx = llm._ctx
            if hasattr(ctx, "memory_clear"):
                ctx.memory_clear(True)
            else:
                ctx.kv_cache_clear()

        def run(ids):
            clear()
            llm.eval(ids)
            return llm.scores[len(ids) - 1].tolist()  # the last position's logits (logits_all=False)
    else:
        import torch
        torch.set_num_threads(threads)
        import transformers
        from transformers import AutoModelForCausalLM
        model = AutoModelForCausalLM.from_pretrained(str(path.parent), gguf_file=path.name, dtype=torch.float32,
                                                     attn_implementation="eager").eval()
        vocab = model.config.vocab_size
        version = f"transformers {transformers.__version__}, torch {torch.__version__}"

        def run(ids):
            with torch.no_grad():
                out = model(input_ids=torch.tensor([ids]), output_attentions=True, use_cache=False, logits_to_keep=1)
                logits = out.logits[0, -1].float().tolist()
                del out
            return logits
    load_seconds = time.perf_counter() - t0
    rss_loaded = peak_rss_kb()
    print(json.dumps({"ready": True, "vocab": vocab, "load_seconds": load_seconds, "peak_rss_kb_loaded": rss_loaded,
                      "version": version}), flush=True)
    for line in sys.stdin:
        n, reps = map(int, line.split())
        ids = bench_ids(n, vocab)
        logits = run(ids)  # warm-up
        seconds = []
        for _ in range(reps):
            t = time.perf_counter()
            run(ids)
            seconds.append(time.perf_counter() - t)
        argmax = max(range(len(logits)), key=logits.__getitem__)
        print(json.dumps({"tokens": n, "seconds": seconds, "argmax": argmax, "peak_rss_kb": peak_rss_kb()}),
              flush=True)


def process_cpu_seconds(pid):
    """utime + stime of a running process (/proc/PID/stat), 0 where unreadable."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


def snapshot(peers):
    """cpu_snapshot() with the running peers' CPU time counted as this benchmark's own (they are not
    finished children, so RUSAGE_CHILDREN leaves them out)."""
    wall, busy, children = cpu_snapshot()
    return wall, busy, children + sum(process_cpu_seconds(p.proc.pid) for p in peers.values())


class Peer:
    def __init__(self, kind, path, env):
        self.kind = kind
        self.proc = subprocess.Popen([sys.executable, str(pathlib.Path(__file__).resolve()), "--peer", kind, str(path)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
        self.info = self._read()

    def _read(self):
        line = self.proc.stdout.readline()
        if not line:
            sys.exit(f"{self.kind}: the peer process ended (exit {self.proc.wait()})")
        return json.loads(line)

    def run(self, n, reps):
        self.proc.stdin.write(f"{n} {reps}\n")
        self.proc.stdin.flush()
        return self._read()

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=60)


# ---- the driver ----

def gguf_shape(path):
    """The forward's sizes and the tensor bytes as stored, from the file's metadata (gguf-py)."""
    import gguf
    r = gguf.GGUFReader(str(path))
    arch = bytes(r.fields["general.architecture"].parts[-1]).decode()

    def value(key, default=None):
        f = r.fields.get(f"{arch}.{key}")
        return default if f is None else f.contents()
    heads = value("attention.head_count")
    hidden = value("embedding_length")
    tokens = r.fields["tokenizer.ggml.tokens"]
    shape = {"arch": arch, "layers": value("block_count"), "hidden": hidden, "heads": heads,
             "kv_heads": value("attention.head_count_kv", heads),
             "head_dim": value("attention.key_length", hidden // heads), "intermediate": value("feed_forward_length"),
             "vocab": len(tokens.data)}
    return shape, int(sum(int(t.n_bytes) for t in r.tensors))


def median_or_none(rounds):
    flat = [x for r in rounds for x in r]
    return statistics.median(flat) if flat else None


def ratio_stats(ours, theirs):
    ratios = [statistics.median(t) / statistics.median(a) for a, t in zip(ours, theirs)]
    return {"per_round": ratios, "median": statistics.median(ratios) if ratios else None,
            "range": [min(ratios), max(ratios)] if ratios else None}


def verdict(stats, target):
    if target is None or stats["median"] is None:
        return "-"
    lo = stats["range"][0]
    return f">= {target:g}x " + ("met" if lo >= target else "met (median)" if stats["median"] >= target else "MISSED")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default=",".join(DEFAULT_MODELS))
    ap.add_argument("--tokens", default=",".join(map(str, DEFAULT_TOKENS)))
    ap.add_argument("--rounds", type=int, default=DEFAULT_ROUNDS)
    ap.add_argument("--repeats", type=int, default=DEFAULT_REPEATS)
    ap.add_argument("--driver", default=str(ROOT / "build" / "bench" / "attnlab_decoder_bench"))
    ap.add_argument("--machine-bench", default=str(ROOT / "build" / "bench" / "attnlab_bench"))
    ap.add_argument("--json")
    ap.add_argument("--peer", nargs=2, metavar=("KIND", "FILE"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.peer:
        peer(args.peer[0], pathlib.Path(args.peer[1]), int(os.environ.get("BENCH_THREADS", THREADS)))
        return

    models = [m for m in args.models.split(",") if m]
    tokens = [int(t) for t in args.tokens.split(",") if t.strip()]
    if max(tokens) > CTX:
        sys.exit(f"--tokens: at most {CTX}")
    env = dict(os.environ, BENCH_THREADS=str(THREADS), OMP_NUM_THREADS=str(THREADS), OPENBLAS_NUM_THREADS=str(THREADS),
               MKL_NUM_THREADS=str(THREADS), ATTNLAB_NUM_THREADS=str(THREADS), HF_HUB_OFFLINE="1",
               TRANSFORMERS_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    full = (models == list(DEFAULT_MODELS) and tokens == list(DEFAULT_TOKENS) and args.rounds == DEFAULT_ROUNDS
            and args.repeats == DEFAULT_REPEATS)
    json_path = pathlib.Path(args.json) if args.json else ROOT / ("bench/gguf_results.json" if full
                                                                  else "build/gguf_results.json")
    machine = machine_limits(args.machine_bench, env)
    results = {"threads": THREADS, "rounds": args.rounds, "machine": machine, "ctx": CTX,
               "load_average_before": os.getloadavg(), "models": []}
    for name in models:
        path = MODELS[name]
        if not path.exists():
            sys.exit(f"{path} is missing: run `make model`")
        shape, file_tensor_bytes = gguf_shape(path)
        s = dict(shape, tied=True)
        print(f"{name}: starting the peers (transformers loads the GGUF in about a minute)", file=sys.stderr, flush=True)
        peers = {k: Peer(k, path, env) for k in PEERS}
        entry = {"model": name, "file": str(path.relative_to(ROOT)), "file_bytes": path.stat().st_size,
                 "tensor_bytes": file_tensor_bytes, "shape": shape,
                 "peers": {k: p.info for k, p in peers.items()}, "rows": []}
        for n in tokens:
            reps = passes(n, args.repeats)
            ours, theirs, disturbed = [], {k: [] for k in PEERS}, []
            a_out, argmax = None, {}
            for r in range(args.rounds):
                before = snapshot(peers)
                print(f"{name} {n} tokens: round {r + 1}/{args.rounds}", file=sys.stderr, flush=True)
                a_out = run_json([args.driver, "--model", str(path), "--tokens", str(n), "--rounds", str(reps),
                                  "--threads", str(THREADS)], env)
                ours.append(a_out["seconds"])
                for k, p in peers.items():
                    out = p.run(n, reps)
                    theirs[k].append(out["seconds"])
                    argmax[k] = out["argmax"]
                    entry["peers"][k]["peak_rss_kb"] = out["peak_rss_kb"]
                disturbed.append(other_work(before, snapshot(peers)))
            flops, _, _ = forward_flops(s, n)
            moved = file_tensor_bytes + attention_bytes(s, n)
            row = {"tokens": n, "passes_per_round": reps, "attnlab_s": ours, "attnlab_median_s": median_or_none(ours),
                   "attnlab_load_s": a_out["load_seconds"], "attnlab_peak_rss_kb": a_out["peak_rss_kb"],
                   "attnlab_argmax": a_out["argmax"], "peers": {}, "other_work_per_round": disturbed,
                   "bytes_moved": moved, "flops": flops,
                   "dram_floor_s": moved / (machine["read_bandwidth_gbs"] * 1e9) if machine else None,
                   "compute_floor_s": flops / (machine["fma_peak_best_gflops"] * 1e9) if machine else None}
            for k in PEERS:
                row["peers"][k] = {"seconds": theirs[k], "median_s": median_or_none(theirs[k]),
                                   "speedup": ratio_stats(ours, theirs[k]), "argmax": argmax[k]}
            entry["rows"].append(row)
        for p in peers.values():
            p.close()
        results["models"].append(entry)
    results["load_average_after"] = os.getloadavg()
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(results, indent=1) + "\n")

    if machine:
        print(f"machine: {machine['read_bandwidth_gbs']:.1f} GB/s read bandwidth; FMA ceiling "
              f"{machine['fma_peak_best_gflops']:.0f} GFLOP/s; isa {machine.get('isa', '?')}; {THREADS} threads; "
              f"{args.rounds} rounds")
    for entry in results["models"]:
        p = entry["peers"]
        print(f"\n{entry['model']} ({entry['file_bytes'] / 1e6:.0f} MB file): load attnlab "
              f"{entry['rows'][0]['attnlab_load_s']:.2f} s, llama.cpp {p['llama.cpp flash off']['load_seconds']:.2f} s, "
              f"transformers {p['transformers']['load_seconds']:.1f} s; peak RSS after load (MB) attnlab "
              f"{max(r['attnlab_peak_rss_kb'] for r in entry['rows']) / 1e3:.0f} (largest pass included), llama.cpp "
              f"{p['llama.cpp flash off']['peak_rss_kb_loaded'] / 1e3:.0f}, transformers "
              f"{p['transformers']['peak_rss_kb_loaded'] / 1e3:.0f}")
        print("| tokens | attnlab (every attention) | llama.cpp flash off | llama.cpp flash on | transformers eager | "
              "vs llama.cpp (faster setting) | vs transformers | DRAM floor | compute floor | argmax vs attnlab's |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        for row in entry["rows"]:
            n = row["tokens"]
            pr = row["peers"]
            fast = min(("llama.cpp flash off", "llama.cpp flash on"), key=lambda k: pr[k]["median_s"])
            sl, st = pr[fast]["speedup"], pr["transformers"]["speedup"]
            a = row["attnlab_median_s"]

            def fr(v):
                return "-" if v is None else f"{fmt_s(v)} (attnlab {a / v:.1f}x)"
            same = {k: pr[k]["argmax"] == row["attnlab_argmax"] for k in PEERS}
            agree = (f"transformers {'same' if same['transformers'] else 'DIFFERS'}, llama.cpp "
                     f"{'same' if same['llama.cpp flash off'] and same['llama.cpp flash on'] else 'differs'}")
            noisy = [f"{i + 1} ({b:.0%})" for i, b in enumerate(row["other_work_per_round"]) if b is not None and b > DISTURBED]
            if noisy:
                agree += f"; disturbed round {', '.join(noisy)}"
            print(f"| {n} | {fmt_s(a)} | {fmt_s(pr['llama.cpp flash off']['median_s'])} | "
                  f"{fmt_s(pr['llama.cpp flash on']['median_s'])} | {fmt_s(pr['transformers']['median_s'])} | "
                  f"{sl['median']:.2f}x [{sl['range'][0]:.2f}, {sl['range'][1]:.2f}] ({fast[10:]}) "
                  f"{verdict(sl, TARGET_LLAMA.get(n))} | "
                  f"{st['median']:.2f}x [{st['range'][0]:.2f}, {st['range'][1]:.2f}] {verdict(st, TARGET_TRANSFORMERS.get(n))} | "
                  f"{fr(row['dram_floor_s'])} | {fr(row['compute_floor_s'])} | {agree} |")
    print(f"wrote {json_path}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Decoder latency, side by side in one run (issue 32 "Speed"): attnlab (Engine::encode_ids + Engine::run through
build/bench/attnlab_decoder_bench) against transformers' LlamaForCausalLM, eager attention, fp32,
output_attentions=True, on a SmolLM2-135M-shaped random-weight Llama (tools/make_decoder_bench_model.py: 30
layers, hidden 576, 9 heads, 3 key/value heads, head_dim 64, MLP 1536, vocab 49152, tied embeddings), at 9,
128, 512 and 2048 tokens, every attention matrix returned, 2 threads each.

Both sides run the same ids, ids[i] = (i * 7919 + 13) % vocab_size (each derives them), in a process of their
own: model loading is not timed; one warm-up pass, then --repeats passes (512 tokens: a third of them, at
least 3; 2048 tokens: a fifth, at least 2). Both compute the last position's logits and nothing else past
the final norm (transformers: logits_to_keep=1, use_cache=False, torch.no_grad(); every attention returned
as its tuple of [1, heads, n, n] tensors; attnlab: Result::attentions and Result::logits), and the warm-up
pass of each is compared: the last position's logits at 8 ids and their argmax, and the sum of every
attention probability (layers x heads x n). The sides alternate for --rounds rounds (attnlab, transformers,
attnlab, ...), so a slow spell of the machine hits both alike. Per round: the median pass of each side and
the speed-up transformers / attnlab (above 1x attnlab is faster); per token count: each side's median over
every pass of every round, the median speed-up over rounds and its range [min, max].

Floors beside each row, as bench/run.py's (the machine's limits from `attnlab_bench --machine`, best of 3
runs: read bandwidth over a 1 GiB buffer, the FMA ceiling of register-only fused multiply-add chains):
  DRAM floor     bytes that must move / read bandwidth: every weight once in f32 (the safetensors' tensors,
                 4 B x parameters; the tied embedding is read whole by the last position's logits) plus the
                 attention probabilities written, layers x heads x n x n x 4 B
  compute floor  FLOPs / FMA ceiling (the better of 256- and 512-bit): the linear layers (2 x n x the
                 q/k/v/o and gate/up/down weights, per layer) and the last position's logits (2 x hidden x
                 vocab), plus attention: Q K^T and P V over the causal triangle only, 2 x 2 x head_dim x
                 n (n + 1) / 2 per layer and head
Targets (issue 32): at least 3x at 9 tokens, 1.5x at 512 and 2048.

Prints a table and writes bench/decoder_results.json (a run narrowed by --tokens, --rounds or --repeats,
or without attnlab's driver, writes build/decoder_results.json unless --json says where). Run with
`make bench` (needs tools/.venv with torch + transformers; makes the model when missing). Without the
driver binary it says so and times transformers alone.

Usage: decoder_bench.py [--tokens 9,128,512,2048] [--rounds 5] [--repeats 10] [--driver PATH]
                        [--machine-bench PATH] [--model DIR] [--json PATH]
"""
import argparse
import json
import os
import pathlib
import resource
import statistics
import struct
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
THREADS = 2
DEFAULT_TOKENS = (9, 128, 512, 2048)
DEFAULT_ROUNDS = 5
DEFAULT_REPEATS = 10
TARGETS = {9: 3.0, 512: 1.5, 2048: 1.5}  # minimum speed-up, transformers time / attnlab time
SAMPLES = 8  # logits compared at ids k * vocab // SAMPLES
DISTURBED = 0.05  # a round with more of the CPUs busy with other work is flagged in the table


def bench_ids(n, vocab):
    """The benchmark's token ids; attnlab_decoder_bench's bench_ids() is the same formula."""
    return [(i * 7919 + 13) % vocab for i in range(n)]


def passes(n, repeats):
    """Timed passes per side and round at n tokens (fewer for long inputs: 2048 tokens take seconds each)."""
    if n <= 256:
        return repeats
    if n <= 1024:
        return max(3, repeats // 3)
    return max(2, repeats // 5)


# ---- the transformers side (this file again, in a process of its own: `decoder_bench.py --worker ...`) ----

def worker(model_dir, n, repeats, threads):
    import torch
    torch.set_num_threads(threads)
    import transformers
    from transformers import AutoModelForCausalLM
    t0 = time.perf_counter()
    model = AutoModelForCausalLM.from_pretrained(model_dir, attn_implementation="eager", dtype=torch.float32).eval()
    load_seconds = time.perf_counter() - t0
    cfg = model.config
    ids = torch.tensor([bench_ids(n, cfg.vocab_size)], dtype=torch.int64)

    def run():
        return model(input_ids=ids, output_attentions=True, use_cache=False, logits_to_keep=1)

    with torch.no_grad():
        out = run()  # warm-up, and the pass whose outputs are compared
        if len(out.attentions) != cfg.num_hidden_layers or out.attentions[0].shape != (1, cfg.num_attention_heads, n, n):
            sys.exit(f"transformers returned attentions of shape {tuple(out.attentions[0].shape)}")
        logits = out.logits[0, -1].float()
        attention_sum = float(sum(a.double().sum() for a in out.attentions))
        checks = {"ids_sum": int(ids.sum()), "attention_sum": attention_sum,
                  "logits_sample": [float(logits[k * logits.numel() // SAMPLES]) for k in range(SAMPLES)],
                  "argmax": int(logits.argmax())}
        del out, logits
        seconds = []
        for _ in range(repeats):
            t = time.perf_counter()
            out = run()
            seconds.append(time.perf_counter() - t)
            if not out.attentions or out.logits.numel() == 0:
                sys.exit("transformers returned no attentions or no logits")
            del out  # freed outside the clock (the next pass would otherwise free it inside)
    print(json.dumps({"tokens": n, "seconds": seconds, "load_seconds": load_seconds, "threads": threads,
                      "torch": torch.__version__, "transformers": transformers.__version__, **checks}))


# ---- the driver ----

def run_json(cmd, env):
    p = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if p.returncode != 0:
        sys.exit(f"failed ({p.returncode}): {' '.join(map(str, cmd))}\n{p.stderr[-3000:]}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def safetensors_bytes(model_dir):
    """Bytes of every tensor in the model's safetensors file(s): what a pass reads at least once."""
    files = sorted(pathlib.Path(model_dir).glob("*.safetensors"))
    total = 0
    for f in files:
        with open(f, "rb") as fh:
            (header_len,) = struct.unpack("<Q", fh.read(8))
            header = json.loads(fh.read(header_len))
        total += sum(t["data_offsets"][1] - t["data_offsets"][0] for k, t in header.items() if k != "__metadata__")
    return total


def shape_of(model_dir):
    cfg = json.loads((pathlib.Path(model_dir) / "config.json").read_text())
    heads = cfg["num_attention_heads"]
    return {"layers": cfg["num_hidden_layers"], "hidden": cfg["hidden_size"], "heads": heads,
            "kv_heads": cfg.get("num_key_value_heads", heads),
            "head_dim": cfg.get("head_dim") or cfg["hidden_size"] // heads,
            "intermediate": cfg["intermediate_size"], "vocab": cfg["vocab_size"],
            "tied": cfg.get("tie_word_embeddings", True)}


def forward_flops(s, n):
    """FLOPs one pass must do: linear layers, last-position logits, causal attention (see the docstring)."""
    h, d = s["hidden"], s["head_dim"]
    linear_weights = h * s["heads"] * d + 2 * h * s["kv_heads"] * d + s["heads"] * d * h + 3 * h * s["intermediate"]
    linear = s["layers"] * 2 * n * linear_weights + 2 * h * s["vocab"]
    attention = s["layers"] * s["heads"] * 2 * 2 * d * n * (n + 1) // 2
    return linear + attention, linear, attention


def attention_bytes(s, n):
    return s["layers"] * s["heads"] * n * n * 4


def machine_limits(machine_bench, env, runs=3):
    """The machine's limits from `attnlab_bench --machine`, the best of `runs` runs per figure: they are
    ceilings, and on a shared or virtual 2-core machine one run can come out at half of another."""
    if not pathlib.Path(machine_bench).exists():
        print(f"note: {machine_bench} not found (build it: cmake --build build --target attnlab_bench); "
              "no floors", file=sys.stderr)
        return None
    samples = [run_json([str(machine_bench), "--machine", "--threads", str(THREADS)], env) for _ in range(runs)]
    m = dict(samples[0])
    for k, v in m.items():
        if isinstance(v, (int, float)) and not isinstance(v, bool) and k != "threads":
            m[k] = max(x[k] for x in samples)
    m["fma_peak_best_gflops"] = max(m.get("fma_peak_gflops", 0.0), m.get("fma_peak_gflops_512", 0.0))
    m["runs"] = samples
    return m


def compare(a, t, s, n):
    """attnlab's warm-up outputs against transformers'; a note for the table and a dict for the JSON."""
    if a is None:
        return "-", None
    res = {"ids_sum_equal": a["ids_sum"] == t["ids_sum"], "argmax_equal": a["argmax"] == t["argmax"],
           "max_logit_diff": max((abs(x - y) if x is not None else float("inf"))
                                 for x, y in zip(a["logits_sample"], t["logits_sample"])),
           "attention_sum": a["attention_sum"], "attention_sum_expected": s["layers"] * s["heads"] * n}
    ok = res["ids_sum_equal"] and res["argmax_equal"] and res["max_logit_diff"] < 1e-3 and a["attention_sum"] is not None \
        and abs(a["attention_sum"] - res["attention_sum_expected"]) < 1e-3 * res["attention_sum_expected"]
    res["ok"] = ok
    note = f"logits diff {res['max_logit_diff']:.1e}" + ("" if ok else " MISMATCH (see the JSON)")
    return note, res


def cpu_snapshot():
    """(wall seconds, busy CPU seconds of the whole machine, CPU seconds of this process's finished children);
    busy is None where /proc/stat is missing."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
        busy = (sum(v[:8]) - v[3] - v[4]) / os.sysconf("SC_CLK_TCK")  # all but idle and iowait
    except (OSError, ValueError):
        busy = None
    return time.perf_counter(), busy, children.ru_utime + children.ru_stime


def other_work(before, after):
    """Share of the machine's CPUs busy with anything but this benchmark between two snapshots: on 2 cores
    a compile beside the benchmark slows torch's spinning OpenMP threads by up to 30x (attnlab's pool by
    less than 2x), so a disturbed round says so instead of passing for a speed-up."""
    if before[1] is None or after[1] is None:
        return None
    wall = after[0] - before[0]
    others = (after[1] - before[1]) - (after[2] - before[2])
    return max(0.0, others) / (wall * (os.cpu_count() or 1)) if wall > 0 else None


def fmt_s(v):
    return "-" if v is None else (f"{v * 1e3:.1f} ms" if v < 10 else f"{v:.1f} s")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tokens", default=",".join(map(str, DEFAULT_TOKENS)), help="comma-separated token counts")
    ap.add_argument("--rounds", type=int, default=DEFAULT_ROUNDS, help="alternating rounds (default 5)")
    ap.add_argument("--repeats", type=int, default=DEFAULT_REPEATS,
                    help="timed passes per side and round up to 256 tokens (fewer above); default 10")
    ap.add_argument("--driver", default=str(ROOT / "build" / "bench" / "attnlab_decoder_bench"))
    ap.add_argument("--machine-bench", default=str(ROOT / "build" / "bench" / "attnlab_bench"),
                    help="attnlab_bench, for the machine's limits (--machine)")
    ap.add_argument("--model", default=str(ROOT / "models" / "bench-smollm2-shaped"))
    ap.add_argument("--json", help="where the results go (default bench/decoder_results.json for a full run, "
                    "build/decoder_results.json otherwise)")
    ap.add_argument("--worker", nargs=3, metavar=("MODEL_DIR", "TOKENS", "REPEATS"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(args.worker[0], int(args.worker[1]), int(args.worker[2]), int(os.environ.get("BENCH_THREADS", THREADS)))
        return

    tokens = [int(t) for t in args.tokens.split(",") if t.strip()]
    env = dict(os.environ, BENCH_THREADS=str(THREADS), OMP_NUM_THREADS=str(THREADS), OPENBLAS_NUM_THREADS=str(THREADS),
               MKL_NUM_THREADS=str(THREADS), ATTNLAB_NUM_THREADS=str(THREADS), HF_HUB_OFFLINE="1",
               TRANSFORMERS_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    model_dir = pathlib.Path(args.model)
    subprocess.run([sys.executable, str(ROOT / "tools" / "make_decoder_bench_model.py"), str(model_dir)], check=True, env=env)
    have_driver = pathlib.Path(args.driver).exists()
    if not have_driver:
        print(f"note: attnlab's driver {args.driver} is missing (build it: cmake --build build --target "
              "attnlab_decoder_bench); timing transformers alone", file=sys.stderr)
    full = (tokens == list(DEFAULT_TOKENS) and args.rounds == DEFAULT_ROUNDS and args.repeats == DEFAULT_REPEATS
            and have_driver)
    json_path = pathlib.Path(args.json) if args.json else ROOT / ("bench/decoder_results.json" if full
                                                                  else "build/decoder_results.json")
    machine = machine_limits(args.machine_bench, env)
    s = shape_of(model_dir)
    wbytes = safetensors_bytes(model_dir)
    results = {"model": str(model_dir.relative_to(ROOT)) if model_dir.is_relative_to(ROOT) else str(model_dir),
               "shape": s, "weights_bytes": wbytes, "threads": THREADS, "rounds": args.rounds, "machine": machine,
               "load_average_before": os.getloadavg(), "rows": []}
    peer = None
    for n in tokens:
        reps = passes(n, args.repeats)
        ours, theirs, disturbed = [], [], []
        a_out = None
        for r in range(args.rounds):
            before = cpu_snapshot()
            if have_driver:
                print(f"{n} tokens: round {r + 1}/{args.rounds}, attnlab", file=sys.stderr, flush=True)
                a_out = run_json([args.driver, "--model", str(model_dir), "--tokens", str(n), "--rounds", str(reps),
                                  "--threads", str(THREADS)], env)
                ours.append(a_out["seconds"])
            print(f"{n} tokens: round {r + 1}/{args.rounds}, transformers", file=sys.stderr, flush=True)
            peer = run_json([sys.executable, str(pathlib.Path(__file__).resolve()), "--worker", str(model_dir), str(n),
                             str(reps)], env)
            theirs.append(peer["seconds"])
            disturbed.append(other_work(before, cpu_snapshot()))
            if disturbed[-1] is not None and disturbed[-1] > DISTURBED:
                print(f"warning: {disturbed[-1]:.0%} of the CPUs busy with other work during this round; "
                      "its timings are not the machine's", file=sys.stderr)
        a_med = statistics.median(x for rnd in ours for x in rnd) if ours else None
        t_med = statistics.median(x for rnd in theirs for x in rnd)
        ratios = [statistics.median(t) / statistics.median(a) for a, t in zip(ours, theirs)]
        flops, linear_flops, attn_flops = forward_flops(s, n)
        moved = wbytes + attention_bytes(s, n)
        row = {"tokens": n, "passes_per_round": reps, "attnlab_s": ours, "transformers_s": theirs,
               "attnlab_median_s": a_med, "transformers_median_s": t_med, "speedup_per_round": ratios,
               "speedup_median": statistics.median(ratios) if ratios else None,
               "speedup_range": [min(ratios), max(ratios)] if ratios else None, "target": TARGETS.get(n),
               "other_work_per_round": disturbed,
               "bytes_moved": moved, "attention_bytes": attention_bytes(s, n), "flops": flops,
               "linear_flops": linear_flops, "attention_flops": attn_flops,
               "dram_floor_s": moved / (machine["read_bandwidth_gbs"] * 1e9) if machine else None,
               "compute_floor_s": flops / (machine["fma_peak_best_gflops"] * 1e9) if machine else None,
               "attnlab_load_s": a_out["load_seconds"] if a_out else None, "transformers_load_s": peer["load_seconds"]}
        row["check_note"], row["check"] = compare(a_out, peer, s, n)
        results["rows"].append(row)
    results["load_average_after"] = os.getloadavg()
    if peer:
        results["torch"], results["transformers"] = peer["torch"], peer["transformers"]
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(results, indent=1) + "\n")

    if machine:
        print(f"machine: {machine['read_bandwidth_gbs']:.1f} GB/s read bandwidth; FMA ceiling "
              f"{machine['fma_peak_gflops']:.0f} GFLOP/s at 256 bits, {machine.get('fma_peak_gflops_512', 0):.0f} at 512 "
              f"(0: no AVX-512); peak GEMM {machine['gemm_peak_gflops']:.0f} GFLOP/s; isa {machine.get('isa', '?')}")
    print(f"{results['model']}: {s['layers']} layers, hidden {s['hidden']}, {s['heads']} heads / {s['kv_heads']} kv, "
          f"MLP {s['intermediate']}, vocab {s['vocab']}; weights {wbytes / 1e6:.0f} MB f32; {THREADS} threads; "
          f"torch {results.get('torch', '?')}, transformers {results.get('transformers', '?')}; load average "
          f"{results['load_average_before'][0]:.1f} before, {results['load_average_after'][0]:.1f} after; "
          f"{args.rounds} rounds; CPUs busy with other work during a round: at most "
          f"{max((b for row in results['rows'] for b in row['other_work_per_round'] if b is not None), default=0):.0%}")
    print("| tokens | attnlab (median) | transformers eager (median) | speed-up median [range] | target | "
          "DRAM floor | compute floor | check (disturbed round: % of CPUs busy with other work) |")
    print("|---|---|---|---|---|---|---|---|")
    for row in results["rows"]:
        a, t = row["attnlab_median_s"], row["transformers_median_s"]
        if row["speedup_median"] is not None:
            lo, hi = row["speedup_range"]
            speed = f"{row['speedup_median']:.2f}x [{lo:.2f}, {hi:.2f}]"
        else:
            speed = "-"
        target = "-"
        if row["target"]:
            target = f">= {row['target']:g}x"
            if row["speedup_median"] is not None:
                target += " met" if lo >= row["target"] else (" met (median)" if row["speedup_median"] >= row["target"]
                                                               else " MISSED")

        def floor(v):
            if v is None:
                return "-"
            mult = f"attnlab {a / v:.1f}x" if a else f"transformers {t / v:.1f}x"
            return f"{fmt_s(v)} ({mult})"
        noisy = [f"{i + 1} ({b:.0%})" for i, b in enumerate(row["other_work_per_round"]) if b is not None and b > DISTURBED]
        check = row["check_note"] + (f"; disturbed round {', '.join(noisy)}" if noisy else "")
        print(f"| {row['tokens']} | {fmt_s(a)} | {fmt_s(t)} | {speed} | {target} | {floor(row['dram_floor_s'])} | "
              f"{floor(row['compute_floor_s'])} | {check} |")
    print(f"wrote {json_path}")


if __name__ == "__main__":
    main()

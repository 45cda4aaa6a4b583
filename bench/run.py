#!/usr/bin/env python3
"""Side-by-side benchmark: attnlab vs its peers, every one returning every attention matrix:
  transformers  PyTorch + transformers, BertModel with eager attention, output_attentions=True
  ORT           ONNX Runtime on the model exported by tools/onnx_export.py (TorchScript, opset 17, one
                output per layer's attention probabilities)
  ORT+opt       that graph after ORT's transformer optimizer, attention fusion off (SkipLayerNorm and
                BiasGelu fused)
Both ONNX graphs are checked against transformers (max attention difference 1e-5) before any timing;
the run stops if either misses. Exports are cached in build/onnx/<model>/.

Same machine, same run, same inputs file, same thread count (2; ORT: 2 intra-op threads, 1 inter-op,
sequential execution); the sides alternate for --rounds rounds (attnlab, transformers, ORT, ORT+opt,
attnlab, ...) and each keeps its better round per measure. Prints one table with the ratios
("vs transformers" = transformers time / attnlab time, "attnlab vs best ORT" = the faster ORT
variant's time / attnlab time; above 1x attnlab is faster) and the machine's limits, and writes
bench/results.json (a run narrowed by --models, --measures or --sides writes build/bench_results.json
unless --json says where). Run with `make bench` (it builds attnlab, makes the bert-base-sized random
model and the tools/.venv reference environment when missing).

Measures (--measures):
  latency  one forward pass returning all attentions: the notebook's sentence (9 tokens), 128 and 512
           tokens; attnlab's --bf16 pass at 9 tokens too
  corpus   1,000 sentences of mixed length, tokenizing included: attnlab in packed batches of 32
           (no padding), transformers in batches of 32 padded as a user would, ORT at batch 1 and in
           batches of 32 padded
  cold     attnlab and transformers: process start to the [CLS] attention printed, weights in the page
           cache; peak resident set of each process
  outputs  attnlab only: every attention of a 512-token pass out of the CLI, `attention --all --json`
           to /dev/null and `--output x.npz` (on /dev/shm), wall time and peak RSS, each against the
           forward pass alone (the 512-token latency of the same run) and the plain command
Floors (latency notes): DRAM floor = bytes of weights a pass must read / measured read bandwidth;
compute floor = FLOPs / measured peak GEMM rate (the better of OpenBLAS sgemm and attnlab's packed
kernel on a bert-base-sized product); the FMA ceiling (a register-only loop) is printed too.

Inputs are made from a seeded generator over the sorted vocabulary, so every run times the same texts;
build/bench_inputs-<model>.json holds them and the table header prints each file's sha256.

Examples:
  bench/run.py                                          everything (what `make bench` runs)
  bench/run.py --models minilm --measures latency       MiniLM's latency rows, all four sides
  bench/run.py --models bert-base --sides attnlab,ort-opt --rounds 1 --repeats 5
  bench/run.py --inputs-only                            write the inputs files, print their sha256, stop
"""
import argparse
import hashlib
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
MODELS = {"bert-base": "models/bench-bert-base", "minilm": "models/all-MiniLM-L6-v2"}
SIDES = ("attnlab", "transformers", "ort", "ort-opt")
MEASURES = ("latency", "corpus", "cold", "outputs")

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


def vocabulary_words(tok):
    """The vocabulary's whole ASCII words of 3+ letters, sorted: iterating tok.vocab follows the
    tokenizer's hash map, whose order changes from process to process."""
    return sorted(w for w in tok.get_vocab() if w.isascii() and w.isalpha() and len(w) > 2)


def text_of_tokens(model_dir, n):
    """A text of whole-word vocabulary entries that tokenizes to exactly n tokens ([CLS] ... [SEP])."""
    from transformers import AutoTokenizer
    tok = AutoTokenizer.from_pretrained(str(model_dir))
    rng = random.Random(11)
    words = vocabulary_words(tok)
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
    """Writes the run's inputs to path: token ids for the latency passes, sentences for the corpus.

    The same file, byte for byte, in every run: a seeded generator over the sorted vocabulary.
    """
    from transformers import AutoTokenizer
    tok = AutoTokenizer.from_pretrained(str(model_dir))
    rng = random.Random(7)
    words = vocabulary_words(tok)
    vocab = tok.get_vocab()

    def ids_of_length(n):
        body = [vocab[rng.choice(words)] for _ in range(n - 2)]
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


def sha256(path):
    return hashlib.sha256(pathlib.Path(path).read_bytes()).hexdigest()


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
    for name, run in new["corpus"].items():
        if run["sentences_per_second"] > best["corpus"][name]["sentences_per_second"]:
            best["corpus"][name] = run
    if "bf16" in new and new["bf16"]["median_ms"] < best["bf16"]["median_ms"]:
        best["bf16"] = new["bf16"]
    return best


def comma_list(allowed):
    """An argparse type: a comma-separated subset of allowed, in the order given."""
    def parse(value):
        items = [v.strip() for v in value.split(",") if v.strip()]
        bad = [v for v in items if v not in allowed]
        if bad or not items:
            raise argparse.ArgumentTypeError(f"{value!r}: choose from {', '.join(allowed)}")
        return items
    return parse


def model_path(name):
    return ROOT / MODELS.get(name, name)


def model_label(name):
    """The model's directory as the table and results.json name it: relative to the repository when inside."""
    path = model_path(name)
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def fmt_ms(lat):
    return f"{lat['median_ms']:.2f} ms" if lat else "-"


def ratio(peer, ours):
    """peer / ours as 'N.NNx' (above 1x attnlab is faster), '-' when either side was not run."""
    return f"{peer / ours:.2f}x" if peer and ours else "-"


def latency_of(side, name):
    return side["latency"].get(name) if side else None


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--attnlab-bench", default=str(ROOT / "build" / "bench" / "attnlab_bench"),
                    help="attnlab's side (default build/bench/attnlab_bench)")
    ap.add_argument("--attnlab", default=str(ROOT / "build" / "attnlab"),
                    help="the CLI, for the cold-start and outputs rows (default build/attnlab)")
    ap.add_argument("--repeats", type=int, default=20, help="latency passes per input and round (a quarter above "
                    "256 tokens, at least 3); default 20")
    ap.add_argument("--rounds", type=int, default=2, help="alternating rounds per side; each keeps its best (default 2)")
    ap.add_argument("--models", nargs="+", default=list(MODELS), metavar="MODEL",
                    help=f"{' or '.join(MODELS)} ({', '.join(MODELS.values())}) or a model directory; default both")
    ap.add_argument("--measures", type=comma_list(MEASURES), default=list(MEASURES),
                    help=f"comma-separated subset of {','.join(MEASURES)}; default all")
    ap.add_argument("--sides", type=comma_list(SIDES), default=list(SIDES),
                    help=f"comma-separated subset of {','.join(SIDES)}; default all")
    ap.add_argument("--json", help="where the results go (default: bench/results.json for a full run, "
                    "build/bench_results.json for one narrowed by --models, --measures or --sides)")
    ap.add_argument("--inputs-only", action="store_true",
                    help="write each model's inputs file, print its path and sha256, and stop")
    args = ap.parse_args()
    env = dict(os.environ, BENCH_THREADS=str(THREADS), OMP_NUM_THREADS=str(THREADS),
               OPENBLAS_NUM_THREADS=str(THREADS), ATTNLAB_NUM_THREADS=str(THREADS), HF_HUB_OFFLINE="1",
               TOKENIZERS_PARALLELISM="false")
    full = (args.models == list(MODELS) and args.measures == list(MEASURES) and args.sides == list(SIDES))
    json_path = pathlib.Path(args.json) if args.json else ROOT / ("bench/results.json" if full else "build/bench_results.json")
    sides, measures = args.sides, args.measures
    (ROOT / "build").mkdir(exist_ok=True)

    inputs_paths = {m: ROOT / "build" / f"bench_inputs-{model_path(m).name}.json" for m in args.models}
    inputs = {m: make_inputs(model_path(m), inputs_paths[m]) for m in args.models}
    if args.inputs_only:
        for m, path in inputs_paths.items():
            print(f"{sha256(path)}  {path}")
        return

    # Both ONNX graphs of every model are exported (or found current) and checked against transformers
    # before anything is timed; prepare() exits on a graph that misses.
    onnx = {}
    if "ort" in sides or "ort-opt" in sides:
        sys.path.insert(0, str(ROOT / "tools"))
        import onnx_export
        onnx = {m: onnx_export.prepare(model_path(m)) for m in args.models}

    machine_out, _ = peak_rss_mb([args.attnlab_bench, "--machine", "--threads", str(THREADS)], env)
    machine = json.loads(machine_out)
    results = {"machine": machine, "threads": THREADS, "load_average_before": os.getloadavg(), "models": {}}
    rows = []
    for m in args.models:
        model_dir = model_path(m)
        # Without the corpus measure every side gets the latency inputs alone (attnlab_bench always runs
        # both parts); the file with the corpus is still the one whose hash is printed.
        run_inputs = inputs_paths[m]
        if "corpus" not in measures:
            run_inputs = run_inputs.with_name(run_inputs.stem + "-latency.json")
            run_inputs.write_text(json.dumps({"latency": inputs[m]["latency"], "corpus": []}))
        onnx_paths = {v: d["path"] for v, d in onnx[m]["variants"].items()} if m in onnx else {}

        def peer_cmd(side):
            worker = [sys.executable, str(ROOT / "bench" / "peer_worker.py")]
            if side == "transformers":
                return worker + ["transformers", str(model_dir), str(run_inputs), "--batches", "32"]
            return worker + ["ort", str(model_dir), str(run_inputs), "--onnx", onnx_paths[side], "--batches", "1,32"]
        peer_measures = ",".join(x for x in measures if x in ("latency", "corpus"))
        # The sides alternate (attnlab, transformers, ORT, ORT+opt, attnlab, ...) and each keeps its better
        # round: on a shared machine a slow spell then hits every side alike instead of one.
        best = dict.fromkeys(sides)
        rss = dict.fromkeys(sides, 0.0)
        timed_measures = [x for x in measures if x in ("latency", "corpus", "outputs")]
        for i in range(args.rounds if timed_measures else 0):
            for side in sides:
                print(f"{model_label(m)}: round {i + 1}/{args.rounds}, {side}", file=sys.stderr, flush=True)
                if side == "attnlab":
                    out, r = peak_rss_mb([args.attnlab_bench, "--model", str(model_dir), "--inputs", str(run_inputs),
                                          "--threads", str(THREADS), "--repeats", str(args.repeats)], env)
                    res = json.loads(out)
                    res["corpus"] = {"packed batch 32": res["corpus"]} if "corpus" in measures else {}
                elif peer_measures:
                    out, r = peak_rss_mb(peer_cmd(side) + ["--repeats", str(args.repeats), "--measures", peer_measures], env)
                    res = json.loads(out)
                else:
                    continue
                best[side], rss[side] = better_round(best[side], res), max(rss[side], r)
        ours = best.get("attnlab")
        ort_sides = [s for s in ("ort", "ort-opt") if best.get(s)]
        model_res = {"inputs": {"path": str(inputs_paths[m].relative_to(ROOT)), "sha256": sha256(inputs_paths[m])},
                     "sides": {s: best[s] for s in sides if best[s]},
                     "peak_rss_mb": {"bench_process": {s: rss[s] for s in sides if best[s]}},
                     "weights_file_mb": (model_dir / "model.safetensors").stat().st_size / 1e6}
        if onnx.get(m):
            model_res["onnx_check"] = {v: {k: d[k] for k in ("max_attention_diff", "max_hidden_diff", "worst_input")}
                                       for v, d in onnx[m]["variants"].items()}
        results["models"][model_label(m)] = model_res
        vs_ort = model_res["attnlab_vs_best_ort"] = {}

        def add(measure, cells, vs_tr, vs_best_ort, notes):
            rows.append((model_label(m), measure, cells.get("attnlab", "-"), cells.get("transformers", "-"), cells.get("ort", "-"),
                         cells.get("ort-opt", "-"), vs_tr, vs_best_ort, notes))

        if "latency" in measures:
            wbytes = encoder_weight_bytes(model_dir)
            for name, ids in inputs[m]["latency"].items():
                lat = {s: latency_of(best[s], name) for s in sides}
                a = lat.get("attnlab")
                a_ms = a["median_ms"] if a else None
                best_ort = min((lat[s]["median_ms"] for s in ort_sides if lat.get(s)), default=None)
                vs_ort[name] = best_ort / a_ms if best_ort and a_ms else None
                notes = ""
                if a_ms:
                    dram_ms = wbytes / (machine["read_bandwidth_gbs"] * 1e9) * 1e3
                    comp_ms = forward_flops(model_dir, len(ids)) / (machine["gemm_peak_gflops"] * 1e9) * 1e3
                    notes = f"DRAM {dram_ms:.2f} ms ({a_ms / dram_ms:.2f}x), compute {comp_ms:.2f} ms ({a_ms / comp_ms:.2f}x)"
                add(f"latency {name}", {s: fmt_ms(lat[s]) for s in sides},
                    ratio(lat.get("transformers") and lat["transformers"]["median_ms"], a_ms), ratio(best_ort, a_ms), notes)
            if ours:
                bf = ours["bf16"]
                peer_fp32 = {s: latency_of(best[s], bf["input"]) for s in sides if s != "attnlab"}
                best_ort = min((peer_fp32[s]["median_ms"] for s in ort_sides if peer_fp32.get(s)), default=None)
                add(f"latency {bf['input']}, --bf16", {"attnlab": f"{bf['median_ms']:.2f} ms",
                                                      **{s: fmt_ms(v) for s, v in peer_fp32.items()}},
                    ratio(peer_fp32.get("transformers") and peer_fp32["transformers"]["median_ms"], bf["median_ms"]),
                    ratio(best_ort, bf["median_ms"]),
                    f"peers fp32; max attention error vs fp32 {bf['max_attention_error_vs_fp32']:.1e}")
        if "corpus" in measures:
            def rate(side, batch):
                run = best[side]["corpus"].get(batch) if best.get(side) else None
                return run["sentences_per_second"] if run else None
            a = rate("attnlab", "packed batch 32")
            tr = rate("transformers", "batch 32")
            cells = {"attnlab": f"{a:.1f} sent/s" if a else "-", "transformers": f"{tr:.1f} sent/s" if tr else "-"}
            for s in ort_sides:
                cells[s] = f"b1 {rate(s, 'batch 1'):.1f}, b32 {rate(s, 'batch 32'):.1f} sent/s"
            best_ort = max((rate(s, b) for s in ort_sides for b in ("batch 1", "batch 32")), default=None)
            vs_ort["corpus"] = a / best_ort if a and best_ort else None
            # Rates: attnlab / peer, the same ratio as peer time / attnlab time.
            add(f"throughput, {len(inputs[m]['corpus'])} sentences", cells, ratio(a, tr), ratio(a, best_ort),
                "attnlab: packed batches of 32; transformers: batch 32 padded; ORT: batch 1 (b1) and batch 32 padded (b32)")
        if "cold" in measures and ("attnlab" in sides or "transformers" in sides):
            # Cold start: process start to the [CLS] attention printed (median of 3, page cache warm).
            cold, peak = {}, {}
            if "attnlab" in sides:
                cmd = [args.attnlab, "attention", "--model", str(model_dir), NOTEBOOK]
                cold["attnlab"] = statistics.median(run_measured(cmd, env)[1] for _ in range(3))
                _, peak["attnlab"] = peak_rss_mb(cmd, env)
            if "transformers" in sides:
                cmd = [sys.executable, "-c", REFERENCE_COLD, str(model_dir), str(THREADS)]
                cold["transformers"] = statistics.median(run_measured(cmd, env)[1] for _ in range(3))
                if rss["transformers"]:
                    peak["transformers"] = rss["transformers"]  # its benchmark process's, as before the ORT columns
            size_mb = model_res["weights_file_mb"]
            model_res["cold_start_s"] = cold
            if "attnlab" in peak:
                model_res["peak_rss_mb"]["attnlab_attention_command"] = peak["attnlab"]
            add("cold start to [CLS] row", {s: f"{v * 1e3:.0f} ms" for s, v in cold.items()},
                ratio(cold.get("transformers"), cold.get("attnlab")), "-", "page cache warm")
            add("peak RSS (attention cmd)", {s: f"{v:.0f} MB" for s, v in peak.items()},
                ratio(peak.get("transformers"), peak.get("attnlab")), "-",
                f"transformers: its benchmark process; weights file {size_mb:.0f} MB"
                + (f"; attnlab/file = {peak['attnlab'] / size_mb:.2f}" if "attnlab" in peak else ""))
        if "outputs" in measures and ours:
            outputs = output_rows(args.attnlab, model_dir, ours["latency"]["512 tokens"]["median_ms"],
                                  (model_dir / "model.safetensors").stat().st_size / 2**20, env)
            for measure, cell, _, fwd_ratio, notes in outputs:
                add(measure, {"attnlab": cell}, "-", "-", f"{fwd_ratio}; {notes}")
            model_res["outputs"] = [dict(zip(("measure", "attnlab", "reference", "ratio", "notes"), r)) for r in outputs]
    results["load_average_after"] = os.getloadavg()
    json_path.write_text(json.dumps(results, indent=1) + "\n")
    print(f"machine: {machine['read_bandwidth_gbs']:.1f} GB/s read bandwidth; peak GEMM {machine['gemm_peak_gflops']:.0f} "
          f"GFLOP/s (best of OpenBLAS sgemm {machine['openblas_sgemm_gflops']:.0f} and attnlab's kernel "
          f"{machine['attnlab_gemm_gflops']:.0f} at 512x768x3072); FMA ceiling {machine['fma_peak_gflops']:.0f} GFLOP/s at 256 bits, "
          f"{machine.get('fma_peak_gflops_512', 0):.0f} at 512 (0: no AVX-512); "
          f"{THREADS} threads; load average {results['load_average_before'][0]:.1f} before, "
          f"{results['load_average_after'][0]:.1f} after; {args.rounds} rounds, {args.repeats} repeats")
    for m in args.models:
        r = results["models"][model_label(m)]
        line = f"{model_label(m)}: inputs {r['inputs']['path']} sha256 {r['inputs']['sha256'][:16]}"
        for v, d in r.get("onnx_check", {}).items():
            line += f"; {v} max attention diff vs transformers {d['max_attention_diff']:.1e}"
        print(line)
    header = ("model", "measure", "attnlab", "transformers", "ORT", "ORT+opt", "vs transformers", "attnlab vs best ORT",
              "notes")
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    print("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths)) + " |")
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print("| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths)) + " |")
    print(f"wrote {json_path}")


if __name__ == "__main__":
    main()

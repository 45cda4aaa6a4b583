#!/usr/bin/env python3
"""The Python package's speed (issue 15), side by side with PyTorch + transformers in the same run.

1. Cold start, each in a fresh interpreter (the same process kind on both sides): `import attnlab` +
   `attnlab.Model(dir)` + the first attention, against `import transformers` + `from_pretrained(dir)` +
   the first `model(..., output_attentions=True)`. Timed inside the process (from the first import) and
   from outside (interpreter start to exit).
2. Per-call latency at 9 tokens ("The cat sat on the mat."): `m(text)` from Python, against the same call
   in C++ through the API the CLI uses (`Engine::run(text)`: tokenize, forward pass, every attention kept;
   bench/engine_call_bench.cpp, same threads), and transformers'. The two attnlab sides alternate for
   --rounds rounds and each keeps its best median; the binding's overhead is the difference. The C++
   forward pass alone on token ids (bench/attnlab_bench) is shown too.

Run with the PyTorch venv (tools/.venv/bin/python); --attnlab-python is an interpreter with attnlab
installed (the test venv, .venv-test, after `pip install .`). Prints a table and writes JSON (--out).
"""
import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
TEXT = "The cat sat on the mat."
THREADS = 2

ATTNLAB_COLD = """
import sys, time
t0 = time.perf_counter()
import attnlab
t_import = time.perf_counter()
m = attnlab.Model(sys.argv[1], threads=int(sys.argv[3]))
t_load = time.perf_counter()
a = m(sys.argv[2]).attentions
t_first = time.perf_counter()
assert a.shape[2] == 9
print(t_import - t0, t_load - t_import, t_first - t_load)
"""

TRANSFORMERS_COLD = """
import sys, time
t0 = time.perf_counter()
import torch, transformers
from transformers import AutoModel, AutoTokenizer
t_import = time.perf_counter()
torch.set_num_threads(int(sys.argv[3]))
tok = AutoTokenizer.from_pretrained(sys.argv[1])
model = AutoModel.from_pretrained(sys.argv[1], attn_implementation="eager").eval()
t_load = time.perf_counter()
with torch.no_grad():
    a = model(**tok(sys.argv[2], return_tensors="pt"), output_attentions=True).attentions
t_first = time.perf_counter()
assert a[0].shape[-1] == 9
print(t_import - t0, t_load - t_import, t_first - t_load)
"""

ATTNLAB_LATENCY = """
import sys, time, json
import attnlab
m = attnlab.Model(sys.argv[1], threads=int(sys.argv[3]))
text, reps = sys.argv[2], int(sys.argv[4])
for _ in range(20):
    m(text).attentions
times = []
for _ in range(reps):
    t0 = time.perf_counter()
    a = m(text).attentions
    times.append(time.perf_counter() - t0)
times.sort()
print(json.dumps({"median_ms": times[len(times) // 2] * 1e3, "min_ms": times[0] * 1e3}))
"""

TRANSFORMERS_LATENCY = """
import sys, time, json
import torch
from transformers import AutoModel, AutoTokenizer
torch.set_num_threads(int(sys.argv[3]))
tok = AutoTokenizer.from_pretrained(sys.argv[1])
model = AutoModel.from_pretrained(sys.argv[1], attn_implementation="eager").eval()
text, reps = sys.argv[2], int(sys.argv[4])
times = []
with torch.no_grad():
    for i in range(reps + 20):
        t0 = time.perf_counter()
        a = model(**tok(text, return_tensors="pt"), output_attentions=True).attentions
        if i >= 20:
            times.append(time.perf_counter() - t0)
times.sort()
print(json.dumps({"median_ms": times[len(times) // 2] * 1e3, "min_ms": times[0] * 1e3}))
"""


def run(cmd, env):
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True)
    return proc.stdout.strip().splitlines()[-1], time.perf_counter() - t0


def cold(python, script, model_dir, env, rounds):
    inside, outside = [], []
    for _ in range(rounds):
        line, wall = run([python, "-c", script, str(model_dir), TEXT, str(THREADS)], env)
        inside.append([float(x) for x in line.split()])
        outside.append(wall)
    imp, load, first = (statistics.median(x[i] for x in inside) for i in range(3))
    return {"import_s": imp, "load_s": load, "first_attention_s": first, "in_process_s": imp + load + first,
            "process_wall_s": statistics.median(outside)}


def cpp_latency(bench, model_dir, env, reps):
    import transformers  # tools/.venv: the same token ids as the Python side's tokenizer gives

    ids = transformers.AutoTokenizer.from_pretrained(str(model_dir))(TEXT)["input_ids"]
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump({"latency": {"notebook": ids}, "corpus": []}, f)
    try:
        line = subprocess.run([bench, "--model", str(model_dir), "--inputs", f.name, "--threads", str(THREADS),
                               "--repeats", str(reps)], capture_output=True, text=True, env=env, check=True).stdout
    finally:
        os.unlink(f.name)
    return json.loads(line)["latency"]["notebook"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--attnlab-python", default=str(ROOT / ".venv-test" / "bin" / "python"))
    ap.add_argument("--attnlab-bench", default=str(ROOT / "build" / "bench" / "attnlab_bench"))
    ap.add_argument("--engine-call-bench", default=str(ROOT / "build" / "bench" / "attnlab_engine_call_bench"))
    ap.add_argument("--models", nargs="+", default=[str(ROOT / "models" / "all-MiniLM-L6-v2"),
                                                   str(ROOT / "models" / "bench-bert-base")])
    ap.add_argument("--rounds", type=int, default=3, help="cold starts per side, and alternating latency rounds")
    ap.add_argument("--repeats", type=int, default=300, help="timed calls per latency measurement")
    ap.add_argument("--out", default=str(ROOT / "build-py" / "python_bench.json"))
    args = ap.parse_args()
    env = dict(os.environ, OMP_NUM_THREADS=str(THREADS), ATTNLAB_NUM_THREADS=str(THREADS),
               TOKENIZERS_PARALLELISM="false")
    results = {"threads": THREADS, "text": TEXT, "models": {}}
    for model_dir in map(pathlib.Path, args.models):
        if not (model_dir / "model.safetensors").exists():
            print(f"skipping {model_dir}: no model.safetensors", file=sys.stderr)
            continue
        r = {}
        # Alternate the sides so that a change in machine load touches both.
        r["cold_attnlab"] = cold(args.attnlab_python, ATTNLAB_COLD, model_dir, env, args.rounds)
        r["cold_transformers"] = cold(sys.executable, TRANSFORMERS_COLD, model_dir, env, args.rounds)
        python_calls, engine_calls = [], []
        for _ in range(args.rounds):
            python_calls.append(json.loads(run([args.attnlab_python, "-c", ATTNLAB_LATENCY, str(model_dir), TEXT,
                                                str(THREADS), str(args.repeats)], env)[0]))
            engine_calls.append(json.loads(run([args.engine_call_bench, "--model", str(model_dir), "--text", TEXT,
                                                "--threads", str(THREADS), "--repeats", str(args.repeats)], env)[0]))
        r["python_call"] = min(python_calls, key=lambda c: c["median_ms"])
        r["engine_call"] = min(engine_calls, key=lambda c: c["median_ms"])
        r["cpp_forward"] = cpp_latency(args.attnlab_bench, model_dir, env, args.repeats)
        r["transformers_call"] = json.loads(run([sys.executable, "-c", TRANSFORMERS_LATENCY, str(model_dir), TEXT,
                                                 str(THREADS), str(args.repeats)], env)[0])
        r["binding_overhead"] = r["python_call"]["median_ms"] / r["engine_call"]["median_ms"] - 1
        results["models"][model_dir.name] = r

    print(f"{'model':<20} {'side':<14} {'import s':>9} {'load s':>8} {'first s':>8} {'in-proc s':>10} "
          f"{'process s':>10} {'9-token call ms':>16}")
    for name, r in results["models"].items():
        for side, c, call in (("attnlab", r["cold_attnlab"], r["python_call"]),
                              ("transformers", r["cold_transformers"], r["transformers_call"])):
            print(f"{name:<20} {side:<14} {c['import_s']:>9.3f} {c['load_s']:>8.3f} {c['first_attention_s']:>8.3f} "
                  f"{c['in_process_s']:>10.3f} {c['process_wall_s']:>10.3f} {call['median_ms']:>16.3f}")
        print(f"{name:<20} {'C++ run(text)':<14} {'':>9} {'':>8} {'':>8} {'':>10} {'':>10} "
              f"{r['engine_call']['median_ms']:>16.3f}   binding overhead {100 * r['binding_overhead']:+.1f}%")
        print(f"{name:<20} {'C++ forward':<14} {'':>9} {'':>8} {'':>8} {'':>10} {'':>10} "
              f"{r['cpp_forward']['median_ms']:>16.3f}   (token ids in, no tokenizer, no Result)")
    pathlib.Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    pathlib.Path(args.out).write_text(json.dumps(results, indent=1) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""`attnlab serve` under load, side by side with what a user would write instead, same run, same clients.

For MiniLM and the bert-base-sized model: a 12-token sentence, every attention, POST /api/attention with
1 and 16 concurrent keep-alive clients; requests per second and p50/p99 latency, for two workloads: the
same sentence in every request (after the first, attnlab answers from its response cache, as it does
for a class opening one shared link) and distinct 12-token sentences (the last word varied: every request
a forward pass); against
  - the bare forward pass in a loop: the Python package's `attnlab.Model(...)(text)` (.venv-test), what
    a notebook user runs, and the C++ engine's Engine::run(text) (bench/engine_call_bench.cpp), the
    stricter one; the targets are judged against the stricter, and
  - a FastAPI + uvicorn endpoint around transformers (eager, output_attentions=True) answering the same
    request with the same JSON keys (tools/.venv), same clients.
Targets (issue 14): p50 under 2x the bare pass, p99 under 5x at 16 clients, throughput at 16 clients at
least 90% of the bare loop. Each run sends --requests requests (MiniLM; a quarter for bert-base): enough
that the 16 clients' start and finish (a few passes each) do not set the rate. Writes
bench/serve_results.json.

Run: tools/.venv/bin/python bench/serve_bench.py --attnlab build/attnlab --package-python .venv-test/bin/python
"""
import argparse
import http.client
import json
import pathlib
import re
import socket
import statistics
import subprocess
import sys
import threading
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
TEXT = "The quick brown fox jumps over the lazy dog near the river."  # 12 word pieces + 2 specials
MODELS = {"MiniLM": ROOT / "models" / "all-MiniLM-L6-v2", "bert-base-sized": ROOT / "models" / "bench-bert-base"}

FASTAPI_APP = r'''
import sys, torch
from fastapi import FastAPI, Request
from fastapi.responses import Response
import json, uvicorn
from transformers import AutoModel, AutoTokenizer
torch.set_num_threads(2)
tok = AutoTokenizer.from_pretrained(sys.argv[1])
model = AutoModel.from_pretrained(sys.argv[1], attn_implementation="eager").eval()
app = FastAPI()
@app.post("/api/attention")
async def attention(request: Request):
    body = await request.json()
    enc = tok(body["text"], return_tensors="pt")
    with torch.inference_mode():
        out = model(**enc, output_attentions=True)
    att = torch.stack(out.attentions)[:, 0]
    return Response(json.dumps({"tokens": tok.convert_ids_to_tokens(enc["input_ids"][0]),
                                "attentions": att.tolist()}), media_type="application/json")
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="warning")
'''

BARE_LOOP = r'''
import sys, time, attnlab
m = attnlab.Model(sys.argv[1], threads=2)
for _ in range(5): m(sys.argv[2])
n = int(sys.argv[3]); t = time.perf_counter()
for _ in range(n): m(sys.argv[2])
print((time.perf_counter() - t) / n)
'''


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_up(port, proc, timeout=180):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("server exited")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("server did not start")


def distinct_texts(model, count):
    """`count` variants of TEXT with its last word replaced by a whole-word vocabulary entry (one word piece,
    so every variant is 12 tokens too), the same ones in every run (the vocabulary file's order)."""
    words = [w for w in (model / "vocab.txt").read_text(encoding="utf-8").split("\n")
             if w.isascii() and w.isalpha() and w.islower() and 4 <= len(w) <= 8]
    step = max(1, len(words) // count)
    return [TEXT.replace("river", w) for w in words[::step][:count]]


def load(port, clients, per_client, texts):
    """`clients` threads, each with one keep-alive connection, `per_client` requests (client k's j-th request
    sends texts[(k * per_client + j) % len(texts)]); returns latencies, wall, errors."""
    latencies, errors = [], []
    lock = threading.Lock()

    def client(k):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        for j in range(per_client):
            body = json.dumps({"text": texts[(k * per_client + j) % len(texts)]})
            t = time.perf_counter()
            conn.request("POST", "/api/attention", body, {"Content-Type": "application/json"})
            res = conn.getresponse()
            res.read()
            with lock:
                latencies.append(time.perf_counter() - t)
                if res.status != 200:
                    errors.append(res.status)
        conn.close()

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, time.perf_counter() - t0, errors


def summary(latencies, wall):
    lat = sorted(latencies)
    return {"rps": len(lat) / wall, "p50_ms": 1e3 * lat[len(lat) // 2],
            "p99_ms": 1e3 * lat[min(len(lat) - 1, int(len(lat) * 0.99))]}


def measure_server(cmd, port, requests, distinct):
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_up(port, proc)
        load(port, 1, 5, [TEXT])  # warm-up
        out = {}
        for workload, texts in (("", [TEXT]), (", distinct texts", distinct)):
            for run, clients in enumerate((1, 16)):
                per = max(1, requests // clients)
                # Distinct texts: each run its own, never sent before (no answer of an earlier run kept).
                run_texts = texts if len(texts) == 1 else texts[run * requests:(run + 1) * requests]
                lat, wall, errors = load(port, clients, per, run_texts)
                out[f"{clients} clients{workload}"] = summary(lat, wall) | {"errors": len(errors)}
        return out
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--attnlab", default=str(ROOT / "build" / "attnlab"))
    ap.add_argument("--package-python", default=str(ROOT / ".venv-test" / "bin" / "python"))
    ap.add_argument("--engine-call-bench", default=str(ROOT / "build" / "bench" / "attnlab_engine_call_bench"))
    ap.add_argument("--requests", type=int, default=800)
    args = ap.parse_args()
    results = {}
    for name, model in MODELS.items():
        if not model.exists():
            print(f"skip {name}: {model} missing")
            continue
        requests = args.requests if name == "MiniLM" else args.requests // 4
        bare = float(subprocess.run([args.package_python, "-c", BARE_LOOP, str(model), TEXT, str(requests)],
                                    capture_output=True, text=True, check=True).stdout)
        engine = json.loads(subprocess.run([args.engine_call_bench, "--model", str(model), "--text", TEXT,
                                            "--threads", "2", "--repeats", str(requests)],
                                           capture_output=True, text=True, check=True).stdout)["median_ms"] / 1e3
        distinct = distinct_texts(model, 2 * requests)
        port = free_port()
        attn = measure_server([args.attnlab, "--threads", "2", "serve", "--model", str(model), "--port", str(port)],
                              port, requests, distinct)
        port = free_port()
        ref = measure_server([sys.executable, "-c", FASTAPI_APP, str(model), str(port)], port, requests, distinct)
        results[name] = {"bare_pass_ms": bare * 1e3, "engine_run_ms": engine * 1e3, "requests": requests,
                         "attnlab serve": attn, "fastapi+transformers": ref}
        a16 = attn["16 clients"]
        print(f"{name}: bare pass {bare * 1e3:.2f} ms ({1 / bare:.1f}/s) through the Python package, "
              f"{engine * 1e3:.2f} ms ({1 / engine:.1f}/s) as Engine::run; {requests} requests per run")
        fastest = min(bare, engine)  # the targets use the faster bare loop, the stricter reference
        for side, r in (("attnlab serve", attn), ("fastapi+transformers", ref)):
            for clients, s in r.items():
                print(f"  {side:22s} {clients:27s} {s['rps']:7.1f} req/s  p50 {s['p50_ms']:7.1f} ms  "
                      f"p99 {s['p99_ms']:7.1f} ms  errors {s['errors']}")
        d16 = attn["16 clients, distinct texts"]
        print(f"  targets: p50(1 client)/bare {attn['1 clients']['p50_ms'] / (fastest * 1e3):.2f}x (< 2), "
              f"p99(16)/bare {a16['p99_ms'] / (fastest * 1e3):.1f}x (< 5), "
              f"rps(16)/bare-loop {a16['rps'] * fastest:.2f} (>= 0.90); vs FastAPI at 16 clients "
              f"{a16['rps'] / ref['16 clients']['rps']:.1f}x")
        print(f"  distinct texts: p50(1 client)/bare {attn['1 clients, distinct texts']['p50_ms'] / (fastest * 1e3):.2f}x, "
              f"p99(16)/bare {d16['p99_ms'] / (fastest * 1e3):.1f}x (16 closed-loop clients queue: Little's law puts "
              f"the mean near 16 / rps), rps(16)/bare-loop {d16['rps'] * fastest:.2f}; vs FastAPI "
              f"{d16['rps'] / ref['16 clients, distinct texts']['rps']:.1f}x")
    (ROOT / "bench" / "serve_results.json").write_text(json.dumps(results, indent=1) + "\n")


if __name__ == "__main__":
    main()

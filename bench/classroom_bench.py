#!/usr/bin/env python3
"""`attnlab serve` as a classroom uses it, on loopback: the real binary, a teacher's default options.

1. Idle connections: 1,000 held open (400 idle after a keep-alive GET /healthz, 300 that sent half a
   request line, 300 that sent nothing); then a new GET /healthz and a new POST /api/attention, timed
   (the same /api/attention alone beforehand, on a quiet server, for comparison).
2. 30 simulated browsers x 6 keep-alive connections, each typing: one debounced POST /api/attention
   every 1-3 s on one of its connections in turn, for --seconds (60). Errors (anything but 200, or no
   answer) and latency p50 / p99 / max.

Standard library only. Prints a summary and writes bench/classroom_results.json. Run with `make bench`
or: python3 bench/classroom_bench.py --attnlab build/attnlab --model models/all-MiniLM-L6-v2
"""
import argparse
import http.client
import json
import os
import pathlib
import random
import resource
import socket
import subprocess
import sys
import threading
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
WORDS = "the students type a sentence about attention heads and watch it change live".split()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(attnlab, model, port):
    proc = subprocess.Popen([attnlab, "--threads", "2", "serve", "--model", model, "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(300):
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            c.request("GET", "/healthz")
            if c.getresponse().status == 200:
                return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("classroom_bench: attnlab serve did not start")


def connect(port):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.connect()
    c.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # as browsers do
    return c


def post_attention(conn, text):
    started = time.perf_counter()
    conn.request("POST", "/api/attention", body=json.dumps({"text": text}),
                 headers={"Content-Type": "application/json"})
    r = conn.getresponse()
    r.read()
    return r.status, (time.perf_counter() - started) * 1000


def idle_connections(port):
    kept, half, silent = [], [], []
    for _ in range(400):
        c = connect(port)
        c.request("GET", "/healthz")
        c.getresponse().read()
        kept.append(c)
    for _ in range(300):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(b"GET /hea")
        half.append(s)
        silent.append(socket.create_connection(("127.0.0.1", port)))
    started = time.perf_counter()
    c = connect(port)
    c.request("GET", "/healthz")
    c.getresponse().read()
    healthz_ms = (time.perf_counter() - started) * 1000
    status, api_ms = post_attention(connect(port), "Thirty students open the page at once, now.")
    answered = 0
    for k in kept:
        try:
            k.request("GET", "/healthz")
            answered += k.getresponse().status == 200
        except OSError:
            pass
    for s in half + silent:
        s.close()
    for k in kept:
        k.close()
    return {"new_healthz_ms": healthz_ms, "new_attention_ms": api_ms, "new_attention_status": status,
            "kept_alive_still_answered": answered, "kept_alive": len(kept)}


def classroom(port, seconds, browsers=30, connections=6):
    latencies, errors, lock = [], [], threading.Lock()
    end = time.monotonic() + seconds

    def browser(b):
        rng = random.Random(b)
        conns = [connect(port) for _ in range(connections)]
        for c in conns:
            c.request("GET", "/healthz")
            c.getresponse().read()
        text, step = "", 0
        while time.monotonic() < end:
            time.sleep(rng.uniform(1.0, 3.0))
            text = (text + " " + rng.choice(WORDS)).strip()
            if len(text) > 200:
                text = ""
            try:
                status, ms = post_attention(conns[step % connections], f"{text} {b}")
            except OSError as e:
                status, ms = repr(e), None
            step += 1
            with lock:
                (latencies.append(ms) if status == 200 else errors.append(status))

    threads = [threading.Thread(target=browser, args=(b,)) for b in range(browsers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    latencies.sort()
    pct = lambda p: latencies[int(p * (len(latencies) - 1))] if latencies else None
    return {"browsers": browsers, "connections_each": connections, "seconds": seconds,
            "requests": len(latencies) + len(errors), "errors": len(errors), "error_kinds": sorted(set(map(str, errors))),
            "p50_ms": pct(0.5), "p99_ms": pct(0.99), "max_ms": latencies[-1] if latencies else None}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--attnlab", default=str(ROOT / "build" / "attnlab"))
    parser.add_argument("--model", default=str(ROOT / "models" / "all-MiniLM-L6-v2"))
    parser.add_argument("--seconds", type=int, default=60)
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 8192), hard))
    port = free_port()
    proc = start_server(args.attnlab, args.model, port)
    try:
        _, alone_ms = post_attention(connect(port), "Thirty students open the page at once.")
        _, alone_ms = post_attention(connect(port), "Thirty students open the page at once!")
        idle = idle_connections(port)
        idle["attention_alone_ms"] = alone_ms
        print(f"classroom_bench: with 1,000 idle connections a new /healthz took {idle['new_healthz_ms']:.1f} ms, "
              f"a new /api/attention {idle['new_attention_ms']:.1f} ms (alone on a quiet server {alone_ms:.1f} ms); "
              f"{idle['kept_alive_still_answered']}/{idle['kept_alive']} kept-alive connections still answered",
              flush=True)
        room = classroom(port, args.seconds)
        print(f"classroom_bench: {room['browsers']} browsers x {room['connections_each']} keep-alive connections "
              f"typing for {room['seconds']} s: {room['requests']} requests, {room['errors']} errors, latency p50 "
              f"{room['p50_ms']:.1f} ms, p99 {room['p99_ms']:.1f} ms, max {room['max_ms']:.1f} ms", flush=True)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    results = {"machine": {"cpus": os.cpu_count(), "load_average_after": os.getloadavg()},
               "idle_connections": idle, "classroom": room}
    (ROOT / "bench" / "classroom_results.json").write_text(json.dumps(results, indent=1) + "\n")
    return 1 if room["errors"] or idle["new_attention_status"] != 200 else 0


if __name__ == "__main__":
    sys.exit(main())

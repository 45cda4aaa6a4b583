#!/usr/bin/env python3
"""Tokenizer throughput, side by side in one run (issue 31): attnlab's tokenizer.json pipeline
(HfTokenizer::encode through build/bench/attnlab_tokenize_bench) against Hugging Face tokenizers'
Tokenizer.encode_batch (offsets included, as both compute them), on the corpus bench's 10,000 sentences
(bench/corpus_bench.py's make_corpus), with SmolLM2's tokenizer (and Gemma 3's), 1 and 2 threads,
alternating rounds. Both sides time encoding only (files loaded before the clock starts). Also
attnlab_regex_bench beside it: the pre-tokenizer regexes with PCRE2's JIT and with the hand-written
matchers, MB/s, to say what the regex engine costs in the total.

Prints a table and writes bench/tokenize_results.json. Run with `make bench` (needs tools/.venv with
tokenizers).

Usage: tokenize_bench.py [--rounds 5] [--sentences 10000]
"""
import argparse
import gzip
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from corpus_bench import make_corpus  # noqa: E402

WORKER = r'''
import json, sys, time
from tokenizers import Tokenizer
tok = Tokenizer.from_file(sys.argv[1])
texts = [l.rstrip("\n") for l in open(sys.argv[2], encoding="utf-8") if l.strip()]
rounds = int(sys.argv[3])
seconds, tokens = [], 0
for _ in range(rounds):
    t = time.perf_counter()
    encs = tok.encode_batch(texts)
    seconds.append(time.perf_counter() - t)
    tokens = sum(len(e.ids) for e in encs)
print(json.dumps({"texts": len(texts), "tokens": tokens, "seconds": seconds}))
'''


def run(cmd, env=None):
    p = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if p.returncode != 0:
        sys.exit(f"failed: {' '.join(map(str, cmd))}\n{p.stderr[-3000:]}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def unpacked(path, tmp):
    """tokenizer.json from the fixture (gunzipped into tmp when stored as .gz)."""
    plain = path / "tokenizer.json"
    if plain.exists():
        return plain
    out = pathlib.Path(tmp) / (path.name + "-tokenizer.json")
    out.write_bytes(gzip.decompress((path / "tokenizer.json.gz").read_bytes()))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--sentences", type=int, default=10000)
    ap.add_argument("--driver", default=str(ROOT / "build" / "bench" / "attnlab_tokenize_bench"))
    ap.add_argument("--tokenizers", default="smollm2,gemma3")
    ap.add_argument("--json", default=str(ROOT / "bench" / "tokenize_results.json"))
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        corpus = pathlib.Path(tmp) / "corpus.txt"
        make_corpus(ROOT / "models" / "all-MiniLM-L6-v2", args.sentences, corpus)
        for name in args.tokenizers.split(","):
            tj = unpacked(ROOT / "tests" / "fixtures" / "tokenizers" / name, tmp)
            for threads in (1, 2):
                env = dict(os.environ, RAYON_NUM_THREADS=str(threads), TOKENIZERS_PARALLELISM="true")
                ours, theirs = [], []
                for r in range(args.rounds):  # alternating: one round each, so drift hits both alike
                    a = run([args.driver, "--tokenizer", str(tj), "--input", str(corpus), "--threads", str(threads),
                             "--rounds", "1"])
                    b = run([sys.executable, "-c", WORKER, str(tj), str(corpus), "1"], env=env)
                    if a["tokens"] != b["tokens"]:
                        sys.exit(f"{name}: attnlab made {a['tokens']} tokens, tokenizers {b['tokens']}")
                    ours += a["seconds"]
                    theirs += b["seconds"]
                ratios = sorted(t / o for o, t in zip(ours, theirs))
                rows.append({"tokenizer": name, "threads": threads, "texts": a["texts"], "tokens": a["tokens"],
                             "attnlab_s": ours, "tokenizers_s": theirs,
                             "attnlab_median_s": statistics.median(ours), "tokenizers_median_s": statistics.median(theirs),
                             "speedup_median": statistics.median(ratios), "speedup_range": [ratios[0], ratios[-1]]})
        regex = subprocess.run([str(pathlib.Path(args.driver).parent / "attnlab_regex_bench"), "--mb", "4", "--rounds", "3"],
                               capture_output=True, text=True)
    print("| tokenizer | threads | texts | tokens | attnlab (median) | tokenizers encode_batch (median) | "
          "speed-up median [range] |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['tokenizer']} | {r['threads']} | {r['texts']} | {r['tokens']} | {r['attnlab_median_s'] * 1e3:.1f} ms | "
              f"{r['tokenizers_median_s'] * 1e3:.1f} ms | {r['speedup_median']:.2f}x "
              f"[{r['speedup_range'][0]:.2f}, {r['speedup_range'][1]:.2f}] |")
    print(regex.stdout.strip())
    with open(args.json, "w") as f:
        json.dump({"rows": rows, "regex_bench": regex.stdout.strip().splitlines(), "load_average": os.getloadavg()},
                  f, indent=1)
    print(f"wrote {args.json}")


if __name__ == "__main__":
    main()

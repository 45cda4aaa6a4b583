#!/usr/bin/env python3
"""Per-head attention statistics (Clark et al. 2019) over a corpus on Spark.

Each partition's lines go through `attnlab corpus --totals -` (RDD.pipe): attnlab reads one text per
line and answers, once the partition is done, with one JSON line of exact totals (the format of its
aggregate.json): each statistic of each head weighted by the text's token count n, rounded once to a
multiple of 2^-64 and summed as an integer. Integers add exactly in any order, so the partitions'
totals combine to what a single-process `attnlab corpus` run sums, bit for bit, whatever the
partitioning; the mean is float(sum) / 2**64 / (total tokens), as attnlab computes it. Python only
adds a few hundred integers per partition, so the workers' cores stay with attnlab.

Usage (any Spark: local, standalone, YARN; attnlab must be on every worker):
  spark-submit examples/spark_head_stats.py corpus.txt --model models/all-MiniLM-L6-v2 --out head_stats.csv
  python examples/spark_head_stats.py corpus.txt --master 'local[2]'      # with pyspark from PyPI

Writes head_stats.csv with the columns of attnlab's: layer,head,cls,sep,punct,self,prev,next,entropy,tokens
(a causal decoder's bos,eos instead of cls,sep: the names the totals carry).
"""
import argparse
import json
import math
import shlex
import sys
import time

# An encoder's statistics, the names of totals that carry none (attnlab before it wrote head_stat_names).
STATS = ["cls", "sep", "punct", "self", "prev", "next", "entropy"]


def parse_totals(line):
    """One partition's totals line -> [texts, failed, tokens, layers, heads, [integer sums], [stat names]], the
    sums in attnlab's order: layer by layer, head by head, one per statistic."""
    totals = json.loads(line)
    if totals.get("format") != "attnlab corpus totals":
        raise ValueError(f"attnlab corpus --totals printed an unexpected line: {line[:200]!r}")
    return [totals["texts"], totals["failed"], totals["tokens"], totals["layers"], totals["heads"],
            [int(v) for v in totals["head_sums"]], totals.get("head_stat_names", STATS)]


def combine(a, b):
    if a[3:5] != b[3:5] or a[6] != b[6]:
        raise ValueError(f"partitions ran different models: {a[3]} x {a[4]} heads {a[6]} and {b[3]} x {b[4]} {b[6]}")
    return [a[0] + b[0], a[1] + b[1], a[2] + b[2], a[3], a[4], [x + y for x, y in zip(a[5], b[5])], a[6]]


def head_stats_rows(total):
    """[(layer, head, [means in the totals' statistic order], tokens)] from the combined totals."""
    _, _, tokens, layers, heads, sums, names = total
    k = len(names)
    return [(i // heads, i % heads, [math.ldexp(float(v), -64) / tokens for v in sums[i * k:(i + 1) * k]], tokens)
            for i in range(layers * heads)] if tokens else []


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("input", help="text file (one text per line) or JSONL, any path Spark reads")
    parser.add_argument("--attnlab", default="attnlab", help="the attnlab binary on the workers")
    parser.add_argument("--model", default="", help="attnlab --model (default: attnlab's default model)")
    parser.add_argument("--threads", type=int, default=1, help="kernel threads per attnlab process (one per task)")
    parser.add_argument("--master", default=None, help="Spark master when run without spark-submit, e.g. local[2]")
    parser.add_argument("--partitions", type=int, default=None, help="minimum partitions of the input")
    parser.add_argument("--out", default="head_stats.csv", help="where to write the CSV")
    args = parser.parse_args(argv)

    from pyspark import SparkConf, SparkContext

    conf = SparkConf().setAppName("attnlab head statistics")
    if args.master:
        conf.setMaster(args.master)
    sc = SparkContext.getOrCreate(conf)
    sc.setLogLevel("WARN")
    command = [args.attnlab, "--threads", str(args.threads), "corpus", "--totals", "-"]
    if args.model:
        command[4:4] = ["--model", args.model]
    # RDD.pipe splits the command with shlex; checkCode stays off: a partition with failed inputs exits 3
    # after printing its totals, which count them.
    started = time.perf_counter()
    lines = sc.textFile(args.input, minPartitions=args.partitions).pipe(shlex.join(command))
    total = lines.map(parse_totals).reduce(combine)  # one totals line per partition
    job_seconds = time.perf_counter() - started
    sc.stop()

    texts, failed, tokens = total[:3]
    with open(args.out, "w") as f:
        f.write("layer,head," + ",".join(total[6]) + ",tokens\n")
        for layer, head, means, weight in head_stats_rows(total):
            f.write(f"{layer},{head}," + ",".join(repr(m) for m in means) + f",{weight}\n")
    # The job's time, Spark's own start-up (the JVM, the context) excluded: what a running cluster adds.
    print(f"spark_head_stats: {texts} texts ({tokens} tokens) in {job_seconds:.2f} s "
          f"({texts / max(job_seconds, 1e-9):.1f} texts/s), {failed} failed; wrote {args.out}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

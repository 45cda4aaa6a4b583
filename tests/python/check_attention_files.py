"""End to end, read by numpy: `attnlab attention --output FILE.npz|FILE.safetensors` holds exactly the
arrays `attention --all --json` prints (float32 bit for bit: 9 significant digits read back exactly),
with numpy's dtypes (float32, int64 ids); the selections (--layers, --heads, --queries), --precision f16
and --top-keys hold what numpy computes from the full arrays; `--digits` changes only the text; bad
paths and bad selections fail cleanly.

Run: tests/python/with_numpy.sh tests/python/check_attention_files.py ATTNLAB_CLI MODEL_DIR
"""
import json
import os
import pathlib
import sys
import tempfile

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from array_files import load  # noqa: E402
from checking import check, finish, run  # noqa: E402

CASES = [("The cat sat on the mat.", None), ("Hello world", "A second segment, a little longer.")]


def expected_arrays(doc):
    arrays = {"attentions": np.array(doc["attentions"], dtype=np.float32),
              "input_ids": np.array(doc["input_ids"], dtype=np.int64),
              "token_type_ids": np.array(doc["token_type_ids"], dtype=np.int64),
              "last_hidden_state": np.array(doc["last_hidden_state"], dtype=np.float32)}
    if doc["pooler_output"] is not None:
        arrays["pooler_output"] = np.array(doc["pooler_output"], dtype=np.float32)
    layers, heads, n = arrays["attentions"].shape[:3]
    for name, count in (("layers", layers), ("heads", heads), ("queries", n)):
        arrays[name] = np.arange(count, dtype=np.int64)
    return arrays


def top_keys(a, k):
    """numpy's answer for --top-keys: per row the k largest, descending, the lower key first among equals."""
    order = np.argsort(-a, axis=-1, kind="stable")[..., :k]
    values = np.take_along_axis(a, order, axis=-1)
    rest = (a.astype(np.float64).sum(-1) - values.astype(np.float64).sum(-1)).astype(np.float32)
    return order.astype(np.int64), values, rest


def check_selections(cli, args, want, tmp, label):
    """--layers/--heads/--queries, --precision f16 and --top-keys against numpy on the full arrays."""
    full = want["attentions"]
    layers, heads, n = full.shape[:3]
    sel = {"--layers": [layers - 1] if layers == 1 else [0, layers - 1], "--heads": [heads - 1],
           "--queries": sorted(set(list(range(0, n, 2)) + [n - 1]))}
    spec = {"--layers": ",".join(map(str, sel["--layers"])), "--heads": "last", "--queries": "every:2,last"}
    flags = [x for kv in spec.items() for x in kv]
    part = full[np.ix_(sel["--layers"], sel["--heads"], sel["--queries"], list(range(n)))]
    for ext in ("npz", "safetensors"):
        path = os.path.join(tmp, f"sel.{ext}")
        r = run(cli, *args, *flags, "--output", path)
        check(r.returncode == 0, f"{label}: selections into sel.{ext} ({r.stderr.decode().strip()})")
        got = load(path)
        check(np.array_equal(got["attentions"], part) and got["attentions"].dtype == np.float32,
              f"{label}: sel.{ext} attentions are the full ones at {spec}, exactly")
        for flag, name in (("--layers", "layers"), ("--heads", "heads"), ("--queries", "queries")):
            check(got[name].dtype == np.int64 and got[name].tolist() == sel[flag], f"{label}: sel.{ext} '{name}' names them")
        os.remove(path)
        path = os.path.join(tmp, f"half.{ext}")
        r = run(cli, *args, "--precision", "f16", "--output", path)
        got = load(path)
        check(r.returncode == 0 and got["attentions"].dtype == np.float16 and
              np.array_equal(got["attentions"].view(np.uint16), full.astype(np.float16).view(np.uint16)),
              f"{label}: --precision f16 in {ext} is numpy's astype(float16) of the float32 values, bit for bit")
        os.remove(path)
        path = os.path.join(tmp, f"top.{ext}")
        k = min(3, n)
        r = run(cli, *args, "--top-keys", "3", "--output", path)
        got = load(path)
        idx, val, rest = top_keys(full, k)
        check(r.returncode == 0 and "attentions" not in got and np.array_equal(got["attention_top_indices"], idx)
              and np.array_equal(got["attention_top_values"], val)
              and np.allclose(got["attention_remainder"], rest, rtol=0, atol=1e-7),
              f"{label}: --top-keys 3 in {ext}: numpy's top keys, their values and the rest's sum")
        os.remove(path)
    r = run(cli, *args, *flags, "--all", "--json")
    doc = json.loads(r.stdout)
    check(r.returncode == 0 and np.array_equal(np.array(doc["attentions"], dtype=np.float32), part)
          and doc["layers"] == sel["--layers"] and doc["queries"] == sel["--queries"],
          f"{label}: --json --all with the selections prints the same part")
    r = run(cli, *args, "--top-keys", "2", "--all", "--json")
    doc = json.loads(r.stdout)
    idx, val, rest = top_keys(full, min(2, n))
    row = doc["attention_top"][layers - 1][0][n - 1]
    check(r.returncode == 0 and row["keys"] == idx[layers - 1, 0, n - 1].tolist()
          and np.array_equal(np.array(row["values"], dtype=np.float32), val[layers - 1, 0, n - 1]),
          f"{label}: --json --all --top-keys 2: each row's keys and values")
    for bad, why in ((["--layers", str(layers), "--output", os.path.join(tmp, "x.npz")], "out of range"),
                     (["--layers", "0"], "give one of those"), (["--precision", "f16"], "give --output"),
                     (["--queries", "every:0", "--all", "--json"], "every:K"), (["--heads", "1-x", "--all", "--json"], "range")):
        r = run(cli, *args, *bad)
        err = r.stderr.decode()
        check(r.returncode == 2 and why in err, f"{label}: {' '.join(bad)}: usage error (2) saying {why!r} "
              f"(got {r.returncode}: {err.strip()})")


def printf_nested(a):
    """a as the JSON text attnlab wrote before its writer streamed: C's "%.9g" per float, ", " between."""
    if a.ndim == 1:
        return "[" + ", ".join("%.9g" % float(x) for x in a) + "]"
    return "[" + ", ".join(printf_nested(x) for x in a) + "]"


def main():
    cli, model = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory() as tmp:
        for text, pair in CASES:
            args = ["attention", "--model", model, text] + (["--pair", pair] if pair else [])
            label = repr(text) + (f" + {pair!r}" if pair else "")
            r = run(cli, *args, "--all", "--json")
            check(r.returncode == 0, f"{label}: --all --json ({r.stderr.decode().strip()})")
            doc = json.loads(r.stdout)
            want = expected_arrays(doc)
            text_out = r.stdout.decode()
            for name in ("attentions", "last_hidden_state", "pooler_output"):
                if name in want:
                    check(f'"{name}": {printf_nested(want[name])}' in text_out,
                          f"{label}: JSON '{name}' is printf's %.9g text, character for character")
            n = len(doc["tokens"])
            check(want["attentions"].ndim == 4 and want["attentions"].shape[2:] == (n, n),
                  f"{label}: JSON attentions are [layers, heads, {n}, {n}]")
            for ext in ("npz", "safetensors"):
                path = os.path.join(tmp, f"out.{ext}")
                r = run(cli, *args, "--output", path)
                check(r.returncode == 0, f"{label}: --output out.{ext} ({r.stderr.decode().strip()})")
                got = load(path)
                check(sorted(got) == sorted(want), f"{label}: out.{ext} holds {sorted(want)} (has {sorted(got)})")
                for name, w in want.items():
                    g = got.get(name)
                    same = g is not None and g.dtype == w.dtype and g.shape == w.shape and np.array_equal(g, w)
                    check(same, f"{label}: out.{ext} '{name}' {w.dtype} {list(w.shape)} equals the JSON exactly"
                          + ("" if g is None else f" (got {g.dtype} {list(g.shape)})"))
                check(sorted(os.listdir(tmp)) == [f"out.{ext}"], f"{label}: no temporary file left beside out.{ext}")
                os.remove(path)

            check_selections(cli, args, want, tmp, label)

            # --digits: 0 is the shortest text reading back to the same float32; N is printf's %.Ng.
            r = run(cli, *args, "--all", "--json", "--digits", "0")
            shortest = json.loads(r.stdout)
            check(r.returncode == 0 and np.array_equal(expected_arrays(shortest)["attentions"], want["attentions"]),
                  f"{label}: --digits 0 reads back to the same float32 values")
            r = run(cli, *args, "--all", "--json", "--digits", "4")
            four = np.array(json.loads(r.stdout)["last_hidden_state"], dtype=np.float64).ravel()
            rounded = np.array([float("%.4g" % float(x)) for x in want["last_hidden_state"].ravel()])
            check(r.returncode == 0 and np.array_equal(four, rounded), f"{label}: --digits 4 writes %.4g")

        args = ["attention", "--model", model, "Hello"]
        r = run(cli, *args, "--output", os.path.join(tmp, "out.txt"))
        err = r.stderr.decode()
        check(r.returncode == 2 and ".npz" in err and ".safetensors" in err,
              f"--output out.txt: usage error (2) listing .npz and .safetensors (got {r.returncode}: {err.strip()})")
        missing = os.path.join(tmp, "missing", "out.npz")
        r = run(cli, *args, "--output", missing)
        err = r.stderr.decode()
        check(r.returncode == 4 and missing in err, f"--output in a missing directory: I/O error (4) naming it "
              f"(got {r.returncode}: {err.strip()})")
        r = run(cli, *args, "--json", "--digits", "10")
        check(r.returncode == 2, f"--digits 10: usage error (got {r.returncode})")
        check(os.listdir(tmp) == [], "nothing left behind in the output directory")
    finish()


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Size and speed of the viewer page (issue 13): the file `attnlab view` writes and how fast headless chromium
shows it and reacts, timed inside the page with performance.now() (web/README.md: attnlab.timings).

    .venv-test/bin/python bench/viewer_bench.py [--cli build/attnlab] [--repeat 5] [--json out.json]

- File size, bert-base shape (models/bench-bert-base, random weights: tools/make_bench_model.py), 128 tokens,
  every layer, --precision f16 and f32.
- Load to first paint, and the time of each interaction per view (layer, head and query switch; opening the
  tab), median of --repeat, for all-MiniLM-L6-v2 pages (f16) at 9, 128 and 512 tokens, and the bert-base page at
  128 tokens. "paint" is until the frame showing the change is out; targets: under 100 ms at 128 tokens, under
  300 ms at 512.
"""
import argparse
import json
import pathlib
import statistics
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "browser"))
import harness  # noqa: E402
from test_viewer import long_text  # noqa: E402

MINILM = ROOT / "models" / "all-MiniLM-L6-v2"
BERT_BASE = ROOT / "models" / "bench-bert-base"
NINE = "The cat sat on the mat."  # 9 tokens with [CLS] and [SEP]


def page(cli, out, model, text, precision="f16"):
    harness.run_cli(cli, "view", "--model", model, "--precision", precision, "--out", out, text, timeout=900)
    return out


def time_page(b, path, repeat):
    """{'first_paint': ms, view: {interaction: (median script ms, median paint ms)}}."""
    t = b.open(path)
    result = {"first_paint": t["firstPaint"], "decode": t["decodeMs"]}
    n_layers = b.js("return attnlab.data.layers.length")
    n = b.js("return attnlab.inputs[0].n")
    for view in ["head", "model", "matrix", "neuron"]:
        b.js("attnlab.setSlot(0); attnlab.setHead(0); attnlab.setQuery(null);")
        b.settled()
        opened = b.tab(view)
        if view == "model":
            b.click('canvas.thumb[data-slot="0"][data-head="0"]')  # zoom open: layer/head switches redraw it
        rows = {"open tab": [(opened["script_ms"], opened["paint_ms"])]}
        for i in range(repeat):
            for name, js in [("layer", f"attnlab.setSlot({(i + 1) % n_layers})"), ("head", f"attnlab.setHead({(i + 1) % 12})"),
                             ("query", f"attnlab.setQuery({(7 * i + 1) % n})")]:
                b.js(js)
                e = b.settled()
                rows.setdefault(name, []).append((e["script_ms"], e["paint_ms"]))
        result[view] = {k: (statistics.median(s for s, _ in v), statistics.median(p for _, p in v)) for k, v in rows.items()}
    b.check_clean()
    return result


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cli", default=str(ROOT / "build" / "attnlab"))
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--json")
    args = ap.parse_args()
    report = {"sizes": {}, "timings": {}}
    with tempfile.TemporaryDirectory(prefix="attnlab-viewer-bench-") as tmp:
        tmp = pathlib.Path(tmp)
        text128 = long_text(args.cli, MINILM, 128)
        if (BERT_BASE / "model.safetensors").is_file():
            for precision in ["f16", "f32"]:
                p = page(args.cli, tmp / f"bert-base-128-{precision}.html", BERT_BASE, text128, precision)
                report["sizes"][f"bert-base 128 tokens, 12 layers, {precision}"] = p.stat().st_size
        else:
            print(f"no {BERT_BASE} (tools/make_bench_model.py): bert-base rows skipped", file=sys.stderr)
        pages = [("MiniLM 9 tokens", MINILM, NINE), ("MiniLM 128 tokens", MINILM, text128),
                 ("MiniLM 512 tokens", MINILM, long_text(args.cli, MINILM, 512))]
        if report["sizes"]:
            pages.append(("bert-base 128 tokens", BERT_BASE, text128))
        with harness.Browser() as b:
            b.driver.set_script_timeout(300)
            b.driver.set_page_load_timeout(300)
            for label, model, text in pages:
                path = tmp / "page.html"
                page(args.cli, path, model, text)
                report["sizes"][f"{label}, f16"] = path.stat().st_size
                report["timings"][label] = time_page(b, path, args.repeat)
                print(f"measured {label}", file=sys.stderr)
    print("| page | file size |\n|---|---|")
    for k, v in report["sizes"].items():
        print(f"| {k} | {v / 1e6:.2f} MB |")
    print("\nmedian ms, script / until the frame is out")
    print("| page | first paint | view | open tab | layer | head | query |\n|---|---|---|---|---|---|---|")
    for label, t in report["timings"].items():
        for view in ["head", "model", "matrix", "neuron"]:
            cells = " | ".join(f"{t[view][k][0]:.0f} / {t[view][k][1]:.0f}" for k in ["open tab", "layer", "head", "query"])
            print(f"| {label} | {t['first_paint']:.0f} | {view} | {cells} |")
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()

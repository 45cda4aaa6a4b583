#!/usr/bin/env python3
"""The viewer page in a real browser: `attnlab view` writes a page, headless chromium loads it, and the test reads
what the page shows back through the DOM and compares it with attnlab's own JSON (`attention --all --json`,
`toy --json`; for 512 tokens the .npz of `attention --output`, which ctest cli_array_files checks against
--all --json bit for bit). Pages are written with --precision f32, so shown values equal the JSON's to 1e-6.

    test_viewer.py --cli build/attnlab --model models/all-MiniLM-L6-v2 [--screenshots DIR] CASE
    (CASE: toy, single, pair, long, compare; the views' screenshots go to DIR, none without it)

Exit 77 (ctest: skipped) when chromium, chromium-driver or the model is missing.
"""
import argparse
import json
import math
import pathlib
import re
import sys
import tempfile
import time

import harness
from harness import Browser, Skip, check_svg, close, decode_png, run_cli

VALUE_TOL = 1e-6  # page values vs the JSON's %.9g floats: both are the engine's float32 (issue 13)
SUM_TOL = 1e-6    # row sums after renormalising / merging, summed in float64 from float32 weights

SINGLE = "Tokenizers split unbelievably uncommon words."
PAIR_A, PAIR_B = "The cat sat on the mat.", "It was very comfortable \u2014 for the caf\u00e9's cat."
COMPARE_A, COMPARE_B = "The cat sat on the mat.", "The dog sat on the mat."


class Case:
    def __init__(self, args, tmp):
        self.cli, self.model, self.tmp = args.cli, args.model, pathlib.Path(tmp)
        self.checks = 0

    def ok(self, what):
        self.checks += 1
        print(f"  ok  {what}", flush=True)

    def view(self, name, *args):
        out = self.tmp / f"{name}.html"
        run_cli(self.cli, "view", *args, "--precision", "f32", "--out", out)
        assert out.is_file(), f"attnlab view wrote no {out}"
        return out

    def attention(self, text, pair=None):
        args = ["attention", "--model", self.model, "--all", "--json", text] + (["--pair", pair] if pair else [])
        return json.loads(run_cli(self.cli, *args))


# ---- reading the page ----
def dom_values(b, css, attr="data-value"):
    return b.js(f"return [...document.querySelectorAll(arguments[0])].map(e => parseFloat(e.getAttribute('{attr}')))", css)


def annotated_matrix(b, container=".heatmap"):
    """The matrix a heatmap shows, from its cell annotations: [[value]] (rows x cols)."""
    cells = b.js("""const root = document.querySelector(arguments[0]);
      return [...root.querySelectorAll('text.annot')].map(t => [+t.dataset.row, +t.dataset.col, parseFloat(t.dataset.value)]);""",
                 container)
    assert cells, "no annotated cells (the matrix is too large to annotate?)"
    R, C = max(r for r, _, _ in cells) + 1, max(c for _, c, _ in cells) + 1
    m = [[None] * C for _ in range(R)]
    for r, c, v in cells:
        m[r][c] = v
    return m


def state(b):
    return b.js("const d = document.getElementById('view').dataset; return {tab: d.tab, layer: +d.layer, head: +d.head, query: d.query};")


def assert_matrix(page, expected, tol, what):
    assert len(page) == len(expected) and len(page[0]) == len(expected[0]), \
        f"{what}: page shows {len(page)}x{len(page[0])}, expected {len(expected)}x{len(expected[0])}"
    worst = max(abs(p - e) for pr, er in zip(page, expected) for p, e in zip(pr, er))
    assert worst <= tol, f"{what}: max difference {worst} > {tol}"
    return worst


def export_check(b, case, view, labels=()):
    svg, png, (w, h) = b.export()
    texts, size = check_svg(svg, labels)
    assert decode_png(png) == (w, h) == size, f"PNG {decode_png(png)} vs page {w}x{h} vs SVG {size}"
    case.ok(f"{view}: exported SVG parses with {len(texts)} <text> labels; PNG decodes at {w}x{h}")


# ---- transforms computed in Python from the engine's JSON (the page must agree) ----
def hide_specials(m, special):
    keep = [i for i, s in enumerate(special) if not s]
    out = []
    for q in keep:
        norm = sum(m[q][k] for k in keep)
        out.append([m[q][k] / norm for k in keep])
    return out


def merge_words(m, groups):
    return [[sum(sum(m[q][k] for k in gk) for q in gq) / len(gq) for gk in groups] for gq in groups]


def word_groups(tokens):
    """Token indices per word: a '##' piece joins the word before it; specials stand alone."""
    groups = []
    for i, t in enumerate(tokens):
        if t.startswith("##") and groups:
            groups[-1].append(i)
        else:
            groups.append([i])
    return groups


# ---- cases ----
def case_toy(case, b):
    toy = json.loads(run_cli(case.cli, "toy", "--json"))
    page = case.view("toy", "--toy")
    b.open(page)
    names = {"input": toy["input"], "non_attention_output": toy["non_attention_output"],
             "attention_weights": toy["attention_weights"], "attention_output": toy["attention_output"],
             "attention_row_sums": [[v] for v in toy["attention_row_sums"]]}
    for key in ("queries", "keys", "values", "scores"):
        if key in toy:
            names[key] = toy[key]
    for layer, p in toy["parameters"].items():
        prefix = "non_attention" if layer.startswith("non_attention") else layer
        names[prefix + ".weight"], names[prefix + ".bias"] = p["weight"], [p["bias"]]
    cells = b.js("return [...document.querySelectorAll('.toy-figure text.num')].map(t => [t.dataset.name, +t.dataset.row, +t.dataset.col, t.dataset.value, t.textContent]);")
    seen = set()
    import struct
    f32 = lambda v: struct.unpack("<f", struct.pack("<f", float(v)))[0]
    for name, r, c, value, shown in cells:
        if name.startswith("changed_"):
            continue
        key = name.removesuffix("_2")
        assert key in names, f"page shows an unknown toy matrix {name}"
        want = names[key][r][c]
        assert f32(value) == f32(want), f"toy {name}[{r}][{c}]: page {value} vs attnlab toy --json {want}"
        assert shown == f"{f32(want):.4f}".replace("-0.0000", "0.0000") or shown == f"{want:.4f}", (name, shown, want)
        seen.add(key)
    missing = set(names) - seen
    assert not missing, f"toy matrices not shown: {missing}"
    case.ok(f"toy: {len(cells)} shown numbers equal attnlab toy --json as float32, 4-decimal text as the notebook prints")

    def context():
        return b.js("return [...document.querySelectorAll('table.context-test tr[data-row]')].map(r => "
                    "[parseFloat(r.querySelector('.non-attention-change').dataset.value), r.querySelector('.non-attention-change').textContent, "
                    "parseFloat(r.querySelector('.attention-change').dataset.value)]);")
    rows = context()
    test = toy["context_test"]
    assert test["changed_token"] == 1 and test["delta"] == 1
    for r, (non, text, att) in enumerate(rows):
        if r == 0:
            assert non > 0, "the changed token's non-attention row must move"
        else:
            assert non == 0 and text == "0 (bit-identical)", f"token {r + 1}: non-attention row changed by {non}"
        assert att > 0, f"token {r + 1}: attention row did not move"
        close(att, test["attention_max_change"][r], 1e-5, f"attention max change, token {r + 1}")
        close(non, test["non_attention_max_change"][r], 1e-5, f"non-attention max change, token {r + 1}")
    case.ok("toy control (token 1 + 1): other tokens' non-attention rows bit-identical, every attention row moves, "
            "changes equal toy --json's context_test to 1e-5")
    from selenium.webdriver.support.ui import Select
    Select(b.find("#toy-token")).select_by_value("3")
    b.settled()
    rows = context()
    assert [r[1] == "0 (bit-identical)" for r in rows] == [True, True, False, True], rows
    assert all(r[2] > 0 for r in rows)
    changed = b.js("return [...document.querySelectorAll('[data-name=changed_non_attention_output] .cell.changed')].map(c => +c.dataset.row);")
    assert set(changed) == {2}, f"changed non-attention cells in rows {set(changed)}, expected only token 3's"
    case.ok("toy control on token 3: only its non-attention row differs (cells outlined), all attention rows move")
    b.screenshot("toy.png")
    export_check(b, case, "toy", ["softmax (attention weights)"])
    b.check_clean()
    case.ok("toy: no console error, no request but the page itself")


def case_single(case, b):
    ref = case.attention(SINGLE)
    att, tokens = ref["attentions"], ref["tokens"]
    L, H, n = len(att), len(att[0]), len(tokens)
    page = case.view("single", "--model", case.model, SINGLE)
    timings = b.open(page)
    assert timings.get("firstPaint"), timings
    assert b.js("return document.querySelectorAll('#tabs button').length") == 4

    # Matrix view: every head of every layer as the page shows it (its cell annotations), stepping with the
    # same calls the controls make, in one script so the 72 heads take a second.
    b.tab("matrix")
    shown = b.js("""const out = [];
      for (let l = 0; l < arguments[0]; l++) for (let h = 0; h < arguments[1]; h++) {
        attnlab.setSlot(l); attnlab.setHead(h);
        out.push([+document.getElementById('view').dataset.layer, +document.getElementById('view').dataset.head,
                  [...document.querySelectorAll('.heatmap text.annot')].map(t => [+t.dataset.row, +t.dataset.col, parseFloat(t.dataset.value)])]);
      }
      return out;""", L, H)
    worst = 0.0
    for i, (layer, head, cells) in enumerate(shown):
        assert (layer, head) == divmod(i, H), (layer, head, i)
        assert len(cells) == n * n, f"layer {layer} head {head}: {len(cells)} annotated cells"
        for r, c, v in cells:
            worst = max(worst, abs(v - att[layer][head][r][c]))
    assert worst <= VALUE_TOL, f"matrix view vs attention --all --json: max difference {worst}"
    case.ok(f"matrix view: all {L * H} heads x {n * n} cells equal attention --all --json (max diff {worst:.2e})")

    # Arrow keys change exactly the head (left/right) or the layer (up/down), wrapping around.
    b.js("attnlab.setSlot(0); attnlab.setHead(0);")
    b.settled()
    for key, want in [("\ue014", (0, 1)), ("\ue014", (0, 2)), ("\ue015", (1, 2)), ("\ue012", (1, 1)),
                      ("\ue013", (0, 1)), ("\ue013", (L - 1, 1)), ("\ue012", (L - 1, 0)), ("\ue012", (L - 1, H - 1))]:
        b.key(key)
        st = state(b)
        assert (st["layer"], st["head"]) == want, f"after key {key!r}: page at {st}, expected {want}"
        assert_matrix(annotated_matrix(b), att[want[0]][want[1]], VALUE_TOL, f"after key {key!r}")
    case.ok("arrow keys: right/left change only the head, down/up only the layer, wrapping; the matrix follows")

    # Tooltip: the exact value under the mouse.
    from selenium.webdriver.support.ui import Select
    for layer, head, q, k in [(0, 0, 0, n - 1), (2, 7, 3, 4), (5, 11, n - 1, 0)]:
        Select(b.find("#layer")).select_by_value(str(layer)); b.settled()
        Select(b.find("#head")).select_by_value(str(head)); b.settled()
        value, r, c = b.hover_cell(".heatmap canvas.cells", q, k)
        assert (r, c) == (q, k), f"tooltip names cell ({r}, {c}), mouse on ({q}, {k})"
        close(value, att[layer][head][q][k], VALUE_TOL, f"tooltip layer {layer} head {head} [{q}][{k}]")
    case.ok("matrix tooltip shows the exact weight of the cell under the mouse (3 cells)")
    for r, s in enumerate(dom_values(b, ".heatmap text.rowsum")):
        close(s, 1.0, SUM_TOL, f"row sum {r}")
    b.screenshot("matrix_view.png")
    export_check(b, case, "matrix view", [tokens[1], "row sum"])
    svg, png = harness.download_exports(b, case.tmp / "downloads")
    _, size = check_svg(svg.decode(), [tokens[1], "row sum"])
    assert decode_png(png) == size, (decode_png(png), size)
    case.ok("the Export SVG / Export PNG buttons save the matrix view as files (SVG parses, PNG decodes at its size)")

    # Hide [CLS]/[SEP]: renormalised rows.
    special = [t in ("[CLS]", "[SEP]") for t in tokens]
    b.click("#hide-specials")
    for layer, head in [(5, 11), (0, 3)]:
        Select(b.find("#layer")).select_by_value(str(layer)); b.settled()
        Select(b.find("#head")).select_by_value(str(head)); b.settled()
        shown = annotated_matrix(b)
        assert_matrix(shown, hide_specials(att[layer][head], special), VALUE_TOL, f"hidden specials, layer {layer} head {head}")
        for r, row in enumerate(shown):
            close(sum(row), 1.0, SUM_TOL, f"hidden specials: row {r} sum")
        for r, s in enumerate(dom_values(b, ".heatmap text.rowsum")):
            close(s, 1.0, SUM_TOL, f"hidden specials: shown row sum {r}")
    assert "[CLS]" not in b.js("return [...document.querySelectorAll('.heatmap text.rowlabel')].map(t => t.textContent);")
    case.ok("hide [CLS]/[SEP]: every shown row sums to 1 within 1e-6 and equals the JSON renormalised")

    # Merge subwords into words (specials shown again).
    b.click("#hide-specials")
    b.click("#merge")
    groups = word_groups(tokens)
    labels = b.js("return [...document.querySelectorAll('.heatmap text.rowlabel')].map(t => t.textContent);")
    assert labels[1] == "tokenizers" and "unbelievably" in labels, labels
    shown = annotated_matrix(b)
    assert_matrix(shown, merge_words(att[0][3], groups), VALUE_TOL, "merged words, layer 0 head 3")
    for r, row in enumerate(shown):
        close(sum(row), 1.0, SUM_TOL, f"merged row {r} sum")
    rules = b.find("#rules").text
    assert "sum over its subword columns" in rules and "mean over its subword rows" in rules, rules
    case.ok(f"merge: {len(groups)} words (sum over key columns, mean over query rows, rule stated); rows sum to 1")
    b.click("#merge")

    # Model view: thumbnails; a click zooms into exactly that head.
    b.tab("model")
    thumbs = b.find_all("canvas.thumb")
    assert len(thumbs) == L * H, f"{len(thumbs)} thumbnails for {L}x{H} heads"
    b.screenshot("model_view.png")
    b.click('canvas.thumb[data-layer="3"][data-head="5"]')
    zoom = b.find(".heatmap.zoom")
    assert (zoom.get_attribute("data-layer"), zoom.get_attribute("data-head")) == ("3", "5")
    assert (state(b)["layer"], state(b)["head"]) == (3, 5)
    current = b.js("return [...document.querySelectorAll('canvas.thumb.current')].map(c => [c.dataset.layer, c.dataset.head]);")
    assert current == [["3", "5"]], current
    value, r, c = b.hover_cell(".heatmap.zoom canvas.cells", 2, 6)
    close(value, att[3][5][2][6], VALUE_TOL, "zoom tooltip layer 3 head 5 [2][6]")
    assert_matrix(annotated_matrix(b, ".heatmap.zoom"), att[3][5], VALUE_TOL, "zoomed layer 3 head 5")
    b.key("\ue015")
    zoom = b.find(".heatmap.zoom")
    assert (zoom.get_attribute("data-layer"), zoom.get_attribute("data-head")) == ("4", "5")
    b.screenshot("model_view_zoom.png")
    export_check(b, case, "model view", ["layer 4, head 5"])
    case.ok("model view: clicking thumbnail (3, 5) zooms exactly that head (tooltip and cells equal the JSON); ArrowDown moves the zoom to (4, 5)")

    # Neuron view: softmax row equals the JSON; the page's q.k/sqrt(d) softmax reproduces it from the vectors.
    b.tab("neuron")
    for layer, head, q in [(0, 0, 0), (4, 5, 3), (5, 9, n - 1)]:
        Select(b.find("#layer")).select_by_value(str(layer)); b.settled()
        Select(b.find("#head")).select_by_value(str(head)); b.settled()
        Select(b.find("#query")).select_by_value(str(q)); b.settled()
        root = b.find(".neuron")
        assert (root.get_attribute("data-layer"), root.get_attribute("data-head"), root.get_attribute("data-query")) == \
            (str(layer), str(head), str(q))
        shown = dom_values(b, ".neuron text.softmax")
        recomputed = dom_values(b, ".neuron text.softmax", "data-recomputed")
        assert len(shown) == n
        for k in range(n):
            close(shown[k], att[layer][head][q][k], VALUE_TOL, f"neuron softmax layer {layer} head {head} query {q} key {k}")
            close(recomputed[k], att[layer][head][q][k], 1e-5, f"softmax(q.k/sqrt(d)) from the page's vectors, key {k}")
    case.ok("neuron view: softmax column equals the JSON row (3 layer/head/query), and softmax(q.k/sqrt(d)) of the "
            "shown vectors reproduces it to 1e-5")
    b.screenshot("neuron_view.png")
    export_check(b, case, "neuron view", ["softmax"])

    # Head view: toggles, double-click, hover weights, search, palette.
    b.tab("head")
    Select(b.find("#layer")).select_by_value("1"); b.settled()
    Select(b.find("#head")).select_by_value("2"); b.settled()
    block = ".headview-block"
    lines = lambda: dict(tuple(map(int, p.split(":"))) for p in b.find(block).get_attribute("data-lines").split(","))
    before = lines()
    assert sorted(before) == list(range(H)), before
    b.click(f'{block} .head-square[data-head="3"]')
    after = lines()
    assert sorted(after) == [h for h in range(H) if h != 3], after
    assert all(after[h] == before[h] for h in after), "toggling head 3 changed other heads' lines"
    b.click(f'{block} .head-square[data-head="3"]')
    assert lines() == before
    case.ok("head view: clicking head 3's square removes exactly its lines and brings them back")
    from selenium.webdriver.common.action_chains import ActionChains
    ActionChains(b.driver).double_click(b.find(f'{block} .head-square[data-head="7"]')).perform()
    b.settled()
    assert list(lines()) == [7] and state(b)["head"] == 7
    case.ok("head view: double-clicking head 7 shows it alone")
    ActionChains(b.driver).move_to_element(b.find(f'{block} text.tok.q[data-row="2"]')).perform()
    weights = dom_values(b, f"{block} text.weight")
    for k in range(n):
        close(weights[k], att[1][7][2][k], VALUE_TOL, f"head view hover weight layer 1 head 7 query 2 key {k}")
    drawn = lines()
    assert drawn[7] == sum(1 for w in att[1][7][2] if w >= 1 / 255), drawn
    case.ok("head view: hovering query 2 shows only its lines and the exact weights of the focused head")
    ActionChains(b.driver).move_by_offset(0, 400).perform()
    b.key("\ue014")
    assert state(b)["head"] == 8 and list(lines()) == [8], "with one head shown, ArrowRight shows the next head alone"
    search = b.find("#search")
    search.send_keys("uncommon")
    b.settled()
    matched = b.js(f"return [...document.querySelectorAll('{block} text.tok.q.match')].map(t => t.textContent);")
    assert matched == ["uncommon"], matched
    search.send_keys("\ue007")  # Enter: the match becomes the query
    b.settled()
    assert state(b)["query"] == str(tokens.index("uncommon"))
    case.ok("token search marks the matching token and Enter makes it the query")
    ActionChains(b.driver).double_click(b.find(f'{block} .head-square[data-head="0"]')).perform()
    b.settled()
    colour = lambda: b.js(f"return getComputedStyle(document.querySelector('{block} .head-square[data-head=\"1\"]')).backgroundColor;")
    default = colour()
    Select(b.find("#palette")).select_by_value("cb"); b.settled()
    assert colour() != default and colour() == "rgb(230, 159, 0)", colour()
    case.ok("colour-blind-safe palette changes the head colours (Okabe-Ito)")
    Select(b.find("#palette")).select_by_value("default"); b.settled()
    for sq in range(1, H):
        b.click(f'{block} .head-square[data-head="{sq}"]')
    b.js("const s = document.getElementById('search'); s.value = ''; s.dispatchEvent(new Event('input'));")
    b.settled()
    Select(b.find("#query")).select_by_value(""); b.settled()
    b.screenshot("head_view.png")
    export_check(b, case, "head view", [tokens[1]])
    b.check_clean()
    case.ok("single: no console error, no request but the page itself")


def case_pair(case, b):
    ref = case.attention(PAIR_A, PAIR_B)
    att, tokens, types = ref["attentions"], ref["tokens"], ref["token_type_ids"]
    page = case.view("pair", "--model", case.model, PAIR_A, "--pair", PAIR_B)
    b.open(page)
    shown = b.js("return document.querySelector('#inputs .input-text').textContent")
    assert PAIR_A in shown and PAIR_B in shown, shown
    assert "\u2014" in tokens, tokens
    case.ok("non-ASCII text and tokens (an em dash, an accent) show as written")
    from selenium.webdriver.support.ui import Select
    b.tab("matrix")
    Select(b.find("#layer")).select_by_value("2"); b.settled()
    Select(b.find("#head")).select_by_value("4"); b.settled()
    seg = {"A": [i for i, t in enumerate(types) if t == 0], "B": [i for i, t in enumerate(types) if t == 1]}
    for f in ["AA", "AB", "BA", "BB"]:
        Select(b.find("#filter")).select_by_value(f); b.settled()
        expected = [[att[2][4][q][k] for k in seg[f[1]]] for q in seg[f[0]]]
        assert_matrix(annotated_matrix(b), expected, VALUE_TOL, f"pair filter {f}")
        rows = b.js("return [...document.querySelectorAll('.heatmap text.rowlabel')].map(t => t.textContent);")
        assert rows == [tokens[i] for i in seg[f[0]]], rows
    case.ok("pair filter A->A / A->B / B->A / B->B: exactly that block of the JSON matrix, labels of the right sentence")
    Select(b.find("#filter")).select_by_value("AB"); b.settled()
    b.screenshot("pair_filter_matrix.png")
    Select(b.find("#filter")).select_by_value("all"); b.settled()
    assert_matrix(annotated_matrix(b), att[2][4], VALUE_TOL, "pair filter All")
    b.tab("head")
    Select(b.find("#filter")).select_by_value("BA"); b.settled()
    left = b.js("return [...document.querySelectorAll('.headview-block text.tok.q')].map(t => t.textContent);")
    right = b.js("return [...document.querySelectorAll('.headview-block text.tok.k')].map(t => t.textContent);")
    assert left == [tokens[i] for i in seg["B"]] and right == [tokens[i] for i in seg["A"]]
    b.screenshot("pair_head_view.png")
    case.ok("head view with filter B->A: sentence B's tokens on the left, A's on the right")
    export_check(b, case, "pair head view", ["comfortable"])
    b.check_clean()
    case.ok("pair: no console error, no request but the page itself")

    # The file saved again as UTF-8 (as an editor might): the page says so instead of showing other numbers.
    utf8 = case.tmp / "pair-utf8.html"
    utf8.write_bytes(page.read_bytes().decode("latin-1").encode("utf-8"))
    result = b.open(utf8)
    assert "saved again in another encoding" in result.get("error", ""), result
    assert "saved again in another encoding" in b.find("#status").text
    b.driver.get_log("browser")  # the page's console.error of that message
    case.ok("the page re-encoded as UTF-8 is refused with a message that says why")


def long_text(cli, model, n_tokens=512):
    """A deterministic text of exactly n_tokens tokens ([CLS] and [SEP] included)."""
    words = ("the model reads every token and each head decides where to look while the next layer mixes what "
             "it found into a new vector for every position of the sentence").split()
    text = " ".join(words[i % len(words)] for i in range(n_tokens - 2))
    tokens = json.loads(run_cli(cli, "tokenize", "--model", model, "--json", text))["tokens"]
    assert len(tokens) == n_tokens, f"the long text has {len(tokens)} tokens"
    return text


def case_long(case, b):
    import numpy as np
    text = long_text(case.cli, case.model)
    npz = case.tmp / "long.npz"
    run_cli(case.cli, "attention", "--model", case.model, "--output", npz, text)
    att = np.load(npz)["attentions"]
    n = att.shape[-1]
    assert n == 512
    page = case.view("long", "--model", case.model, "--layers", "4-5", text)  # f32, all layers: 93 MB
    timings = b.open(page)
    case.ok(f"512 tokens: page loads ({page.stat().st_size / 1e6:.1f} MB f32), first paint at {timings['firstPaint']:.0f} ms")
    b.screenshot("long_head_view.png")
    from selenium.webdriver.support.ui import Select
    b.tab("matrix")
    for layer, head, q, k in [(4, 0, 0, 511), (4, 6, 300, 299), (5, 11, 511, 17)]:
        Select(b.find("#layer")).select_by_value(str(layer - 4)); b.settled()
        Select(b.find("#head")).select_by_value(str(head)); b.settled()
        value, r, c = b.hover_cell(".heatmap canvas.cells", q, k)
        assert (r, c) == (q, k), (r, c, q, k)
        if abs(value - float(att[layer, head, q, k])) > VALUE_TOL:  # say what the page holds there
            page = b.js("const s = attnlab.state, m = attnlab.matrix(0, s.slot, s.head), n = attnlab.inputs[0].n;"
                        "return {slot: s.slot, head: s.head, hide: s.hideSpecials, merge: s.merge, shape: [m.R, m.C],"
                        " shown: m.values[arguments[0] * m.C + arguments[1]],"
                        " stored: attnlab.inputs[0].att[((s.slot * 12 + s.head) * n + arguments[0]) * n + arguments[1]]};", q, k)
            raise AssertionError(f"512 tokens: tooltip [{layer}][{head}][{q}][{k}] shows {value}, attnlab {att[layer, head, q, k]}; "
                                 f"page state and data there: {page}")
    case.ok("512 tokens: matrix tooltips equal the engine's weights (3 cells)")
    b.screenshot("long_matrix_view.png")
    b.click("#hide-specials")
    rng = b.find(".heatmap text.rowsum-range")
    close(float(rng.get_attribute("data-min")), 1.0, SUM_TOL, "512 tokens, hidden specials: smallest row sum")
    close(float(rng.get_attribute("data-max")), 1.0, SUM_TOL, "512 tokens, hidden specials: largest row sum")
    case.ok("512 tokens, hide specials: all 510 row sums within 1e-6 of 1")
    b.click("#hide-specials")
    b.tab("model")
    assert len(b.find_all("canvas.thumb")) == 2 * att.shape[1]
    b.click('canvas.thumb[data-layer="5"][data-head="9"]')
    value, _, _ = b.hover_cell(".heatmap.zoom canvas.cells", 100, 99)
    close(value, float(att[5, 9, 100, 99]), VALUE_TOL, "512 tokens: zoom tooltip")
    b.screenshot("long_model_view.png")
    b.tab("neuron")
    Select(b.find("#query")).select_by_value("256"); b.settled()
    shown = np.array(dom_values(b, ".neuron text.softmax"))
    worst = float(np.abs(shown - att[5, 9, 256]).max())
    assert worst <= VALUE_TOL, worst
    case.ok(f"512 tokens: zoom tooltip and the neuron view's 512 softmax values equal the engine's (max diff {worst:.1e})")
    export_check(b, case, "512-token neuron view", ["softmax"])
    b.tab("head")
    export_check(b, case, "512-token head view", ["the"])
    slow = [e for e in b.js("return attnlab.timings.interactions;") if e["paint_ms"] and e["paint_ms"] > 3000]
    assert not slow, f"interactions over 3 s at 512 tokens: {slow}"
    b.check_clean()
    case.ok("512 tokens: no console error, no request but the page itself, no interaction over 3 s")


def case_compare(case, b):
    ref_a, ref_b = case.attention(COMPARE_A), case.attention(COMPARE_B)
    page = case.view("compare", "--model", case.model, COMPARE_A, "--compare", COMPARE_B)
    b.open(page)
    from selenium.webdriver.support.ui import Select
    b.tab("matrix")
    Select(b.find("#layer")).select_by_value("3"); b.settled()
    Select(b.find("#head")).select_by_value("1"); b.settled()
    maps = b.find_all(".heatmap")
    assert len(maps) == 3, f"{len(maps)} heatmaps; expected A, B and their difference"
    a, bm = ref_a["attentions"][3][1], ref_b["attentions"][3][1]
    assert_matrix(annotated_matrix(b, ".heatmap:nth-of-type(1)"), a, VALUE_TOL, "compare: A")
    assert_matrix(annotated_matrix(b, ".heatmap:nth-of-type(2)"), bm, VALUE_TOL, "compare: B")
    ta, tb = ref_a["tokens"], ref_b["tokens"]
    aligned = [i for i in range(len(ta)) if ta[i] == tb[i]]  # same length, one word differs
    assert len(aligned) == len(ta) - 1
    expected = [[bm[i][j] - a[i][j] for j in aligned] for i in aligned]
    diff = annotated_matrix(b, ".heatmap.difference")
    assert_matrix(diff, expected, 2 * VALUE_TOL, "compare: B - A on aligned tokens")
    labels = b.js("return [...document.querySelectorAll('.heatmap.difference text.rowlabel')].map(t => t.textContent);")
    assert labels == [ta[i] for i in aligned] and "cat" not in labels and "dog" not in labels, labels
    case.ok(f"compare: A and B side by side equal their JSON; difference B - A on the {len(aligned)} aligned tokens")
    b.screenshot("compare_matrix_view.png")
    export_check(b, case, "compare matrix view", ["difference B - A"])
    b.tab("neuron")
    Select(b.find("#input")).select_by_value("1"); b.settled()
    Select(b.find("#query")).select_by_value("2"); b.settled()
    shown = dom_values(b, ".neuron text.softmax")
    for k, v in enumerate(shown):
        close(v, ref_b["attentions"][3][1][2][k], VALUE_TOL, f"compare: neuron view of B, key {k}")
    case.ok("compare: the input selector switches the neuron view to B (values equal B's JSON)")
    b.tab("head")
    assert len(b.find_all(".headview-block")) == 2
    b.screenshot("compare_head_view.png")
    b.check_clean()
    case.ok("compare: no console error, no request but the page itself")



DECODER = "The cat sat on the mat."
DECODERS = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "decoders"
DECODER_MODEL = DECODERS / "llama-gqa" / "model"
WINDOW_MODEL = DECODERS / "mistral-window" / "model"  # sliding_window 4 on every layer, shorter than DECODER
MIN_LINE_WEIGHT = 1 / 255  # the head view's faintest line (web/src/30_head_view.js MIN_WEIGHT)
LINE_RE = re.compile(r'<line x1="0" y1="([-0-9.e]+)" x2="[-0-9.e]+" y2="([-0-9.e]+)" stroke="(#[0-9a-fA-F]{6})" '
                     r'stroke-opacity="([0-9.]+)"/>')


def check_head_view_lines(case, b, model, name):
    """The head view of a causal model draws lines only to the keys a query may attend to: on the canvas (each
    query hovered in turn, the pixels where lines to each key end) and in the exported SVG (every <line>), none
    to a key after the query or outside the layer's sliding window, where attention is exactly 0. The drawn
    lines are exactly the weights >= 1/255 of attention --all --json."""
    ref = json.loads(run_cli(case.cli, "attention", "--model", str(model), "--all", "--json", DECODER))
    att, n = ref["attentions"], len(ref["tokens"])
    L, H = len(att), len(att[0])
    window = json.loads((model / "config.json").read_text()).get("sliding_window") or n
    forbidden = lambda r, c: c > r or c <= r - window
    assert any(c <= r - window for r in range(n) for c in range(n)) == (window < n)
    for layer in range(L):
        for head in range(H):
            for r in range(n):
                for c in range(n):
                    assert (att[layer][head][r][c] == 0.0) == forbidden(r, c), (name, layer, head, r, c, att[layer][head][r])
    b.open(case.view(name, "--model", str(model), DECODER))
    b.tab("head")
    b.settled()
    # Per layer, with every head shown and no query pinned: the lines counted per head and the exported SVG's
    # lines, then each query hovered (its mouseenter draws only its lines) with the canvas's last pixel column,
    # where lines reach the keys (copied 1:1 into a probe canvas made for reading back).
    pages = b.js("""const out = [];
      for (let l = 0; l < arguments[0]; l++) {
        attnlab.setSlot(l);
        const block = document.querySelector('.headview-block'), canvas = block.querySelector('canvas');
        const probe = document.createElement('canvas');
        probe.width = 1; probe.height = canvas.height;
        const pctx = probe.getContext('2d', {willReadFrequently: true});
        const page = {layer: +document.getElementById('view').dataset.layer, visible: block.dataset.visibleHeads,
          colours: Array.from({length: arguments[1]}, (_, h) => attnlab.headColour(h)), counts: block.dataset.lines,
          qy: [...block.querySelectorAll('text.tok.q')].map(t => +t.getAttribute('y')),
          ky: [...block.querySelectorAll('text.tok.k')].map(t => +t.getAttribute('y')),
          svg: block.exportSvg().markup, columns: []};
        block.querySelectorAll('text.tok.q').forEach((t) => {
          t.dispatchEvent(new MouseEvent('mouseenter'));
          pctx.clearRect(0, 0, 1, probe.height);
          pctx.drawImage(canvas, canvas.width - 1, 0, 1, canvas.height, 0, 0, 1, canvas.height);
          page.columns.push(Array.from(pctx.getImageData(0, 0, 1, probe.height).data));
          t.dispatchEvent(new MouseEvent('mouseleave'));
        });
        out.push(page);
      }
      return out;""", L, H)
    lines = white = inked_ends = 0
    for layer, page in enumerate(pages):
        assert page["layer"] == layer and page["visible"] == ",".join(map(str, range(H))), page["visible"]
        assert len(page["qy"]) == len(page["ky"]) == n and len(set(page["colours"])) == H
        nearest = lambda ys, y: min(range(n), key=lambda i: abs(ys[i] - y))
        drawn = set()
        for y1, y2, colour, opacity in LINE_RE.findall(page["svg"]):
            head, r, c = page["colours"].index(colour), nearest(page["qy"], float(y1)), nearest(page["ky"], float(y2))
            assert not forbidden(r, c), f"{name} layer {layer} head {head}: a line from query {r} to key {c}, " \
                f"where attention is exactly 0"
            close(float(opacity), att[layer][head][r][c], 6e-5, f"{name} line opacity layer {layer} head {head} [{r}][{c}]")
            drawn.add((head, r, c))
        want = {(h, r, c) for h in range(H) for r in range(n) for c in range(n) if att[layer][h][r][c] >= MIN_LINE_WEIGHT}
        assert drawn == want and page["svg"].count("<line ") == len(want), \
            f"{name} layer {layer}: lines {sorted(drawn ^ want)[:10]} differ from the weights >= 1/255"
        counts = dict(tuple(map(int, p.split(":"))) for p in page["counts"].split(","))
        assert counts == {h: sum(1 for hw, _, _ in want if hw == h) for h in range(H)}, (name, layer, counts)
        lines += len(drawn)
        row = page["ky"][1] - page["ky"][0]  # px per token
        for r, column in enumerate(page["columns"]):
            for c in range(n):
                # The pixel rows of key c's band, well inside it (a line to c ends at its centre +- 1 px).
                band = range(int(page["ky"][c] - row / 2) + 2, int(page["ky"][c] + row / 2) - 2)
                inked = any(column[4 * y: 4 * y + 3] != [255, 255, 255] for y in band)
                if forbidden(r, c):
                    assert not inked, f"{name} layer {layer}: hovering query {r} inks the end of key {c}"
                    white += 1
                elif max(att[layer][h][r][c] for h in range(H)) >= 0.05:  # surely visible over white
                    assert inked, f"{name} layer {layer}: hovering query {r} draws nothing to key {c}"
                    inked_ends += 1
    where = f"its window of {window}" if window < n else "the diagonal"
    case.ok(f"{name} head view: {lines} lines, exactly the weights >= 1/255; none from a query to a key past {where} "
            f"(exported SVG lines; canvas of each hovered query, {L} layers: {white} masked key ends white, "
            f"{inked_ends} weights >= 0.05 inked)")


def case_decoder(case, b):
    """A Llama decoder's page (grouped key/value heads, a bos its tokenizer adds): causal matrices equal the
    JSON with exact zeros above the diagonal, and "hide special tokens" hides the bos by its role."""
    from selenium.webdriver.support.ui import Select
    model = str(DECODER_MODEL)
    ref = json.loads(run_cli(case.cli, "attention", "--model", model, "--all", "--json", DECODER))
    att, tokens, special = ref["attentions"], ref["tokens"], ref["special"]
    assert special[0] == "bos" and all(r is None for r in special[1:]), special
    L, H, n = len(att), len(att[0]), len(tokens)
    page = case.view("decoder", "--model", model, DECODER)
    b.open(page)
    b.tab("matrix")
    for layer in range(L):
        for head in range(H):
            Select(b.find("#layer")).select_by_value(str(layer)); b.settled()
            Select(b.find("#head")).select_by_value(str(head)); b.settled()
            shown = annotated_matrix(b)
            assert_matrix(shown, att[layer][head], VALUE_TOL, f"decoder layer {layer} head {head}")
            assert all(shown[r][c] == 0.0 for r in range(n) for c in range(r + 1, n)), f"layer {layer} head {head}"
    case.ok(f"decoder matrix view: {L * H} causal heads equal attention --all --json, above the diagonal exactly 0")
    b.click("#hide-specials")
    labels = b.js("return [...document.querySelectorAll('.heatmap text.rowlabel')].map(t => t.textContent);")
    assert tokens[0] not in labels and len(labels) == n - 1, labels
    shown = annotated_matrix(b)
    assert_matrix(shown, hide_specials(att[L - 1][H - 1], [r is not None for r in special]), VALUE_TOL,
                  "decoder, hidden bos")
    case.ok("hide special tokens: the bos (by its role, not its spelling) is hidden, rows renormalised")
    b.tab("head")
    b.settled()
    case.ok("head view opens on a decoder page")
    check_head_view_lines(case, b, DECODER_MODEL, "decoder")
    check_head_view_lines(case, b, WINDOW_MODEL, "window")
    b.check_clean()
    case.ok("decoder: no console error, no request but the page itself")

CASES = {"toy": case_toy, "decoder": case_decoder, "single": case_single, "pair": case_pair, "long": case_long, "compare": case_compare}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cli", required=True)
    ap.add_argument("--model", default=str(harness.MODEL))
    ap.add_argument("--screenshots", help="write the views' screenshots to this directory")
    ap.add_argument("case", choices=sorted(CASES))
    args = ap.parse_args()
    start = time.monotonic()
    try:
        if args.case != "toy" and not (pathlib.Path(args.model) / "model.safetensors").is_file():
            raise Skip(f"the offline model is not in {args.model} (scripts/fetch_model.sh)")
        with tempfile.TemporaryDirectory(prefix="attnlab-browser-") as tmp, Browser(screenshots=args.screenshots) as b:
            case = Case(args, tmp)
            CASES[args.case](case, b)
    except Skip as e:
        print(f"skipped: {e}")
        return 77
    print(f"{args.case}: {case.checks} checks passed in {time.monotonic() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())

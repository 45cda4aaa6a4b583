"""The viewer inline, as Jupyter front ends show an output's _repr_html_: the iframe markup put into a host
page and opened in Debian's headless chromium (tests/browser/harness.py). Inside the sandboxed srcdoc
iframe the page starts, draws its views and shows the model's exact attention, with no console error and
no request. Skipped without chromium / chromium-driver."""
import json
import pathlib
import sys

import numpy as np
import pytest

import attnlab

from conftest import ROOT

sys.path.insert(0, str(ROOT / "tests" / "browser"))
harness = pytest.importorskip("harness")


@pytest.mark.parametrize("form", ["repr_html", "latin1_page"])
def test_inline_iframe_runs_the_viewer(tiny, tmp_path, form):
    """repr_html: what Jupyter shows (Viewer.html, its byte block base64). latin1_page: the file's bytes
    (Viewer.page, its byte block raw) handed over as a str read as latin-1, which code that has only the
    file may do; the page reads those bytes back as well."""
    out = tiny("The cat sat on the mat.", output_qkv=True)
    if form == "repr_html":
        frame = out._repr_html_()
    else:
        viewer = out.view()
        frame = attnlab.Viewer(viewer.page, viewer.page.decode("latin-1"))._repr_html_()
        assert any(0x80 <= c <= 0x9f for c in viewer.page), "no byte in 0x80-0x9f to read as latin-1"
    host = tmp_path / "notebook_output.html"
    host.write_text("<!DOCTYPE html><html><head><meta charset='utf-8'></head><body><div class='output'>"
                    + frame + "</div></body></html>", encoding="utf-8")
    try:
        browser = harness.Browser()
    except harness.Skip as e:
        pytest.skip(str(e))
    with browser as b:
        b.url = host.resolve().as_uri()
        b.driver.get_log("performance")
        b.driver.get(b.url)
        b.driver.switch_to.frame(b.find("iframe"))
        timings = b.run_async("attnlab.ready.then(done, (e) => done({error: String(e)}))")
        assert "error" not in timings, timings
        tabs = b.js("return [...document.querySelectorAll('#tabs button')].map((t) => t.dataset.tab)")
        assert tabs == ["head", "model", "matrix", "neuron"]
        b.tab("matrix")
        value, row, col = b.hover_cell(".heatmap canvas.cells", 1, 2)
        layer = int(b.js("return document.getElementById('view').dataset.layer"))
        head = int(b.js("return document.getElementById('view').dataset.head"))
        assert value == pytest.approx(float(out.attentions[layer, head, row, col]), abs=1e-6)
        console = [e for e in b.driver.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]
        assert not console, console
        for entry in b.driver.get_log("performance"):
            msg = json.loads(entry["message"])["message"]
            if msg["method"] == "Network.requestWillBeSent":
                url = msg["params"]["request"]["url"]
                assert url.startswith(("file:", "about:", "data:", "blob:", "chrome:")), f"request: {url}"

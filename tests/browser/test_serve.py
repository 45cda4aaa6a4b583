"""`attnlab serve`'s web app in headless chromium: open the page, type a sentence, see its tokens and attention
update, change layer and head, reload from the URL and get the same view; nothing but the server is contacted.

Usage: test_serve.py --cli ATTNLAB_CLI --model MODEL_DIR [--screenshots DIR]   (exit 77 = skipped: no browser)
"""
import argparse
import json
import re
import subprocess
import sys
import time
import urllib.request

from selenium.webdriver.common.keys import Keys

import harness


def start_server(cli, model):
    proc = subprocess.Popen([cli, "serve", "--model", model, "--port", "0"], stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while time.time() < deadline:
        line = proc.stderr.readline()
        match = re.search(r"on (http://127\.0\.0\.1:\d+/)", line)
        if match:
            return proc, match.group(1)
        if proc.poll() is not None:
            break
    proc.kill()
    raise AssertionError("attnlab serve did not start")


def api(url, path, body):
    req = urllib.request.Request(url + path, data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as res:
        return json.loads(res.read())


def wait_for_text(b, text):
    deadline = time.time() + 30
    while time.time() < deadline:
        if b.js("return document.getElementById('view').dataset.text") == text:
            return b.settled()
        time.sleep(0.05)
    status = b.js("return document.getElementById('status').textContent")
    raise AssertionError(f"the view never showed {text!r}: status {status!r}")


def shown_query_tokens(b):
    """The query token list as the page shows it (the Query selector: 'i: token')."""
    return [o.split(": ", 1)[1] for o in b.js(
        "return [...document.querySelectorAll('#query option')].slice(1).map((o) => o.textContent)")]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cli", required=True)
    ap.add_argument("--model", default=str(harness.MODEL))
    ap.add_argument("--screenshots", help="write the app's screenshot to this directory")
    args = ap.parse_args()
    try:
        browser = harness.Browser(loopback_server=True, screenshots=args.screenshots)
    except harness.Skip as e:
        print("skipped:", e)
        return 77
    proc, url = start_server(args.cli, args.model)
    try:
        with browser as b:
            b.url = url
            b.driver.get(url)
            timings = b.run_async("attnlab.ready.then(done, (e) => done({error: String(e)}))")
            assert "error" not in timings, timings
            first = "The cat sat on the mat."
            wait_for_text(b, first)
            want = api(url, "api/tokenize", {"text": first})["tokens"]
            assert shown_query_tokens(b) == want, (shown_query_tokens(b), want)
            # The selector names each model's family and kind beside its size.
            models = json.loads(urllib.request.urlopen(url + "api/models", timeout=30).read())["models"]
            label = b.js("return document.querySelector('#app-model option').textContent")
            m = models[0]
            assert label.startswith(f"{m['name']} ({m['family']} {'decoder' if m['causal'] else 'encoder'}, "
                                    f"{m['num_layers']} layers x {m['num_heads']} heads"), (label, m)

            # Typing updates the view (debounced) with the server's tokens for the new text.
            second = "Students learn faster when examples are interactive."
            box = b.find("#app-text")
            box.clear()
            box.send_keys(second)
            wait_for_text(b, second)
            want = api(url, "api/tokenize", {"text": second})["tokens"]
            assert shown_query_tokens(b) == want, (shown_query_tokens(b), want)
            # The matrix shown is the server's attention for layer 0 head 0.
            b.tab("matrix")
            att = api(url, "api/attention", {"text": second, "layers": [0], "heads": [0]})["attentions"][0][0]
            value, row, col = b.hover_cell(".heatmap canvas.cells", 2, 3)
            assert abs(value - att[row][col]) <= 1e-6, (value, att[row][col])

            # Layer and head from the keyboard land in the URL; a reload reproduces the view.
            b.key(Keys.ARROW_DOWN)
            b.key(Keys.ARROW_RIGHT)
            view = b.js("const v = document.getElementById('view').dataset; return [v.layer, v.head];")
            query = b.js("return location.search")
            assert f"layer={view[0]}" in query and f"head={view[1]}" in query, (view, query)
            b.screenshot("serve_app.png")
            b.driver.get(url + query)
            b.run_async("attnlab.ready.then(done, (e) => done({error: String(e)}))")
            wait_for_text(b, second)
            again = b.js("const v = document.getElementById('view').dataset; return [v.layer, v.head];")
            assert again == view, (again, view)
            b.check_clean(server=url)
        print("ok: serve app (type, update, layer/head, URL state, reload)")
        return 0
    finally:
        proc.terminate()
        proc.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(main())

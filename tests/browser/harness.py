"""Drives Debian's headless chromium (chromium-driver + selenium) over a viewer page written by `attnlab view`.

Every page is loaded from a file:// URL with the network cut off three ways (the page's own CSP, a proxy that does
not exist, a host resolver that resolves nothing); the browser's performance log still records every request the
page tries, and Page.check_clean() fails on any request but the page itself and on any console error.
"""
import base64
import json
import os
import pathlib
import shutil
import struct
import subprocess
import tempfile
import time
import zlib

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.actions.action_builder import ActionBuilder
from selenium.webdriver.common.by import By

ROOT = pathlib.Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "all-MiniLM-L6-v2"
TIMEOUT = 60  # seconds for any one page load / script


def find_program(*names):
    for name in names:
        path = shutil.which(name)
        if path:
            return path
    return None


class Skip(Exception):
    """The browser or the model is missing: the test is skipped (ctest SKIP_RETURN_CODE 77)."""


def run_cli(cli, *args, out=None, timeout=300):
    """Runs the attnlab CLI; returns stdout (bytes), raising with its stderr on failure."""
    res = subprocess.run([str(cli), *map(str, args)], capture_output=True, timeout=timeout)
    if res.returncode != 0:
        raise AssertionError(f"attnlab {' '.join(map(str, args))} exited {res.returncode}: {res.stderr.decode()}")
    return res.stdout


class Browser:
    def __init__(self, width=1500, height=1000, loopback_server=False, screenshots=None):
        """loopback_server: the page comes from a server on 127.0.0.1 (attnlab serve), which stays reachable;
        every other name and address is still cut off. screenshots: the directory screenshot() writes to
        (None: it writes nothing)."""
        self.screenshots = pathlib.Path(screenshots) if screenshots else None
        chromium = find_program("chromium", "chromium-browser")
        driver = find_program("chromedriver", "chromium-driver")
        if not chromium or not driver:
            raise Skip("chromium / chromium-driver not installed (scripts/install_deps.sh installs them)")
        self.profile = tempfile.mkdtemp(prefix="attnlab-chromium-")
        opts = webdriver.ChromeOptions()
        opts.binary_location = chromium
        for arg in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    f"--window-size={width},{height}", f"--user-data-dir={self.profile}",
                    "--no-first-run", "--no-default-browser-check", "--disable-extensions",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--disable-default-apps", "--metrics-recording-only", "--hide-scrollbars",
                    "--proxy-server=127.0.0.1:9",
                    "--host-resolver-rules=MAP * ~NOTFOUND" + (", EXCLUDE 127.0.0.1" if loopback_server else ""),
                    "--force-device-scale-factor=1"]:
            opts.add_argument(arg)
        if loopback_server:
            opts.add_argument("--proxy-bypass-list=127.0.0.1")
        opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
        self.driver = webdriver.Chrome(service=Service(driver), options=opts)
        self.driver.set_page_load_timeout(TIMEOUT)
        self.driver.set_script_timeout(TIMEOUT)
        self.url = None
        self.driver.get("about:blank")

    def close(self):
        try:
            self.driver.quit()
        finally:
            shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ---- page ----
    def open(self, path):
        """Loads the page and waits for attnlab.ready; returns attnlab.timings."""
        self.url = pathlib.Path(path).resolve().as_uri()
        self.driver.get_log("performance")  # drop anything logged before this page
        self.driver.get(self.url)
        return self.run_async("attnlab.ready.then(done, (e) => done({error: String(e)}))")

    def js(self, script, *args):
        return self.driver.execute_script(script, *args)

    def run_async(self, expr, *args):
        """Evaluates a promise-returning JS expression using `done` and returns its result."""
        return self.driver.execute_async_script("const done = arguments[arguments.length - 1];" + expr, *args)

    def settled(self):
        """Waits until the last interaction's frame is out; returns its timing entry."""
        return self.run_async("attnlab.settled().then(done)")

    def find(self, css):
        return self.driver.find_element(By.CSS_SELECTOR, css)

    def find_all(self, css):
        return self.driver.find_elements(By.CSS_SELECTOR, css)

    def click(self, css):
        self.find(css).click()
        return self.settled()

    def key(self, key):
        self.js("if (document.activeElement) document.activeElement.blur();")
        ActionChains(self.driver).send_keys(key).perform()
        return self.settled()

    def tab(self, name):
        return self.click(f'#tabs button[data-tab="{name}"]')

    def hover_cell(self, canvas_css, row, col):
        """Moves the mouse over a heatmap cell; returns the tooltip's (data-value, data-row, data-col)."""
        canvas = self.find(canvas_css)
        cell = float(canvas.get_attribute("data-cell"))
        # Scroll the cell to the middle of the window, then move the mouse to its centre in viewport coordinates.
        x, y = self.js("const b = arguments[0].getBoundingClientRect();"
                       "window.scrollBy(b.left + arguments[2] - innerWidth / 2, b.top + arguments[1] - innerHeight / 2);"
                       "const a = arguments[0].getBoundingClientRect(); return [a.left + arguments[2], a.top + arguments[1]];",
                       canvas, (row + 0.5) * cell, (col + 0.5) * cell)
        action = ActionBuilder(self.driver)
        action.pointer_action.move_to_location(int(x), int(y))
        action.perform()
        tip = self.find("#tooltip")
        assert tip.is_displayed(), "tooltip not shown"
        return float(tip.get_attribute("data-value")), int(tip.get_attribute("data-row")), int(tip.get_attribute("data-col"))

    def screenshot(self, name):
        if self.screenshots is None:
            return
        self.screenshots.mkdir(parents=True, exist_ok=True)
        self.js("window.scrollTo(0, 0)")
        assert self.driver.save_screenshot(str(self.screenshots / name)), f"no screenshot {name}"

    # ---- checks ----
    def check_clean(self, server=None):
        """No console message at level SEVERE or WARNING, and no request but the page's own file; with `server`
        (the base URL of attnlab serve the page came from), no request but to that server."""
        console = [e for e in self.driver.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]
        assert not console, f"console messages: {console}"
        requests, page_requests = [], []
        for entry in self.driver.get_log("performance"):
            msg = json.loads(entry["message"])["message"]
            if msg["method"] not in ("Network.requestWillBeSent", "Network.webSocketCreated"):
                continue
            params = msg["params"]
            url = params.get("request", {}).get("url") or params.get("url", "")
            requests.append(url)
            if params.get("documentURL") == self.url or url == self.url:
                page_requests.append(url)
        # The browser's own chrome:// pages may load resources; anything leaving the machine fails wherever it
        # comes from, and the page itself may load nothing but inline data: / blob: images it made.
        local = ("chrome:", "chrome-untrusted:", "data:", "blob:", "about:", server or "file:")
        remote = [u for u in requests if not u.startswith(local)]
        assert not remote, f"requests left the browser{' for another place than ' + server if server else ''}: {remote}"
        if server:
            assert any(u.startswith(server) for u in requests), "the performance log recorded no request to the server"
            return requests
        others = [u for u in page_requests if u != self.url and not u.startswith(("data:", "blob:"))]
        assert not others, f"the page made requests: {others}"
        assert self.url in page_requests, "the performance log did not record the page load (network log not working?)"
        return page_requests

    def export(self):
        """The current view exported by the page: (svg text, png bytes, (width, height) the page reported)."""
        res = self.run_async("attnlab.exportPng().then(done, (e) => done({error: String(e)}))")
        assert "error" not in res, res
        assert res["png"].startswith("data:image/png;base64,")
        return res["svg"], base64.b64decode(res["png"].split(",", 1)[1]), (res["width"], res["height"])


def download_exports(b, directory):
    """Clicks the page's Export SVG and Export PNG buttons; returns the two saved files' bytes (svg, png)."""
    directory = pathlib.Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    b.driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(directory)})
    files = {}
    for kind in ("svg", "png"):
        before = set(directory.iterdir())
        b.find(f"#export-{kind}").click()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            new = [p for p in set(directory.iterdir()) - before if p.suffix == "." + kind]
            if new and new[0].stat().st_size > 0:
                files[kind] = new[0].read_bytes()
                break
            time.sleep(0.1)
        assert kind in files, f"the Export {kind.upper()} button saved no .{kind} file"
    return files["svg"], files["png"]


def decode_png(data):
    """Decodes a PNG (stdlib only: chunk CRCs, IHDR, zlib stream, filter bytes); returns (width, height)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, size = 8, b"", None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        assert zlib.crc32(kind + body) == crc, f"bad CRC in chunk {kind}"
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            channels = {0: 1, 2: 3, 4: 2, 6: 4}[colour]
            size = (width, height)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = 1 + width * channels * depth // 8
    assert len(raw) == stride * height, "image data does not match IHDR"
    assert all(raw[r * stride] <= 4 for r in range(height)), "bad filter byte"
    return size


def check_svg(svg, must_contain=()):
    """The export parses as XML, is an <svg>, and has <text> labels; returns the list of label texts."""
    import xml.etree.ElementTree as ET
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    assert root.tag == ns + "svg", root.tag
    texts = ["".join(t.itertext()) for t in root.iter(ns + "text")]
    assert texts, "no <text> labels in the exported SVG"
    for label in must_contain:
        assert any(label in t for t in texts), f"label {label!r} not among the SVG's texts"
    return texts, (int(root.get("width")), int(root.get("height")))


def close(a, b, tol, what):
    assert abs(a - b) <= tol, f"{what}: page {a!r} vs attnlab {b!r} (tolerance {tol})"

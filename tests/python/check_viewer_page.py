"""End to end, read with Python's own base64, zlib and numpy: the data inside `attnlab view`'s page is
exactly what `attnlab attention --all --json` prints (float32 bit for bit), in numpy's float16 rounding
with --precision f16, for the layers --layers names; the page is one self-contained file whose CSP
forbids every request, ASCII but for its raw byte block, whose pieces hold nothing the HTML parser
would change; the toy page carries `attnlab toy --json` unchanged.

Run: tests/python/with_numpy.sh tests/python/check_viewer_page.py ATTNLAB_CLI MODEL_DIR
"""
import base64
import html
import json
import pathlib
import re
import sys
import tempfile
import zlib

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from checking import check, finish, run  # noqa: E402

# Names, not addresses: SVG drawn from script needs its namespace; nothing is fetched from them.
XML_NAMESPACES = {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink", "http://www.w3.org/2000/xmlns/"}
PIECE = re.compile(rb'<script type="application/octet-stream" data-encoding="(raw|base64)">(.*?)</script>', re.S)
UNESCAPE = {b"0": b"\0", b"1": b"\r", b"2": b"<"}
escapes_seen = set()


def page_data(path):
    """The page (text outside the byte block), its data object, and the byte block decoded (web/README.md)."""
    page = pathlib.Path(path).read_bytes()
    match = re.search(rb'<script type="application/json" id="attnlab-data">(.*?)</script>', page, re.S)
    data = json.loads(match.group(1).decode("ascii"))
    block = b""
    for encoding, piece in PIECE.findall(page):
        if encoding == b"base64":
            block += base64.b64decode(piece, validate=True)
            continue
        check(re.fullmatch(rb"(?:[^<\0\r]|<[012])*", piece) is not None,
              f"{path}: a raw piece holds no NUL or CR, and each '<' starts an escape <0, <1 or <2")
        escapes_seen.update(re.findall(rb"<([012])", piece))
        block += re.sub(rb"<([012])", lambda m: UNESCAPE[m.group(1)], piece)
    check(len(block) == data.get("bytes", 0), f"{path}: the byte block holds the {data.get('bytes', 0)} bytes the data says")
    text = PIECE.sub(b"", page)
    check(text.isascii(), f"{path}: the page is ASCII outside its byte block")
    check(b'<meta charset="windows-1252">' in page[:1024], f"{path}: windows-1252 declared in the first 1024 bytes")
    return text.decode("ascii"), data, block


def decode(array, block):
    dtype = {"f32": np.dtype("<f4"), "f16": np.dtype("<f2")}[array["dtype"]]
    count = int(np.prod(array["shape"]))
    encoding = array["encoding"]
    if encoding.endswith("block"):
        raw = block[array["offset"]:array["offset"] + array["size"]]
    else:
        raw = base64.b64decode(array["data"], validate=True)
    if encoding.startswith("shuffle-deflate-"):
        planes = np.frombuffer(zlib.decompress(raw, wbits=-15), dtype=np.uint8)
        raw = planes.reshape(dtype.itemsize, count).T.copy().tobytes()
    else:
        assert encoding in ("base64", "block"), encoding
    return np.frombuffer(raw, dtype=dtype).reshape(array["shape"])


def expected(cli, model, text, pair=None):
    args = ["attention", "--model", model, "--all", "--json", text] + (["--pair", pair] if pair else [])
    return json.loads(run(cli, *args).stdout)


def main():
    cli, model = sys.argv[1], sys.argv[2]
    with tempfile.TemporaryDirectory() as tmp:
        out = f"{tmp}/page.html"
        cases = [("f32 single", ["The cat sat on the mat."], None),
                 ("f32 pair", ["Where is it?", "--pair", "Under the </script> mat."], None),
                 ("f32 non-ASCII", ["Caf\u00e9 \u2014 na\u00efve \U0001f408 <b>\u20ac</b>", "--pair", "\u65e5\u672c"], None),
                 ("f32 300 tokens", [" ".join(["the cat sat on the mat ."] * 42)], None),
                 ("f16 layers 1", ["The cat sat on the mat.", "--precision", "f16", "--layers", "1"], [1])]
        for name, args, layers in cases:
            r = run(cli, "view", "--model", model, "--out", out, *args)
            check(r.returncode == 0, f"{name}: exit 0 ({r.stderr.decode()[-200:]})")
            page, data, block = page_data(out)
            urls = set(re.findall(r"https?://[^\s\"'<>)]*", page)) - XML_NAMESPACES
            check(not urls, f"{name}: no URL in the page but XML namespace names ({sorted(urls)[:3]})")
            csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', page)
            check(csp is not None and html.unescape(csp.group(1)).startswith("default-src 'none'"),
                  f"{name}: CSP starts with default-src 'none'")
            check(data["format"] == "attnlab-view/1" and data["kind"] == "model", f"{name}: format and kind")
            text = args[0]
            pair = args[args.index("--pair") + 1] if "--pair" in args else None
            ref = expected(cli, model, text, pair)
            (inp,) = data["inputs"]
            check(inp["text"] == text and inp["pair"] == pair, f"{name}: text and pair")
            check(inp["tokens"] == ref["tokens"] and inp["input_ids"] == ref["input_ids"]
                  and inp["token_type_ids"] == ref["token_type_ids"], f"{name}: tokens and ids")
            want = np.array(ref["attentions"], dtype=np.float32)
            stored = layers if layers is not None else list(range(want.shape[0]))
            check(data["layers"] == stored, f"{name}: layers {stored}")
            want = want[stored]
            got = decode(inp["attentions"], block)
            if inp["attentions"]["dtype"] == "f16":
                check(got.tobytes() == want.astype(np.float16).tobytes(),
                      f"{name}: attentions are numpy's float16 rounding, bit for bit")
            else:
                check(got.tobytes() == want.tobytes(), f"{name}: attentions equal --all --json bit for bit")
            n = len(ref["tokens"])
            for key in ("queries", "keys"):
                shape = inp[key]["shape"]
                check(shape == [len(stored), want.shape[1], n, data["model"]["head_dim"]], f"{name}: {key} shape")
                check(np.isfinite(decode(inp[key], block)).all(), f"{name}: {key} finite")

        # --compare: two inputs, each equal to its own --all --json.
        r = run(cli, "view", "--model", model, "--out", out, "The cat sat.", "--compare", "The dog sat.")
        check(r.returncode == 0, "compare: exit 0")
        _, data, block = page_data(out)
        check(len(data["inputs"]) == 2, "compare: two inputs")
        for inp, text in zip(data["inputs"], ["The cat sat.", "The dog sat."]):
            ref = np.array(expected(cli, model, text)["attentions"], dtype=np.float32)
            check(decode(inp["attentions"], block).tobytes() == ref.tobytes(), f"compare: '{text}' bit for bit")
        check(escapes_seen == {b"0", b"1", b"2"}, f"the pages used every escape (<0, <1, <2): {sorted(escapes_seen)}")

        # The toy page carries `attnlab toy --json --seed 7` unchanged.
        r = run(cli, "view", "--toy", "--seed", "7", "--out", out)
        check(r.returncode == 0, "toy: exit 0")
        _, data, _ = page_data(out)
        toy = json.loads(run(cli, "toy", "--json", "--seed", "7").stdout)
        check(data["kind"] == "toy" and data["toy"] == toy, "toy: the page holds toy --json exactly")

    finish()


if __name__ == "__main__":
    main()

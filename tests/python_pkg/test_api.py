"""Every call of the package: shapes, dtypes, strides, zero-copy lifetime, memory across 10,000 calls,
errors as Python exceptions with the CLI's messages, bad arguments as TypeError / ValueError."""
import base64
import gc
import html
import json
import pathlib
import pydoc
import re
import warnings

import numpy as np
import pytest

import attnlab
from conftest import MINILM, TINY, load_fixture, offline_env, run_cli

TEXT = "The cat sat on the mat."


def test_model_info(tiny):
    config = json.loads((TINY / "config.json").read_text())
    assert tiny.info["num_layers"] == tiny.num_layers == config["num_hidden_layers"]
    assert tiny.info["num_heads"] == tiny.num_heads == config["num_attention_heads"]
    assert tiny.info["hidden"] == config["hidden_size"]
    assert tiny.info["precision"] == "fp32"
    assert tiny.name == str(TINY)
    assert attnlab.isa() in ("scalar", "avx2", "avx512")
    assert attnlab.__version__.count(".") == 2


def test_tokenize_fields(tiny):
    enc = tiny.tokenize("Unbelievable tokenization, isn't it?", "Yes it is.")
    case = load_fixture("engine/tiny-random.json")["cases"][1]
    assert enc.input_ids == case["input_ids"] and enc.word_ids == case["word_ids"]
    assert len(enc) == len(enc.tokens) == len(enc.token_type_ids)
    assert enc.token_type_ids[0] == 0 and enc.token_type_ids[-1] == 1
    assert enc.tokens[0] == "[CLS]" and enc.tokens[-1] == "[SEP]"
    assert enc.truncated is False
    # An Encoding runs as the text would.
    assert np.array_equal(tiny(enc).attentions, tiny(case["text"], case["pair"]).attentions)


def test_output_arrays_shapes_dtypes_strides(tiny):
    out = tiny(TEXT, output_hidden_states=True, output_qkv=True)
    n, L, H = len(out.tokens), tiny.num_layers, tiny.num_heads
    hidden, head_dim = tiny.info["hidden"], tiny.info["head_dim"]
    shapes = {"attentions": (L, H, n, n), "last_hidden_state": (n, hidden), "pooler_output": (hidden,),
              "hidden_states": (L + 1, n, hidden), "query": (L, H, n, head_dim), "key": (L, H, n, head_dim),
              "value": (L, H, n, head_dim)}
    for name, shape in shapes.items():
        a = getattr(out, name)
        assert a.shape == shape, name
        assert a.dtype == np.float32, name
        assert a.flags.c_contiguous and not a.flags.writeable, name
        assert a.strides == tuple(4 * int(np.prod(shape[i + 1 :])) for i in range(len(shape))), name
    assert np.allclose(out.attentions.sum(axis=-1), 1.0, atol=1e-5)
    assert np.array_equal(out.head(1, 2), out.attentions[1, 2])
    assert np.array_equal(out.row(1, 2, 3), out.attentions[1, 2, 3])
    # Not asked for: None.
    plain = tiny(TEXT)
    assert plain.hidden_states is None and plain.query is None and plain.key is None and plain.value is None
    assert tiny(TEXT, output_attentions=False).attentions is None


def test_arrays_are_views_of_the_engine_buffers(tiny):
    out = tiny(TEXT, output_hidden_states=True)
    native = out._native
    # Two arrays taken from one result share the engine's memory: no copy is made.
    assert native.attentions.ctypes.data == native.attentions.ctypes.data
    assert native.last_hidden_state.ctypes.data == native.last_hidden_state.ctypes.data
    last = out.hidden_states[-1]
    assert np.shares_memory(last, out.hidden_states)


def test_array_outlives_its_result(tiny):
    out = tiny(TEXT, output_qkv=True)
    att, query, pooler = out.attentions, out.query, out.pooler_output
    want = (att.copy(), query.copy(), pooler.copy())
    del out
    gc.collect()
    for _ in range(50):  # reuse the freed heap, were the block freed
        tiny("A different sentence overwrites freed memory, if any was freed.")
    assert np.array_equal(att, want[0]) and np.array_equal(query, want[1]) and np.array_equal(pooler, want[2])
    view = att[1, 2]
    del att
    gc.collect()
    assert np.array_equal(view, want[0][1, 2])


def rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096


def test_no_leak_across_10000_calls(tiny):
    def calls(k):
        for i in range(k):
            out = tiny(TEXT, output_qkv=(i % 2 == 0))
            a = out.attentions
            _ = out.last_hidden_state, out.pooler_output, out.query, a[0, 0, 0]

    calls(1000)  # allocator warm-up
    gc.collect()
    before = rss_bytes()
    calls(10000)
    gc.collect()
    grown = rss_bytes() - before
    # A leaked result would hold ~5 kB (attentions, hidden states, q/k/v): 10,000 of them, ~50 MB.
    assert grown < 4 * 1024 * 1024, f"RSS grew by {grown / 1e6:.1f} MB over 10,000 calls"


def test_batch_equals_single_calls(tiny):
    texts = [TEXT, ("Unbelievable tokenization, isn't it?", "Yes it is."), "Hello world!"]
    outs = tiny.batch(texts, output_qkv=True)
    for item, out in zip(texts, outs):
        single = tiny(*item, output_qkv=True) if isinstance(item, tuple) else tiny(item, output_qkv=True)
        assert out.tokens == single.tokens
        assert np.array_equal(out.attentions, single.attentions)
        assert np.array_equal(out.query, single.query)
        assert np.array_equal(out.last_hidden_state, single.last_hidden_state)


def test_stream_yields_every_input_in_order(tiny):
    texts = (f"sentence number {i}." for i in range(11))
    outs = list(tiny.stream(texts, batch_size=4))
    assert [o.tokens for o in outs] == [tiny.tokenize(f"sentence number {i}.").tokens for i in range(11)]
    assert all(np.array_equal(o.attentions, tiny(f"sentence number {i}.").attentions) for i, o in enumerate(outs))


def test_truncation(tiny):
    long_text = " ".join(["word"] * 600)
    out = tiny(long_text)
    assert len(out.tokens) == tiny.info["max_tokens"] and out.encoding.truncated
    assert len(tiny.tokenize(long_text, max_length=16)) == 16
    with pytest.raises(attnlab.InputError) as e:
        tiny(long_text, truncation=False)
    assert e.value.exit_code == 3 and isinstance(e.value, ValueError)


def test_errors_carry_the_clis_messages(tmp_path):
    missing = tmp_path / "no-such-model"
    with pytest.raises(attnlab.ModelNotFoundError) as e:
        attnlab.Model(str(missing))
    _, stderr, code = run_cli("tokenize", "--model", missing, "x", check=False)
    assert stderr.strip() == f"attnlab: error: {e.value}" and code == e.value.exit_code == 3
    assert isinstance(e.value, attnlab.Error) and isinstance(e.value, LookupError)

    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text("{not json")
    with pytest.raises(attnlab.InputError) as e:
        attnlab.Model(broken)
    _, stderr, code = run_cli("attention", "--model", broken, "x", check=False)
    assert stderr.strip() == f"attnlab: error: {e.value}" and code == e.value.exit_code == 3

    with pytest.raises(attnlab.ModelNotFoundError) as e:  # a Hub id neither cached nor downloadable
        with pytest.MonkeyPatch.context() as mp:
            for k, v in offline_env(tmp_path).items():
                mp.setenv(k, v)
            attnlab.Model("org/not-a-model")
    assert e.value.exit_code == 5


def test_error_hierarchy():
    assert issubclass(attnlab.UsageError, attnlab.Error) and issubclass(attnlab.UsageError, ValueError)
    assert issubclass(attnlab.InputError, ValueError)
    assert issubclass(attnlab.FileError, OSError)
    assert issubclass(attnlab.NetworkError, ConnectionError)
    assert attnlab.Error.__module__ == "attnlab"


def test_bad_arguments_raise_type_and_value_errors(tiny):
    out = tiny(TEXT)
    type_errors = [
        lambda: attnlab.Model(42), lambda: attnlab.Model(str(TINY), threads="2"),
        lambda: attnlab.Model(str(TINY), precision=32), lambda: attnlab.Model(str(TINY), threads=1.5),
        lambda: tiny(5), lambda: tiny(TEXT, pair=3), lambda: tiny(b"bytes"), lambda: tiny(TEXT, output_qkv="yes"),
        lambda: tiny.tokenize(None), lambda: tiny.batch("one string"), lambda: tiny.batch([TEXT, 7]),
        lambda: out.head("0", 0), lambda: out.row(0, 0, 1.0), lambda: attnlab.toy("103"), lambda: attnlab.toy(True),
        lambda: attnlab.figure("not an output"), lambda: attnlab.figure(out, dpi="100"),
        lambda: out.view(compare=5), lambda: attnlab.toy().json(token="0"),
        lambda: list(tiny.stream([TEXT], batch_size=None)),
    ]
    for i, call in enumerate(type_errors):
        with pytest.raises(TypeError):
            call()
            print("no TypeError from case", i)
    L, H, n = out.attentions.shape[:3]
    value_errors = [
        lambda: attnlab.Model(str(TINY), threads=-1), lambda: attnlab.Model(str(TINY), threads=0),
        lambda: attnlab.Model(str(TINY), precision="fp16"), lambda: attnlab.Model(""),
        lambda: tiny(TEXT, max_length=-3), lambda: out.head(L, 0), lambda: out.head(-1, 0), lambda: out.head(0, H),
        lambda: out.row(0, 0, n), lambda: attnlab.figure(out, layer=L), lambda: attnlab.figure(out, query=n),
        lambda: attnlab.figure(out, kind="pie"), lambda: attnlab.figure(out, format="gif"),
        lambda: attnlab.figure(out, dpi=0), lambda: out.view(layers=[L]), lambda: out.view(precision="f64"),
        lambda: attnlab.toy(2**64), lambda: attnlab.toy(-(2**63) - 1), lambda: attnlab.toy().json(token=4),
        lambda: list(tiny.stream([TEXT], batch_size=0)), lambda: tiny.batch([(TEXT,)]),
        lambda: tiny(TEXT, output_attentions=False).head(0, 0),
    ]
    for i, call in enumerate(value_errors):
        with pytest.raises(ValueError):
            call()
            print("no ValueError from case", i)
    # Out-of-range values the library checks come back as UsageError, still a ValueError.
    with pytest.raises(attnlab.UsageError) as e:
        attnlab.figure(out, format="gif")
    assert e.value.exit_code == 2 and "gif" in str(e.value)


def test_fallback_notice_is_a_warning(tmp_path, monkeypatch):
    if not (MINILM / "model.safetensors").exists():
        pytest.skip("offline model missing")
    for k, v in offline_env(tmp_path).items():
        monkeypatch.setenv(k, v)
    with pytest.warns(attnlab.FallbackWarning) as record:
        m = attnlab.Model()
    _, stderr, _ = run_cli("tokenize", "x", env=offline_env(tmp_path))
    assert f"attnlab: {record[0].message}" in stderr.splitlines()
    assert m.info["notice"] and m.num_layers == 6


def test_toy_as_numpy_and_json():
    t = attnlab.toy(103)
    for name in ("input", "non_attention_output", "attention_weights", "attention_output", "queries", "keys",
                 "values", "scores"):
        a = getattr(t, name)
        assert a.shape == (4, 4) and a.dtype == np.float32, name
    assert set(t.parameters) == {"non_attention.linear", "query", "key", "value"}
    stdout, _, _ = run_cli("toy", "--json", "--seed", "103")
    assert t.json() == stdout.decode()
    assert attnlab.toy(2**64 - 1).seed == str(2**64 - 1)


def test_figures_are_the_clis(tiny, tmp_path):
    out = tiny(TEXT)
    png = attnlab.figure(out)
    svg = attnlab.figure(out, format="svg")
    assert isinstance(png, bytes) and png.startswith(b"\x89PNG\r\n\x1a\n") and png._repr_png_() == bytes(png)
    assert svg._repr_svg_().lstrip().startswith(("<?xml", "<svg")) and png._repr_svg_() is None
    # `attnlab demo` draws cell 3's figure from the same sentence: the very same bytes.
    run_cli("demo", "--model", TINY, "--sentence", TEXT, "--out", tmp_path, "--format", "png,svg")
    assert bytes(png) == (tmp_path / "attention_comparison.png").read_bytes()
    assert bytes(svg) == (tmp_path / "attention_comparison.svg").read_bytes()
    custom_text = "Students learn faster when examples are visual and interactive."
    assert bytes(attnlab.figure(tiny(custom_text), "custom")) == (tmp_path / "custom_cls_attention.png").read_bytes()
    for kind in ("row", "head"):
        img = out.figure(kind, layer=1, head=2, format="png", dpi=50)
        assert img.startswith(b"\x89PNG")
    img.save(tmp_path / "x.png")
    assert (tmp_path / "x.png").read_bytes() == bytes(img)


def _pieces(page, encoding):
    """The byte block's pieces of a page (str or bytes) carried as `encoding` (web/README.md)."""
    pattern = f'<script type="application/octet-stream" data-encoding="{encoding}">(.*?)</script>'
    return re.findall(pattern.encode() if isinstance(page, bytes) else pattern, page, re.S)


def test_viewer_is_the_clis_page_inline(tiny, tmp_path):
    out = tiny(TEXT)
    viewer = out.view()
    stdout, _, _ = run_cli("view", TEXT, "--model", TINY, "--out", "-")
    assert isinstance(viewer.page, bytes) and viewer.page == stdout
    # .html is the same page with the byte block base64: all ASCII, the same bytes once decoded.
    assert isinstance(viewer.html, str) and viewer.html.isascii()
    raw = b"".join(re.sub(rb"<([012])", lambda m: {b"0": b"\0", b"1": b"\r", b"2": b"<"}[m.group(1)], p)
                   for p in _pieces(viewer.page, "raw"))
    assert raw and raw == b"".join(base64.b64decode(p) for p in _pieces(viewer.html, "base64"))
    page_text = re.sub(rb'<script type="application/octet-stream".*?</script>', b"", viewer.page, flags=re.S)
    assert page_text.decode("ascii") == re.sub(r'<script type="application/octet-stream".*?</script>', "", viewer.html,
                                               flags=re.S)
    frame = out._repr_html_()
    assert frame.startswith("<iframe srcdoc=\"") and 'sandbox="allow-scripts' in frame
    srcdoc = frame[len('<iframe srcdoc="') : frame.index('" sandbox=')]
    assert html.unescape(srcdoc) == viewer.html
    assert "https://" not in viewer.html.split("</head>")[0].replace("Content-Security-Policy", "")
    pair_view = tiny(TEXT, "It was warm.").view(compare=tiny("Another sentence."), layers=[1], precision="f16")
    stdout, _, _ = run_cli("view", TEXT, "--pair", "It was warm.", "--compare", "Another sentence.", "--layers", "1",
                           "--precision", "f16", "--model", TINY, "--out", "-")
    assert pair_view.page == stdout
    toy = attnlab.toy(103).view()
    stdout, _, _ = run_cli("view", "--toy", "--seed", "103", "--out", "-")
    assert toy.page == stdout and toy.html == stdout.decode("ascii")
    viewer.save(tmp_path / "page.html")
    assert (tmp_path / "page.html").read_bytes() == viewer.page


def test_help_and_stubs_document_the_api():
    text = pydoc.render_doc(attnlab.Model, renderer=pydoc.plaintext)
    for words in ("Hub id", "precision", "threads", "FallbackWarning", "tokenize", "batch", "stream"):
        assert words in text, words
    for name in attnlab.__all__:
        obj = getattr(attnlab, name)
        if callable(obj) and not isinstance(obj, tuple):
            assert obj.__doc__, f"{name} has no docstring"
    package = pathlib.Path(attnlab.__file__).parent
    stub = (package / "__init__.pyi").read_text()
    assert (package / "py.typed").exists()
    for name in attnlab.__all__:
        assert name in stub, f"{name} missing from __init__.pyi"

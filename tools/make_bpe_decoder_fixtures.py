#!/usr/bin/env python3
"""Writes the BPE model and decoder golden fixtures from the real Hugging Face `tokenizers` library.

    tools/.venv/bin/python tools/make_bpe_decoder_fixtures.py [--retrain]

Outputs, under tests/fixtures/tokenizers/:
  bpe_cases.json      BPE models (trained with BpeTrainer on the corpus below, and hand-made ones for
                      ties, stale queue entries, duplicate merges, byte fallback, unk handling, prefix and
                      suffix quirks), each as the "model" object of a tokenizer.json, with what
                      tokenizers' Model.tokenize gives for a few hundred words: [id, value, start, end]
                      per token (byte offsets, as the binding returns them), or the error it raised.
                      Also model objects tokenizers refuses (with its message), and two optional
                      real-model sections (SmolLM2, Gemma 3) read from tools/.cache when present.
  decoder_cases.json  decoder objects of a tokenizer.json (as written and as tokenizers re-serialises
                      them) with decoder.decode(tokens) for varied token lists, the decoders tokenizers
                      refuses, and Tokenizer.decode with no decoder (tokens joined with spaces).

BpeTrainer is not deterministic (its alphabet comes out of a hash map, and the ids break ties between
pairs), so the trained models already in bpe_cases.json are reused and only the expectations are
recomputed; --retrain trains them afresh.

Every model and decoder is loaded through Tokenizer.from_str, the path a tokenizer.json takes, so the
fixtures test the same JSON attnlab parses. Strings that are not valid UTF-8 never occur: tokenizers'
inputs are Rust Strings.
"""
import json
import os
import pathlib
import sys

os.environ["RUST_BACKTRACE"] = "0"  # expected panics (Strip, bad merges) print one line, not pages

import tokenizers
from tokenizers import Tokenizer, models, pre_tokenizers, trainers

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "fixtures" / "tokenizers"
CACHE = ROOT / "tools" / ".cache"

CORPUS = """
The quick brown fox jumps over the lazy dog. A journey of a thousand miles begins with a single step.
Students learn faster when examples are visual and interactive; attention shows which words matter.
Tokenization splits text into tokens, and byte pair encoding merges the most frequent pairs first.
Transformers are state-of-the-art models for natural language processing, translation and summarization.
I can't believe it's not butter! Don't stop believing: it's 3:45 p.m. and we're still here, aren't we?
The unbelievable unaffable undergraduate understood the underlying structure of the unrelated theorem.
Merging merges merged merger mergers; tokenize tokenizer tokenizers tokenizing tokenized tokens token.
Running runner runners ran runs; jumping jumper jumped jumps; reading reader readers read reads.
Hello, world! hello world HELLO WORLD. Lorem ipsum dolor sit amet, consectetur adipiscing elit.
Le café est très bon à Paris, où les élèves étudient la théorie des ensembles et l'algèbre linéaire.
Die Straße in München ist schön; Grüße aus Zürich und Köln. Übermäßig große Bäume wachsen überall.
El niño comió una piña en la mañana; ¿Qué tal? ¡Hola, señor! La canción del corazón.
Москва — столица России. Привет, мир! Я люблю читать книги и писать программы.
Η γλώσσα είναι ελληνική. Καλημέρα κόσμε! Αθήνα και Θεσσαλονίκη.
我爱北京天安门。今天天气很好。中文文本没有空格。日本語の文章です。こんにちは世界。
한국어 텍스트입니다. 안녕하세요 세계. مرحبا بالعالم. नमस्ते दुनिया. שלום עולם.
Emoji: 😀 🍕 🚀 👍🏽 ❤️ 🇺🇸 and the family 👨‍👩‍👧‍👦 are encoded as several code points.
Numbers 0 1 2 3 42 100 2024 3.14159 1,000,000 and symbols # $ % & * + = @ ~ ^ | \\ / < > [ ] { }.
aaaa aaaaa abababab banana bandana cabbage mississippi committee bookkeeper balloon success.
"""

EXTRA_WORDS = [
    "", "a", "aa", "aaa", "aaaaaaaa", "abab", "ababa", "bab", "ananas", "xyzzy", "qwertyuiop",
    "supercalifragilisticexpialidocious", "antidisestablishmentarianism", "Mississippi", "MISSISSIPPI",
    "naïve", "façade", "jalapeño", "Ångström", "ﬁnance", "ǅemal", "İstanbul", "ß", "ẞ", "e\u0301", "\u0301",
    "Ελλάδα", "Україна", "日本", "東京都", "🤖", "🧠🧠", "👩🏾‍💻", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "\U0001F600x", "x\U0001F600",
    "\u00a0", "\u200b", "tab\tin", "new\nline", "\x00", "\x7f", "\ufeff", "\ufffd", "\U0010FFFF",
    "<unk>", "</w>", "##", "##ing", "ing</w>", "▁the", "Ġthe", "<0x41>", "1234567890", "3.14", "—",
    "ab" * 40, "é" * 30, "🙂" * 12,
]


def words():
    seen, out = set(), []
    for w in CORPUS.split() + EXTRA_WORDS:
        if w not in seen:
            seen.add(w)
            out.append(w)
    return out


def wrap(model=None, decoder=None):
    return json.dumps({
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": [], "normalizer": None,
        "pre_tokenizer": None, "post_processor": None, "decoder": decoder,
        "model": model if model is not None else {"type": "BPE", "vocab": {}, "merges": []},
    })


def error_text(e):
    # Serde messages end with " at line 1 column N" (a position in the wrapper JSON): not ours to copy.
    s = str(e)
    i = s.find(" at line ")
    return s[:i] if i >= 0 else s


def model_json(model):
    return json.loads(Tokenizer(model).to_str())["model"]


def tokenize_all(tok, texts):
    cases = []
    for t in texts:
        try:
            got = tok.model.tokenize(t)
            cases.append({"text": t, "tokens": [[x.id, x.value, x.offsets[0], x.offsets[1]] for x in got]})
        except BaseException as e:  # noqa: BLE001 - a pyo3 PanicException is a BaseException
            cases.append({"text": t, "error": error_text(e)})
    return cases


def train(pre_tokenizer, **kw):
    trainer = trainers.BpeTrainer(show_progress=False, **kw)
    unk = "<unk>" if "<unk>" in kw.get("special_tokens", []) else None
    opts = {k: kw[k] for k in ("continuing_subword_prefix", "end_of_word_suffix") if k in kw}
    if unk is not None:
        opts["unk_token"] = unk
    tok = Tokenizer(models.BPE(**opts))
    tok.pre_tokenizer = pre_tokenizer
    tok.train_from_iterator(CORPUS.splitlines(), trainer=trainer)
    return model_json(tok.model)


def with_options(model, **kw):
    m = dict(model)
    m.update(kw)
    return m


def byte_level_pieces(texts):
    pre = pre_tokenizers.ByteLevel(add_prefix_space=True, use_regex=True)
    seen, out = set(), []
    for t in texts:
        for piece, _ in pre.pre_tokenize_str(t):
            if piece not in seen:
                seen.add(piece)
                out.append(piece)
    return out


def byte_tokens():
    return ["<0x%02X>" % b for b in range(256)]


def add_tokens(model, tokens):
    m = dict(model)
    vocab = dict(m["vocab"])
    for t in tokens:
        if t not in vocab:
            vocab[t] = len(vocab)
    m["vocab"] = vocab
    return m


def hand_models():
    """Small vocabularies whose merges exercise one rule each (ids dense from 0)."""
    def v(tokens):
        return {t: i for i, t in enumerate(tokens)}

    out = []
    # Ties: one merge applying at several positions goes left to right; "aaaaa" -> aa aa a.
    out.append(("tie_left_to_right", {"type": "BPE", "vocab": v(["a", "b", "aa", "aaaa", "ab", "ba", "bab"]),
                "merges": [["a", "a"], ["aa", "aa"], ["b", "a"], ["ba", "b"], ["a", "b"]]},
                ["a", "aa", "aaa", "aaaa", "aaaaa", "aaaaaa", "aaaaaaa", "aaaaaaaaa", "abab", "baba", "babab",
                 "ababab", "bababa", "aabaa", "abba", "bb", "b", "c", "acab"]))
    # Stale queue entries: "abc" where both (a,b) and (b,c) merge; the better rank wins and the other entry
    # becomes stale. Plus chains that re-create pairs.
    out.append(("stale_entries", {"type": "BPE", "vocab": v(["a", "b", "c", "d", "ab", "bc", "cd", "abc", "bcd",
                                                               "abcd", "abcab", "cab"]),
                "merges": [["b", "c"], ["a", "b"], ["c", "d"], ["a", "bc"], ["b", "cd"], ["abc", "d"],
                           ["c", "ab"], ["abc", "ab"]]},
                ["abc", "abcd", "bcd", "cab", "abcab", "ababab", "cdcd", "abcdabcd", "dcba", "bcbc", "cabcab",
                 "abcabc", "aabbcc"]))
    # The same pair listed twice: the later rank wins (tokenizers collects merges into a hash map).
    out.append(("duplicate_merge", {"type": "BPE", "vocab": v(["x", "y", "z", "xy", "yz", "xyz"]),
                "merges": [["x", "y"], ["y", "z"], ["xy", "z"], ["x", "y"]]},
                ["xyz", "xyzxyz", "xxyy", "yzx", "zyx"]))
    # Legacy "a b" strings, a "#version" line (skipped), a token that is a space-free "#version".
    out.append(("legacy_merges", {"type": "BPE", "vocab": v(["h", "e", "l", "o", "he", "ll", "hell", "hello",
                                                               "lo", "#", "v"]),
                "merges": ["#version: 0.2", "h e", "l l", "he ll", "hell o", "l o"]},
                ["hello", "hell", "helloo", "lol", "ollo", "#v", "oh", "hhee"]))
    # The merges accept two forms but not mixed; a merge whose second token lacks the prefix still has the
    # prefix's length cut from it (tokenizers strips len(prefix) bytes unconditionally).
    out.append(("prefix_strip_quirk", {"type": "BPE", "vocab": v(["a", "##b", "xyb", "ab", "##c", "abc", "b", "c",
                                                                   "##a"]),
                "merges": [["a", "xyb"], ["ab", "##c"]], "continuing_subword_prefix": "##"},
                ["ab", "abc", "a", "b", "ba", "aa", "cab"]))
    # No unk token: unknown characters vanish and the following offsets shift left.
    out.append(("no_unk_drops", {"type": "BPE", "vocab": v(["a", "b", "ab"]), "merges": [["a", "b"]]},
                ["xab", "axb", "abx", "xxx", "éa", "a🙂b", "ab"]))
    # Unk token set but absent from the vocabulary: an error only when an unknown character occurs.
    out.append(("unk_not_in_vocab", {"type": "BPE", "vocab": v(["a", "b", "ab"]), "merges": [["a", "b"]],
                                     "unk_token": "<unk>"},
                ["ab", "abab", "xab", "a"]))
    for fuse in (False, True):
        out.append(("unk_fuse_%s" % str(fuse).lower(),
                    {"type": "BPE", "vocab": v(["<unk>", "a", "b", "ab"]), "merges": [["a", "b"]],
                     "unk_token": "<unk>", "fuse_unk": fuse},
                    ["c", "cc", "accb", "abccab", "xyzab", "éé", "a🙂🙂b", "ab"]))
    # Byte fallback with some byte tokens missing: a character whose bytes are not all present becomes unk.
    # A pending unk is not flushed before byte tokens (tokenizers adds it after them).
    vocab = ["<unk>", "a", "b", "ab"] + ["<0x%02X>" % b for b in range(256) if b not in (0xF0, 0x63)]
    for fuse in (False, True):
        out.append(("byte_fallback_holes_fuse_%s" % str(fuse).lower(),
                    {"type": "BPE", "vocab": v(vocab), "merges": [["a", "b"]], "unk_token": "<unk>",
                     "byte_fallback": True, "fuse_unk": fuse},
                    ["ab", "c", "é", "🙂", "c🙂", "cé", "🙂é", "acéb", "a🙂cb", "ccé", "é🙂c", "日本", "a\nb", "\x00"]))
    out.append(("byte_fallback_no_unk", {"type": "BPE", "vocab": v(["a", "b", "ab", "<0xC3>"]),
                                         "merges": [["a", "b"]], "byte_fallback": True},
                ["ab", "é", "Ã", "aéb", "ab🙂", "ÃÃ"]))
    # Byte fallback looks up the bytes of the prefixed/suffixed piece, each with length 1.
    out.append(("byte_fallback_prefix_suffix", {"type": "BPE",
                "vocab": v(["<unk>", "a", "##a", "a</w>", "##a</w>"] + ["<0x%02X>" % b for b in range(256)]),
                "merges": [], "unk_token": "<unk>", "byte_fallback": True,
                "continuing_subword_prefix": "##", "end_of_word_suffix": "</w>"},
                ["a", "aa", "aaa", "é", "aé", "éa", "aéa", "b"]))
    # ignore_merges: a word in the vocabulary is one token even when merges would split it otherwise (the
    # model test of tokenizers' own suite).
    out.append(("ignore_merges", {"type": "BPE", "vocab": v([".:.:", "Ġbelirtilen", ".", ":", "bel", "irtilen", "Ġ",
                                                              ".:", "belirtilen", ".:.", "be", "l", "ir", "ti", "en",
                                                              "irtil", "irti", "i", "r", "t", "b", "e", "n"]),
                "merges": [[".", ":"], ["b", "e"], ["be", "l"], ["i", "r"], ["t", "i"], ["ir", "ti"], ["e", "n"],
                           ["irti", "l"]], "ignore_merges": True},
                [".:.:", "Ġbelirtilen", "belirtilen", ".:.", ".:", "Ġ", "irtilen", "irtilenx", ".:.:.:"]))
    # Suffix and prefix on the pieces, and the merge of a prefixed token.
    out.append(("prefix_suffix", {"type": "BPE", "vocab": v(["a", "b", "c", "##a", "##b", "##c", "a</w>", "b</w>",
                                                              "c</w>", "##a</w>", "##b</w>", "##c</w>", "ab",
                                                              "ab</w>", "abc</w>", "##bc</w>", "bc</w>"]),
                "merges": [["a", "##b"], ["##b", "##c</w>"], ["a", "##b</w>"], ["ab", "##c</w>"], ["b", "##c</w>"]],
                "continuing_subword_prefix": "##", "end_of_word_suffix": "</w>"},
                ["a", "ab", "abc", "bc", "cab", "abab", "ca", "d"]))
    # Several pairs merging into the same new token (vocab ids are what the stale check compares).
    out.append(("same_new_token", {"type": "BPE", "vocab": v(["a", "b", "c", "ab", "bc", "abc"]),
                "merges": [["ab", "c"], ["a", "bc"], ["b", "c"], ["a", "b"]]},
                ["abc", "abcabc", "bcab", "aabcc"]))
    # dropout 0 is no dropout; dropout 1 skips every merge (and, outside the cached path, ignore_merges).
    base = {"type": "BPE", "vocab": v(["a", "b", "ab", "abab"]), "merges": [["a", "b"], ["ab", "ab"]]}
    out.append(("dropout_zero", with_options(base, dropout=0.0), ["ab", "abab", "ba"]))
    out.append(("dropout_one", with_options(base, dropout=1.0, ignore_merges=True), ["ab", "abab", "ba"]))
    out.append(("empty_vocab", {"type": "BPE", "vocab": {}, "merges": []}, ["", "a", "abc"]))
    # Optional fields given as null, an unknown key, no "type": all accepted.
    out.append(("nulls_and_unknown_keys", {"vocab": v(["a", "b", "ab"]), "merges": [["a", "b"]], "dropout": None,
                                           "unk_token": None, "continuing_subword_prefix": None,
                                           "end_of_word_suffix": None, "fuse_unk": None, "byte_fallback": None,
                                           "ignore_merges": None, "cache_capacity": 5, "something": [1, 2]},
                ["ab", "ba"]))
    # Sparse ids (a hole and a large id).
    out.append(("sparse_ids", {"type": "BPE", "vocab": {"a": 5, "b": 100000, "ab": 2147483646}, "merges": ["a b"]},
                ["ab", "ba", "aab"]))
    # Empty string as prefix / suffix is the same as none.
    out.append(("empty_prefix_suffix", {"type": "BPE", "vocab": v(["a", "b", "ab"]), "merges": [["a", "b"]],
                                        "continuing_subword_prefix": "", "end_of_word_suffix": ""},
                ["ab", "aab"]))
    # Merges whose tokens contain spaces (tuple form only).
    out.append(("space_in_tokens", {"type": "BPE", "vocab": v(["a", " ", "b c", "a ", "ab c"]),
                                    "merges": [["a", " "], ["a", "b c"]]},
                ["a ", "a  ", " a"]))
    return out


def refused_models():
    base_vocab = {"a": 0, "b": 1, "ab": 2}
    cases = [
        ("merge_token_unknown", {"type": "BPE", "vocab": base_vocab, "merges": [["a", "b"], ["a", "d"]]}),
        ("merge_result_unknown", {"type": "BPE", "vocab": {"a": 0, "b": 1}, "merges": [["a", "b"]]}),
        ("merge_result_longer_than_any_token", {"type": "BPE", "vocab": {"abc": 0, "d": 1}, "merges": ["abc d"]}),
        ("merge_shorter_than_prefix", {"type": "BPE", "vocab": {"a": 0, "#": 1, "ab": 2}, "merges": ["a #"],
                                       "continuing_subword_prefix": "##"}),
        ("legacy_three_parts", {"type": "BPE", "vocab": base_vocab, "merges": ["a b c"]}),
        ("legacy_one_part", {"type": "BPE", "vocab": base_vocab, "merges": ["ab"]}),
        ("legacy_two_spaces", {"type": "BPE", "vocab": base_vocab, "merges": ["a  b"]}),
        ("mixed_merge_forms", {"type": "BPE", "vocab": base_vocab, "merges": ["a b", ["a", "b"]]}),
        ("tuple_of_three", {"type": "BPE", "vocab": base_vocab, "merges": [["a", "b", "c"]]}),
        ("tuple_of_numbers", {"type": "BPE", "vocab": base_vocab, "merges": [[0, 1]]}),
        ("merges_missing", {"type": "BPE", "vocab": base_vocab}),
        ("vocab_missing", {"type": "BPE", "merges": []}),
        ("merges_null", {"type": "BPE", "vocab": base_vocab, "merges": None}),
        ("merges_object", {"type": "BPE", "vocab": base_vocab, "merges": {"a": "b"}}),
        ("vocab_array", {"type": "BPE", "vocab": ["a", "b"], "merges": []}),
        ("vocab_float_id", {"type": "BPE", "vocab": {"a": 1.0}, "merges": []}),
        ("vocab_negative_id", {"type": "BPE", "vocab": {"a": -1}, "merges": []}),
        ("vocab_string_id", {"type": "BPE", "vocab": {"a": "1"}, "merges": []}),
        ("vocab_id_too_large", {"type": "BPE", "vocab": {"a": 4294967296}, "merges": []}),
        ("dropout_out_of_range", {"type": "BPE", "vocab": base_vocab, "merges": [], "dropout": 1.5}),
        ("dropout_negative", {"type": "BPE", "vocab": base_vocab, "merges": [], "dropout": -0.1}),
        ("dropout_string", {"type": "BPE", "vocab": base_vocab, "merges": [], "dropout": "0.1"}),
        ("fuse_unk_integer", {"type": "BPE", "vocab": base_vocab, "merges": [], "fuse_unk": 1}),
        ("byte_fallback_string", {"type": "BPE", "vocab": base_vocab, "merges": [], "byte_fallback": "true"}),
        ("unk_token_object", {"type": "BPE", "vocab": base_vocab, "merges": [], "unk_token": {"content": "a"}}),
        ("prefix_number", {"type": "BPE", "vocab": base_vocab, "merges": [], "continuing_subword_prefix": 1}),
        ("wrong_type", {"type": "Nope", "vocab": base_vocab, "merges": []}),
    ]
    out = []
    for name, m in cases:
        try:
            Tokenizer.from_str(wrap(model=m))
            out.append({"name": name, "model": m, "accepted_by_tokenizers": True})
        except BaseException as e:  # noqa: BLE001
            out.append({"name": name, "model": m, "error": error_text(e)})
    return out


def real_model_section(name, path, texts):
    if not path.exists():
        print("skipping %s: %s not present" % (name, path), file=sys.stderr)
        return None
    tok = Tokenizer.from_file(str(path))
    pre = tok.pre_tokenizer
    normalizer = tok.normalizer
    pieces, seen = [], set()
    for t in texts:
        s = normalizer.normalize_str(t) if normalizer is not None else t
        for piece, _ in (pre.pre_tokenize_str(s) if pre is not None else [(s, None)]):
            if piece not in seen:
                seen.add(piece)
                pieces.append(piece)
    return {"name": name, "file": str(path.relative_to(ROOT)), "cases": tokenize_all(tok, pieces)}


TRAINED = ("trained_plain", "trained_prefix", "trained_suffix", "trained_prefix_suffix", "trained_byte_level")


def frozen_models():
    path = OUT / "bpe_cases.json"
    if "--retrain" in sys.argv or not path.exists():
        return {}
    old = json.loads(path.read_text(encoding="utf-8"))
    return {m["name"]: m["model"] for m in old.get("models", []) if m["name"] in TRAINED}


def bpe_fixture():
    ws = words()
    frozen = frozen_models()

    def trained(name, pre_tokenizer, **kw):
        return frozen[name] if name in frozen else train(pre_tokenizer, **kw)

    out = {"generator": "tools/make_bpe_decoder_fixtures.py", "tokenizers_version": tokenizers.__version__,
           "models": []}

    def add(name, model, texts):
        tok = Tokenizer.from_str(wrap(model=model))
        out["models"].append({"name": name, "model": model, "cases": tokenize_all(tok, texts)})

    ws_pre = pre_tokenizers.Whitespace()
    plain = trained("trained_plain", ws_pre, vocab_size=500, min_frequency=2, special_tokens=["<unk>"], limit_alphabet=70)
    add("trained_plain", plain, ws)
    add("trained_fuse_unk", with_options(plain, fuse_unk=True), ws)
    add("trained_ignore_merges", with_options(plain, ignore_merges=True), ws)
    add("trained_legacy_merges", with_options(plain, merges=[" ".join(p) for p in plain["merges"]]), ws)
    add("trained_no_unk", with_options(plain, unk_token=None), ws)
    add("trained_byte_fallback", with_options(add_tokens(plain, byte_tokens()), byte_fallback=True), ws)
    add("trained_byte_fallback_fuse_unk",
        with_options(add_tokens(plain, byte_tokens()), byte_fallback=True, fuse_unk=True), ws)
    add("trained_prefix", trained("trained_prefix", ws_pre, vocab_size=600, min_frequency=2, special_tokens=["<unk>"],
                                continuing_subword_prefix="##"), ws)
    add("trained_suffix", trained("trained_suffix", ws_pre, vocab_size=600, min_frequency=2, special_tokens=["<unk>"],
                                end_of_word_suffix="</w>"), ws)
    both = trained("trained_prefix_suffix", ws_pre, vocab_size=600, min_frequency=2, special_tokens=["<unk>"],
                 continuing_subword_prefix="##", end_of_word_suffix="</w>")
    add("trained_prefix_suffix", both, ws)
    add("trained_prefix_suffix_byte_fallback", with_options(add_tokens(both, byte_tokens()), byte_fallback=True), ws)
    bl = trained("trained_byte_level", pre_tokenizers.ByteLevel(add_prefix_space=True), vocab_size=700, min_frequency=2,
               initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    add("trained_byte_level", bl, byte_level_pieces(CORPUS.splitlines() + EXTRA_WORDS))
    add("trained_byte_level_ignore_merges", with_options(bl, ignore_merges=True),
        byte_level_pieces(CORPUS.splitlines() + EXTRA_WORDS))
    for name, model, texts in hand_models():
        add(name, model, texts)
    out["refused"] = refused_models()
    # Accepted by tokenizers, refused by attnlab: random merge dropout.
    out["refused_by_attnlab"] = [
        {"name": "dropout_random", "model": {"type": "BPE", "vocab": {"a": 0}, "merges": [], "dropout": 0.1}},
    ]
    real = []
    texts = CORPUS.splitlines() + EXTRA_WORDS
    for name, sub in (("smollm2", "out_smollm2"), ("gemma3", "out_gemma3")):
        sec = real_model_section(name, CACHE / sub / "tokenizer.json", texts)
        if sec is not None:
            real.append(sec)
    out["real_models"] = real
    return out


# ---------------------------------------------------------------------------------------------- decoders


def byte_level_token(raw: bytes):
    table = {b: c for b, c in zip(range(256), _bytes_to_unicode())}
    return "".join(table[b] for b in raw)


def _bytes_to_unicode():
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    m = dict(zip(bs, cs))
    return [chr(m[b]) for b in range(256)]


TOKEN_LISTS_GENERIC = [
    [], [""], ["", ""], ["a"], ["Hello", "world"], ["Hello", "▁world", "!"], ["▁Hello", "▁world"], ["▁▁a", "▁"],
    ["a▁b▁", "▁c"], ["▁"], ["▁", "▁"], ["##ing"], ["play", "##ing", "##s"], ["un", "##believ", "##able", "."],
    ["I", "do", "n't", "know", "it", "'s", "me", "'m", "we", "'re", "they", "'ve", "do", "not", "!", "?", ",", "."],
    ["a", " .", "b", " ' ", "c"], ["hello", ".", "world", "?"], ["<0x41>", "<0x42>"], ["<0xE2>", "<0x82>", "<0xAC>"],
    ["<0xE2>", "<0x82>"], ["x", "<0xE2>", "<0x82>", "y", "<0xAC>"], ["<0xF0>", "<0x9F>", "<0x99>", "<0x82>", "!"],
    ["<0xff>", "<0x0a>", "<0x+A>", "<0x-A>", "<0xG1>", "<0x41", "<0x4142>", "< 0x41>", "<0X41>"],
    ["<0xC3>", "<0xA9>", "<0xC3>", "▁", "<0xA9>"], ["<0xED>", "<0xA0>", "<0x80>"], ["<0xC0>", "<0x80>"],
    ["<0xF4>", "<0x90>", "<0x80>", "<0x80>"], ["<0x00>"], ["Ġhello", "Ġworld"], ["ĠHello", ",", "Ġworld", "!"],
    [byte_level_token("€".encode())], [byte_level_token("€".encode()[:2]), "x"],
    [byte_level_token("€".encode()[:1]), byte_level_token("€".encode()[1:])],
    [byte_level_token(b"\xf0\x9f"), byte_level_token(b"\x98\x80"), "Ġ"], [byte_level_token(b"\xff\xfe\xfd")],
    [byte_level_token(b"\xe2\x82"), byte_level_token(b"\xe2\x82\xac")], ["€", "Ġ€", "日本"], ["Ġ日本", "Ġ", "ĊĊ"],
    [byte_level_token("naïve café".encode())], [byte_level_token(b"\xed\xa0\x80")], [byte_level_token(b"\xc0\xaf")],
    [byte_level_token(b"\xf4\x90\x80\x80")], [byte_level_token(b"a\xc3")], ["ĉtab", "č", "Ā", "ġ", "Ń", "ł"],
    ["  lead", "trail  ", "  both  ", "   "], ["xxhixx", "x", "xx", "xxx"], ["__a__", "_"], ["</w>"],
    ["hello</w>", "world</w>"], ["hel", "lo</w>", "wor", "ld</w>"], ["a</w>b</w>", "c"], ["<pad>", "a", "a", "<pad>",
    "b", "|", "c", "c", "|", "<pad>"], ["a", "a", "a"], ["|"], ["<pad>"], ["é", "ñ", "日本語", "🙂", "👨‍👩‍👧"],
    ["▁日本", "▁", "語▁"], ["a", "b", "c", "d"],
]


def decoder_configs():
    rep = {"type": "Replace", "pattern": {"String": "▁"}, "content": " "}
    return [
        ("byte_level", {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True}),
        ("byte_level_no_use_regex", {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False}),
        ("metaspace_always", {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": True}),
        ("metaspace_first", {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": True}),
        ("metaspace_never", {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "never", "split": False}),
        ("metaspace_legacy_add_prefix_space", {"type": "Metaspace", "replacement": "▁", "add_prefix_space": True,
                                               "str_rep": "▁"}),
        ("metaspace_legacy_no_prefix_space", {"type": "Metaspace", "replacement": "▁", "add_prefix_space": False,
                                              "prepend_scheme": "never"}),
        ("metaspace_underscore", {"type": "Metaspace", "replacement": "_", "prepend_scheme": "always"}),
        ("byte_fallback", {"type": "ByteFallback"}),
        ("fuse", {"type": "Fuse"}),
        ("strip_space_left", {"type": "Strip", "content": " ", "start": 1, "stop": 0}),
        ("strip_x", {"type": "Strip", "content": "x", "start": 2, "stop": 1}),
        ("strip_underscore_many", {"type": "Strip", "content": "_", "start": 5, "stop": 5}),
        ("strip_nothing", {"type": "Strip", "content": "a", "start": 0, "stop": 0}),
        ("replace_metaspace", rep),
        ("replace_multi_char", {"type": "Replace", "pattern": {"String": "xx"}, "content": "Y"}),
        ("replace_to_empty", {"type": "Replace", "pattern": {"String": "a"}, "content": ""}),
        ("replace_empty_pattern", {"type": "Replace", "pattern": {"String": ""}, "content": "+"}),
        ("replace_regex_literal", {"type": "Replace", "pattern": {"Regex": "▁"}, "content": " "}),
        ("replace_regex_escaped", {"type": "Replace", "pattern": {"Regex": "\\|"}, "content": "/"}),
        ("wordpiece", {"type": "WordPiece", "prefix": "##", "cleanup": True}),
        ("wordpiece_no_cleanup", {"type": "WordPiece", "prefix": "##", "cleanup": False}),
        ("wordpiece_empty_prefix", {"type": "WordPiece", "prefix": "", "cleanup": True}),
        ("bpe_decoder", {"type": "BPEDecoder", "suffix": "</w>"}),
        ("bpe_decoder_empty_suffix", {"type": "BPEDecoder", "suffix": ""}),
        ("ctc", {"type": "CTC", "pad_token": "<pad>", "word_delimiter_token": "|", "cleanup": True}),
        ("ctc_no_cleanup", {"type": "CTC", "pad_token": "<pad>", "word_delimiter_token": "|", "cleanup": False}),
        ("llama_sequence", {"type": "Sequence", "decoders": [rep, {"type": "ByteFallback"}, {"type": "Fuse"},
                                                            {"type": "Strip", "content": " ", "start": 1,
                                                             "stop": 0}]}),
        ("gemma_sequence", {"type": "Sequence", "decoders": [rep, {"type": "ByteFallback"}, {"type": "Fuse"}]}),
        ("sequence_empty", {"type": "Sequence", "decoders": []}),
        ("sequence_nested", {"type": "Sequence", "decoders": [
            {"type": "Sequence", "decoders": [{"type": "ByteFallback"}]},
            {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first"},
            {"type": "Sequence", "decoders": [{"type": "Fuse"}, {"type": "Strip", "content": "!", "start": 0,
                                                                 "stop": 1}]}]}),
        ("sequence_bytelevel_then_strip", {"type": "Sequence", "decoders": [
            {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
            {"type": "Strip", "content": " ", "start": 1, "stop": 1}]}),
        # Legacy forms without "type" (tokenizers tries BPEDecoder, WordPiece, CTC, Replace, Strip in order),
        # an unknown "type" taken as legacy, and unknown keys.
        ("legacy_bpe_decoder", {"suffix": "</w>"}),
        ("legacy_unknown_type_bpe_decoder", {"type": "Foo", "suffix": "o"}),
        ("legacy_wordpiece", {"prefix": "##", "cleanup": False}),
        ("legacy_ctc", {"pad_token": "<pad>", "word_delimiter_token": "|", "cleanup": False}),
        ("legacy_replace", {"pattern": {"String": "a"}, "content": "A"}),
        ("legacy_strip", {"content": "a", "start": 1, "stop": 1}),
        ("unknown_keys", {"type": "Fuse", "extra": [1, 2, {"x": None}]}),
        ("metaspace_nulls", {"type": "Metaspace", "replacement": "▁", "add_prefix_space": None, "split": None,
                             "str_rep": None}),
    ]


REFUSED_DECODERS = [
    ("unknown_type", {"type": "Foo"}),
    ("no_type_no_fields", {}),
    ("string", "Fuse"),
    ("number", 5),
    ("array", []),
    ("byte_level_missing_fields", {"type": "ByteLevel"}),
    ("byte_level_null_bool", {"type": "ByteLevel", "add_prefix_space": None, "trim_offsets": True}),
    ("byte_level_null_use_regex", {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True,
                                   "use_regex": None}),
    ("metaspace_no_replacement", {"type": "Metaspace", "prepend_scheme": "always"}),
    ("metaspace_two_char_replacement", {"type": "Metaspace", "replacement": "ab", "prepend_scheme": "always"}),
    ("metaspace_empty_replacement", {"type": "Metaspace", "replacement": "", "prepend_scheme": "always"}),
    ("metaspace_bad_scheme", {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "First"}),
    ("metaspace_null_scheme", {"type": "Metaspace", "replacement": "▁", "prepend_scheme": None}),
    ("metaspace_prefix_space_conflict", {"type": "Metaspace", "replacement": "▁", "add_prefix_space": False}),
    ("metaspace_prefix_space_conflict_first", {"type": "Metaspace", "replacement": "▁", "add_prefix_space": False,
                                               "prepend_scheme": "first"}),
    ("metaspace_str_rep_number", {"type": "Metaspace", "replacement": "▁", "str_rep": 5}),
    ("metaspace_split_string", {"type": "Metaspace", "replacement": "▁", "split": "yes"}),
    ("wordpiece_missing_cleanup", {"type": "WordPiece", "prefix": "##"}),
    ("wordpiece_int_cleanup", {"type": "WordPiece", "prefix": "##", "cleanup": 1}),
    ("bpe_decoder_missing_suffix", {"type": "BPEDecoder"}),
    ("bpe_decoder_null_suffix", {"type": "BPEDecoder", "suffix": None}),
    ("strip_negative", {"type": "Strip", "content": "a", "start": -1, "stop": 0}),
    ("strip_float", {"type": "Strip", "content": "a", "start": 1.0, "stop": 0}),
    ("strip_two_chars", {"type": "Strip", "content": "ab", "start": 1, "stop": 0}),
    ("strip_missing_stop", {"type": "Strip", "content": "a", "start": 1}),
    ("replace_two_patterns", {"type": "Replace", "pattern": {"String": "a", "Regex": "b"}, "content": "Z"}),
    ("replace_plain_string_pattern", {"type": "Replace", "pattern": "a", "content": "Z"}),
    ("replace_bad_regex", {"type": "Replace", "pattern": {"Regex": "("}, "content": "Z"}),
    ("replace_missing_content", {"type": "Replace", "pattern": {"String": "a"}}),
    ("replace_null_content", {"type": "Replace", "pattern": {"String": "a"}, "content": None}),
    ("sequence_missing", {"type": "Sequence"}),
    ("sequence_null", {"type": "Sequence", "decoders": None}),
    ("sequence_bad_child", {"type": "Sequence", "decoders": [{"type": "Fuse"}, {"type": "Nope"}]}),
    ("sequence_without_type", {"decoders": []}),
    ("ctc_missing_fields", {"type": "CTC"}),
    ("wrong_type_for_fields", {"type": "WordPiece", "suffix": "x"}),
]

# Accepted by tokenizers, refused by attnlab: Replace with a regular expression beyond a literal.
REFUSED_BY_ATTNLAB = [
    ("replace_real_regex", {"type": "Replace", "pattern": {"Regex": "a|b"}, "content": "X"}),
    ("replace_regex_class", {"type": "Replace", "pattern": {"Regex": "\\s+"}, "content": " "}),
]

# Decoding errors (tokenizers panics): Strip asked to cut more than the token holds.
PANIC_LISTS = [
    ("strip_x", [["xx"], ["x"], [""], ["xa", ""]]),
    ("strip_underscore_many", [["_"], ["__"], [""], ["a_"]]),
    ("sequence_bytelevel_then_strip", [[], [" "]]),
    ("llama_sequence", [[], ["▁"]]),
]


def decode_one(tok, tokens):
    try:
        return {"tokens": tokens, "text": tok.decoder.decode(tokens)}
    except BaseException as e:  # noqa: BLE001 - PanicException
        return {"tokens": tokens, "error": error_text(e)}


def decoder_fixture():
    out = {"generator": "tools/make_bpe_decoder_fixtures.py", "tokenizers_version": tokenizers.__version__,
           "decoders": [], "refused": [], "refused_by_attnlab": []}
    extra = dict(PANIC_LISTS)
    for name, d in decoder_configs():
        tok = Tokenizer.from_str(wrap(decoder=d))
        serialized = json.loads(tok.to_str())["decoder"]
        lists = TOKEN_LISTS_GENERIC + extra.get(name, [])
        out["decoders"].append({"name": name, "decoder": d, "serialized": serialized,
                                "cases": [decode_one(tok, t) for t in lists]})
    for name, d in REFUSED_DECODERS:
        try:
            Tokenizer.from_str(wrap(decoder=d))
            out["refused"].append({"name": name, "decoder": d, "accepted_by_tokenizers": True})
        except BaseException as e:  # noqa: BLE001
            out["refused"].append({"name": name, "decoder": d, "error": error_text(e)})
    for name, d in REFUSED_BY_ATTNLAB:
        Tokenizer.from_str(wrap(decoder=d))  # tokenizers takes it
        out["refused_by_attnlab"].append({"name": name, "decoder": d})
    # No decoder: Tokenizer.decode joins the tokens with single spaces.
    vocab = {t: i for i, t in enumerate(["Hello", "▁world", "##ing", "<0x41>", "Ġx", "", " "])}
    tok = Tokenizer.from_str(wrap(model={"type": "BPE", "vocab": vocab, "merges": []}))
    none_cases = []
    for ids in ([], [0], [0, 1, 2], [3, 4, 5, 6], [5, 5], [6, 0, 6]):
        none_cases.append({"tokens": [tok.id_to_token(i) for i in ids], "text": tok.decode(ids)})
    out["no_decoder"] = none_cases
    return out


def write(path, obj):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, ensure_ascii=False, indent=None, separators=(",", ":")) + "\n",
                    encoding="utf-8")
    print("wrote %s (%d bytes)" % (path.relative_to(ROOT), path.stat().st_size))


def main():
    bpe = bpe_fixture()
    dec = decoder_fixture()
    n_bpe = sum(len(m["cases"]) for m in bpe["models"])
    n_real = sum(len(m["cases"]) for m in bpe["real_models"])
    n_dec = sum(len(d["cases"]) for d in dec["decoders"])
    print("BPE: %d models, %d tokenize cases (+%d real-model), %d refused; decoders: %d configs, %d cases, "
          "%d refused" % (len(bpe["models"]), n_bpe, n_real, len(bpe["refused"]), len(dec["decoders"]), n_dec,
                          len(dec["refused"])))
    write(OUT / "bpe_cases.json", bpe)
    write(OUT / "decoder_cases.json", dec)


if __name__ == "__main__":
    main()

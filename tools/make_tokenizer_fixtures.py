#!/usr/bin/env python3
"""Writes the tokenizer golden fixtures from the real Hugging Face `tokenizers` library.

    tools/.venv/bin/python tools/make_tokenizer_fixtures.py [models/all-MiniLM-L6-v2]

Outputs, under tests/fixtures/:
  tokenizer_cases.json         ~300 strings (and pairs, truncation cases, invalid UTF-8 bytes) encoded by
                               the model's own tokenizer.json: tokens, ids, type ids, truncated
  tokenizer_cased/tokenizer.json  the same tokenizer with lowercase=False, strip_accents=False and added
                               tokens exercising lstrip / rstrip / single_word / normalized
  tokenizer_cased_cases.json   the same strings encoded by that second tokenizer
  tokenizer_codepoints.json    BertNormalizer output for every code point (both configurations) and the
                               pre-tokenizer's whitespace and punctuation sets

Invalid UTF-8 inputs are stored hex-encoded ("text_hex"); their expected encoding is that of
bytes.decode("utf-8", errors="replace"), which is what attnlab promises to match.
It also checks that transformers' BertTokenizer built from vocab.txt + tokenizer_config.json (the
other loading path of attnlab) gives the same ids for every case.
"""
import json
import pathlib
import random
import shutil
import sys
import tempfile

import tokenizers
from tokenizers import AddedToken, Tokenizer, normalizers, pre_tokenizers

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "fixtures"


def long_word(n):
    return ("abcdefghij" * 11)[:n]


TEXTS = [
    # The notebook's sentences and plain English.
    "The cat sat on the mat.",
    "Students learn faster when examples are visual and interactive.",
    "Hello, world!",
    "hello world",
    "HELLO WORLD",
    "I can't believe it's not butter!",
    "Don't stop-believing; it's 3:45 p.m. (maybe).",
    "unaffable",
    "Transformers are state-of-the-art models for NLP.",
    "The quick brown fox jumps over the lazy dog.",
    "attention is all you need",
    "tokenization tokenizer tokenizers tokenizing",
    "supercalifragilisticexpialidocious",
    "antidisestablishmentarianism",
    "pneumonoultramicroscopicsilicovolcanoconiosis",
    "xyzzyplugh qwertyuiop zxcvbnm",
    "a",
    "A",
    "I",
    ".",
    "...",
    "?!",
    "#hashtag @mention $100 100% a&b a*b a+b=c ~tilde `tick` ^caret |pipe| \\back/slash",
    "(parentheses) [brackets] {braces} <angles>",
    "\"double\" 'single' \u201ccurly\u201d \u2018quotes\u2019 \u00abguillemets\u00bb \u201elow\u201c",
    "em\u2014dash en\u2013dash minus\u2212sign hyphen\u2010here",
    "ellipsis\u2026 bullet\u2022 dagger\u2020 section\u00a7 pilcrow\u00b6",
    "\u00bfQu\u00e9? \u00a1Hola!",
    # Accents.
    "caf\u00e9",
    "Caf\u00e9",
    "CAF\u00c9",
    "cafe\u0301",
    "na\u00efve",
    "\u00c5ngstr\u00f6m",
    "\u212bngstr\u00f6m",
    "r\u00e9sum\u00e9 fa\u00e7ade jalape\u00f1o pi\u00f1ata cr\u00e8me br\u00fbl\u00e9e",
    "Z\u00fcrich M\u00fcnchen K\u00f6ln D\u00fcsseldorf",
    "S\u00e3o Paulo, Bras\u00edlia, Cura\u00e7ao",
    "\u0141\u00f3d\u017a Gda\u0144sk \u017b\u00f3\u0142w",
    "\u010ce\u0161k\u00fd Krumlov \u0159e\u0159icha",
    "stra\u00dfe STRASSE Stra\u00dfe",
    "\u1e9e capital sharp s",
    "\u0130stanbul \u0131\u015f\u0131k",
    "\u0130",
    "d\u0307 \u0130\u0307",
    "\u01c5 \u01c4 \u01c6 dz",
    "\u1e69 \u1e0b\u0323 q\u0307\u0323",
    "a\u0301\u0302\u0303\u0304\u0305",
    "\u0301leading combining mark",
    "e\u0301\u0327 c\u0327\u0301",
    "\u00f8 \u00d8 \u00e6 \u00c6 \u0153 \u0152 \u00f0 \u00de \u00fe",
    "Vi\u1ec7t Nam Ti\u1ebfng Vi\u1ec7t",
    # CJK, Hangul, kana.
    "\u4e2d\u6587",
    "\u6211\u7231\u5317\u4eac\u5929\u5b89\u95e8",
    "\u4eca\u5929\u5929\u6c14\u5f88\u597d\u3002",
    "mixed\u4e2d\u6587text",
    "\u3400\u4dbf \U00020000 \U0002a6df \U0002b740 \U0002b820 \U0002b920 \U0002ceaf \U0002ebe0 \U00030000",
    "\uf900\ufaff \U0002f800 \U0002fa1f",
    "\u2e80 \u2f00 \u3005 \u3007 \u3021",
    "\ud55c\uad6d\uc5b4",
    "\uc548\ub155\ud558\uc138\uc694 \uc138\uacc4",
    "\u1100\u1161\u11a8 \u3131\u314f",
    "\u3053\u3093\u306b\u3061\u306f",
    "\u30ab\u30bf\u30ab\u30ca \u30b3\u30fc\u30d2\u30fc",
    "\u65e5\u672c\u8a9e\u306e\u6587\u7ae0\u3067\u3059\u3002",
    "\uff76\uff80\uff76\uff85 \uff8a\uff9f\uff8b\uff9f",
    "\u304c\u3071 \u304b\u3099\u306f\u309a",
    # Emoji.
    "\U0001f600",
    "I love \U0001f355 and \U0001f680!",
    "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466",
    "\U0001f3f3\ufe0f\u200d\U0001f308",
    "\U0001f1fa\U0001f1f8 \U0001f1ef\U0001f1f5 \U0001f1e9\U0001f1ea",
    "\U0001f44d\U0001f3fd \U0001f44b\U0001f3ff",
    "\u2764\ufe0f \u2764 \u263a\ufe0f",
    "\U0001f972 \U0001fae0 \U0001fa77",
    "\U0001f3f4\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f",
    "1\ufe0f\u20e3 #\ufe0f\u20e3",
    "\u00a9 \u00ae \u2122 \u2603 \u2600",
    # Control and zero-width characters.
    "hello\x00world",
    "hello\x01\x02\x03world",
    "tab\x0bvertical\x0cform",
    "del\x7fete",
    "nel\x85line",
    "c1\x80\x9fcontrols",
    "zero\u200bwidth",
    "zero\u200cnon\u200djoiner",
    "\ufeffbom at start",
    "bom\ufeffinside",
    "soft\u00adhyphen",
    "lrm\u200erlm\u200f",
    "bidi\u202aembed\u202c \u2066isolate\u2069",
    "word\u2060joiner",
    "replacement\ufffdchar",
    "private\ue000use\uf8ff",
    "\U000f0000 plane 15 \U00100000",
    "\U000e0001\U000e0020tags",
    "mongolian\u180evowel",
    "arabic\u0600\u061cmarks",
    "unassigned\u0378\U000e01f0",
    "noncharacter\ufdd0\uffff",
    "\u0890\u0891 \u08e2 \U000110cd \U00013430",
    # Full-width, ligatures, compatibility characters.
    "\uff28\uff45\uff4c\uff4c\uff4f\uff0c\u3000\uff37\uff4f\uff52\uff4c\uff44\uff01",
    "\uff11\uff12\uff13",
    "\ufb01nance \ufb02ow \ufb00 \ufb03 \ufb04",
    "\u2160 \u2161 \u2162 \u216b",
    "\u2460 \u2461 \u24b6 \u24d0",
    "x\u00b2 + y\u00b3 = z\u2074",
    "\u00bd \u00bc \u2153",
    "\u2126 \u212a \u2128",
    "\u1d2c\u1d2e \u02b0",
    # Other scripts.
    "\u0395\u03bb\u03bb\u03b7\u03bd\u03b9\u03ba\u03ac",
    "\u039f\u0394\u039f\u03a3 \u03bf\u03b4\u03bf\u03c2 \u03a3\u03a3",
    "\u1f00\u03c1\u03c7\u1f74 \u1f08\u03a1\u03a7\u0397",
    "\u041f\u0440\u0438\u0432\u0435\u0442, \u043c\u0438\u0440!",
    "\u0401\u043b\u043a\u0430 \u0439\u043e\u0434",
    "\u0423\u043a\u0440\u0430\u0457\u043d\u0430 \u0491\u0430\u043d\u043e\u043a",
    "\u0645\u0631\u062d\u0628\u0627 \u0628\u0627\u0644\u0639\u0627\u0644\u0645",
    "\u0627\u0644\u0652\u0639\u064e\u0631\u064e\u0628\u0650\u064a\u064e\u0651\u0629",
    "\u0661\u0662\u0663 \u06f1\u06f2\u06f3",
    "\u05e9\u05dc\u05d5\u05dd \u05e2\u05d5\u05dc\u05dd",
    "\u05e9\u05b8\u05c1\u05dc\u05d5\u05b9\u05dd",
    "\u0928\u092e\u0938\u094d\u0924\u0947 \u0926\u0941\u0928\u093f\u092f\u093e",
    "\u0939\u093f\u0928\u094d\u0926\u0940 \u0915\u093c\u093e",
    "\u0e2a\u0e27\u0e31\u0e2a\u0e14\u0e35\u0e04\u0e23\u0e31\u0e1a",
    "\u0e20\u0e32\u0e29\u0e32\u0e44\u0e17\u0e22",
    "\u10e5\u10d0\u10e0\u10d7\u10e3\u10da\u10d8",
    "\u0540\u0561\u0575\u0565\u0580\u0565\u0576",
    "\u12a0\u121b\u122d\u129b",
    "\u0baa\u0bcb\u0bb2\u0bcd \u0ba4\u0bae\u0bbf\u0bb4\u0bcd",
    "\u0d2e\u0d32\u0d2f\u0d3e\u0d33\u0d02",
    "\u1780\u1798\u17d2\u1796\u17bb\u1787\u17b6",
    "\u0f56\u0f7c\u0f51\u0f0b\u0f61\u0f72\u0f42",
    "\u13e3\u13b3\u13a9",
    "\U00010330\U00010331\U00010332",
    "\U0001d400\U0001d401 \U0001d538",
    "\u166d\u166e \u2e43\u2e4f \U00011944",
    "\u1734 \u07fd \u0898",
    "\U00011938 \U00011935\U00011930",
    "\ua7cb \u1c89 \U00010d50 \U00016ea0",
    # URLs, e-mails, numbers, code.
    "https://www.example.com/path?query=value&x=1#frag",
    "http://localhost:8080/api/v1/users/42",
    "ftp://files.example.org/pub/README.txt",
    "Visit www.huggingface.co/docs for more.",
    "john.doe@example.com",
    "Contact: first.last+tag@sub.domain.co.uk",
    "1,234,567.89",
    "3.14159",
    "-42 +7 1e10 0x1F 0b1010",
    "$1,000,000 \u20ac20 \u00a330 \u00a5400 \u20b9500",
    "12:30pm 2024-01-15 15/01/2024",
    "+1 (555) 123-4567",
    "v1.2.3-beta+build.5",
    "def f(x): return x**2  # square",
    "for (int i = 0; i < n; ++i) { sum += a[i]; }",
    "<html><body class=\"x\">Hi</body></html>",
    "{\"key\": [1, 2, 3], \"ok\": true}",
    "snake_case_name camelCaseName PascalCase kebab-case",
    "C++ C# F# .NET node.js",
    "e.g. i.e. etc. Mr. Dr. U.S.A.",
    "#1 #2 no.3",
    # Word length limits (max_input_chars_per_word = 100).
    long_word(99),
    long_word(100),
    long_word(101),
    "x " + long_word(100) + " y",
    "x " + long_word(101) + " y",
    "\u00e9" * 100,
    "\u00e9" * 101,
    "e\u0301" * 60,
    "\u4e2d" * 150,
    "a" * 200,
    "ab" * 50 + "." + "cd" * 51,
    # Literal special tokens.
    "[CLS]",
    "[SEP]",
    "[MASK]",
    "[PAD]",
    "[UNK]",
    "[cls]",
    "[mask]",
    "[Mask]",
    "[CLS]hello",
    "hello[SEP]",
    "a[SEP]b",
    "The [MASK] sat on the mat.",
    "[CLS] the cat [SEP] the dog [SEP]",
    "[CLS][SEP][MASK][PAD][UNK]",
    "[[MASK]]",
    "[MASK[MASK]]",
    "[ MASK ]",
    "[MASK ]",
    "word [MASK] word",
    "word  [MASK]  word",
    "\t[MASK]\n",
    "\u00a0[MASK]\u00a0",
    "x[MASK]y",
    "[MASK]ed",
    "[UNK]nown",
    "[SEP] [SEP]",
    "[CLS]\u4e2d[SEP]",
    "[\u200bMASK]",
    "[M\u0301ASK]",
    "\uff3bMASK\uff3d",
    # Added tokens of the cased fixture tokenizer (lstrip / rstrip / single_word / normalized).
    "<e1>Paris</e1> is in <e1>France</e1>",
    "x<e1>y <E1>",
    "attn attn-map xattn attn_x  attn\tattn",
    "attné éattn attń attnⒶ Ⓐattn 1attn attn2",
    "Straße Straßenbahn Hauptstraße STRASSE (Straße)",
    "中文 中文字 文中",
    "a [MASK]b [SEP] c [SEP]d [UNK] e[UNK] [UNK]f",
    "[SEP]   [SEP]　[MASK]　[MASK]",
    # Empty and whitespace.
    "",
    " ",
    "   ",
    "\t",
    "\n",
    "\r\n",
    " \t\n\r ",
    "\u00a0",
    "\u3000",
    "\u2028",
    "\u2029",
    "\u0085",
    "\u200b",
    "\ufeff",
    "\x00",
    "\ufffd",
    "\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f",
    "tab\tseparated\tvalues",
    "line one\nline two\r\nline three\rfour",
    "multiple   spaces    here",
    "  leading and trailing  ",
    "non\u00a0breaking\u00a0space",
    "ideographic\u3000space",
    "line\u2028separator paragraph\u2029separator",
    "next\u0085line",
    "thin\u2009space narrow\u202fnbsp",
    "figure\u2007space",
]

PAIRS = [
    ("The cat sat on the mat.", "Students learn faster when examples are visual and interactive."),
    ("Hello, world!", "How are you?"),
    ("", "only the second"),
    ("only the first", ""),
    ("", ""),
    ("only the first", "  "),  # whitespace is a pair (truthy in Python): [CLS] A [SEP] [SEP]
    ("[MASK] is here", "and [SEP] there"),
    ("caf\u00e9 \u4e2d\u6587", "\U0001f600 \u0130stanbul"),
]

# (text, pair, max_length)
TRUNCATIONS = [
    ("The cat sat on the mat.", "Students learn faster when examples are visual and interactive.", 8),
    ("Students learn faster when examples are visual and interactive.", "The cat sat on the mat.", 8),
    ("a b c d e f g h", "i j", 8),
    ("a b", "c d e f g h i j", 8),
    ("a b c", "d e f", 8),
    ("a b c d", "e f g h", 9),
    ("a b c d e", "f g h i j", 10),
    ("hello", "world", 8),
    ("a b c d e", "f g h i j", 3),
    ("a b c d e", "f g h i j", 4),
    ("a b c d e", "f g h i j", 2),
    ("a b c d e", "", 6),
    ("", "a b c d e", 6),
    ("The cat sat on the mat.", None, 5),
    ("The cat sat on the mat.", None, 8),
    ("The cat sat on the mat.", None, 9),
    ("The cat sat on the mat.", None, 3),
    ("The cat sat on the mat.", None, 2),
    ("The cat sat on the mat.", None, 1),
    ("supercalifragilisticexpialidocious", None, 4),
    ("[MASK] [MASK] [MASK]", None, 4),
]

INVALID_UTF8 = [
    b"\xff",
    b"abc\xffdef",
    b"\xc3\x28",
    b"\xc3",
    b"caf\xc3",
    b"\xe2\x82",
    b"\xe2\x82(\xe2\x82\xac",
    b"\xf0\x9f\x98",
    b"\xf0\x9f\x98\x80\xf0\x9f",
    b"\xed\xa0\x80",
    b"\xed\xa0\x80\xed\xb0\x80",
    b"\xc0\xaf",
    b"\xe0\x80\xaf",
    b"\xf4\x90\x80\x80",
    b"\xf8\x88\x80\x80\x80",
    b"\x80\x81\x82 continuation",
    b"ok \xfe\xfe [MASK]\xff",
    b"[MA\xffSK]",
    b"hello\xc2world",
    b"\xe4\xb8\xad\xe6\x96",
]

RANDOM_POOL = (
    list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") * 3
    + list(" \t\n.,;:!?'\"()[]{}-_/\\@#$%^&*+=<>|~`") * 2
    + list("\u00e9\u00c9\u00e0\u00fc\u00df\u00f1\u00e7\u00c5\u0130\u0131\u03a3\u03c3\u03c2\u0416\u0436\u00a0\u3000")
    + list("\u0301\u0308\u0327\u0323\u0307\u05b8\u064e\u093c")
    + list("\u4e2d\u6587\u5b57\ud55c\uae00\u3042\u30a2\uff21\uff41\ufb01\u2160\u00bd")
    + ["\U0001f600", "\U0001f468\u200d\U0001f469", "\u200b", "\u200d", "\ufeff", "\x00", "\x07", "\x85", "\ufffd",
       "\ue000", "[MASK]", "[SEP]", "[CLS]", "[UNK]", "[PAD]", "[mask]", "##", "\u2028", "\U000e0041"]
)


def random_texts(n, seed=1234):
    rng = random.Random(seed)
    return ["".join(rng.choice(RANDOM_POOL) for _ in range(rng.randint(1, 40))) for _ in range(n)]


def load(path):
    tok = Tokenizer.from_file(str(path))
    tok.no_padding()
    tok.no_truncation()
    return tok


def encode(tok, text, pair, max_length):
    if max_length:
        tok.enable_truncation(max_length=max_length, strategy="longest_first")
    else:
        tok.no_truncation()
    enc = tok.encode(text, pair) if pair is not None else tok.encode(text)
    tok.no_truncation()
    return enc


def all_inputs():
    """(case fields, text, pair, max_length): everything the fixtures cover."""
    for t in TEXTS + random_texts(60):
        yield {"text": t}, t, None, 0
    for a, b in PAIRS:
        yield {"text": a, "pair": b}, a, b, 0
    for a, b, n in TRUNCATIONS:
        fields = {"text": a, "max_length": n}
        if b is not None:
            fields["pair"] = b
        yield fields, a, b, n
    for raw in INVALID_UTF8:
        yield {"text_hex": raw.hex()}, raw.decode("utf-8", errors="replace"), None, 0
    yield ({"text_hex": INVALID_UTF8[1].hex(), "pair_hex": INVALID_UTF8[6].hex(), "max_length": 7},
           INVALID_UTF8[1].decode("utf-8", errors="replace"), INVALID_UTF8[6].decode("utf-8", errors="replace"), 7)


def make_cases(tok):
    cases = []
    for fields, text, pair, max_length in all_inputs():
        # transformers' tokenizer(a, "") drops an empty pair (`if text_pair`): [CLS] A [SEP], type ids 0.
        # tokenizers' encode(a, "") would keep it ([CLS] A [SEP] [SEP]); attnlab follows transformers'
        # call, which check_vocab_txt_path confirms case by case.
        enc = encode(tok, text, None if pair == "" else pair, max_length)
        case = dict(fields)
        case.update(tokens=enc.tokens, ids=enc.ids, type_ids=enc.type_ids,
                    word_ids=[-1 if w is None else w for w in enc.word_ids],
                    truncated=len(enc.overflowing) > 0)
        cases.append(case)
    return cases


def write_json(path, obj):
    path.write_text(json.dumps(obj, ensure_ascii=True, indent=None, separators=(",", ":")) + "\n")
    print(f"wrote {path.relative_to(ROOT)} ({path.stat().st_size // 1024} kB)")


def make_cased_tokenizer(model_dir):
    """The model's tokenizer with lowercase=False, strip_accents=False and flagged added tokens."""
    spec = json.loads((model_dir / "tokenizer.json").read_text())
    spec["normalizer"]["lowercase"] = False
    spec["normalizer"]["strip_accents"] = False
    tok = Tokenizer.from_str(json.dumps(spec))
    tok.no_padding()
    tok.no_truncation()
    tok.add_special_tokens([
        AddedToken("[MASK]", lstrip=True, rstrip=True, normalized=False, special=True),
        AddedToken("[UNK]", single_word=True, normalized=False, special=True),
        AddedToken("[SEP]", rstrip=True, normalized=False, special=True),
    ])
    tok.add_tokens([
        AddedToken("<e1>", normalized=True),
        AddedToken("Stra\u00dfe", normalized=True, single_word=True),
        AddedToken("attn", single_word=True, lstrip=True, normalized=False),
        AddedToken("\u4e2d\u6587", normalized=True),
    ])
    return tok


def codepoint_sweep(options):
    """Every code point's BertNormalizer output, as runs of kinds plus explicit outputs."""
    norm = normalizers.BertNormalizer(**options)
    runs, explicit = [], []
    for c in range(0x110000):
        if 0xD800 <= c <= 0xDFFF:
            continue
        ch = chr(c)
        out = norm.normalize_str(ch)
        kind = {ch: "same", "": "drop", " ": "space", " " + ch + " ": "pad"}.get(out)
        if kind is None:
            explicit.append([c, out])
            continue
        if runs and runs[-1][2] == kind and runs[-1][1] == c - 1:
            runs[-1][1] = c
        else:
            runs.append([c, c, kind])
    return {"options": options, "runs": runs, "explicit": explicit}


def pre_tokenizer_sets():
    pre = pre_tokenizers.BertPreTokenizer()
    whitespace, punctuation = [], []
    for c in range(0x110000):
        if 0xD800 <= c <= 0xDFFF:
            continue
        n = len(pre.pre_tokenize_str("a" + chr(c) + "a"))
        target = whitespace if n == 2 else punctuation if n == 3 else None
        if target is None:
            continue
        if target and target[-1][1] == c - 1:
            target[-1][1] = c
        else:
            target.append([c, c])
    return {"whitespace": whitespace, "punctuation": punctuation}


def check_vocab_txt_path(model_dir, cases):
    """transformers' BertTokenizer from vocab.txt + tokenizer_config.json must give the same ids."""
    from transformers import BertTokenizer
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("vocab.txt", "tokenizer_config.json", "special_tokens_map.json"):
            shutil.copy(model_dir / name, tmp)
        hf = BertTokenizer.from_pretrained(tmp)
    bad = 0
    for (fields, text, pair, max_length), case in zip(all_inputs(), cases):
        kw = {"truncation": "longest_first", "max_length": max_length} if max_length else {}
        enc = hf(text, pair, **kw) if pair is not None else hf(text, **kw)
        if enc["input_ids"] != case["ids"] or enc["token_type_ids"] != case["type_ids"]:
            bad += 1
            print("vocab.txt path differs:", fields, enc["input_ids"], case["ids"], file=sys.stderr)
    print(f"transformers BertTokenizer from vocab.txt: {len(cases) - bad}/{len(cases)} cases agree "
          f"(ids and token type ids, empty pairs included)")
    return bad == 0


def main():
    model_dir = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "models" / "all-MiniLM-L6-v2")
    tok = load(model_dir / "tokenizer.json")
    cases = make_cases(tok)
    write_json(OUT / "tokenizer_cases.json", {
        "generator": "tools/make_tokenizer_fixtures.py", "tokenizers_version": tokenizers.__version__,
        "model": model_dir.name, "vocab_txt_agrees": check_vocab_txt_path(model_dir, cases), "cases": cases})

    cased = make_cased_tokenizer(model_dir)
    (OUT / "tokenizer_cased").mkdir(exist_ok=True)
    cased.save(str(OUT / "tokenizer_cased" / "tokenizer.json"), pretty=False)
    cased = load(OUT / "tokenizer_cased" / "tokenizer.json")
    write_json(OUT / "tokenizer_cased_cases.json", {
        "generator": "tools/make_tokenizer_fixtures.py", "tokenizers_version": tokenizers.__version__,
        "model": "tokenizer_cased", "vocab_size": cased.get_vocab_size(with_added_tokens=True),
        "cases": make_cases(cased)})

    uncased = dict(clean_text=True, handle_chinese_chars=True, strip_accents=True, lowercase=True)
    cased_opts = dict(clean_text=True, handle_chinese_chars=True, strip_accents=False, lowercase=False)
    write_json(OUT / "tokenizer_codepoints.json", {
        "generator": "tools/make_tokenizer_fixtures.py", "tokenizers_version": tokenizers.__version__,
        "normalizers": [codepoint_sweep(uncased), codepoint_sweep(cased_opts)],
        "pre_tokenizer": pre_tokenizer_sets()})


if __name__ == "__main__":
    main()

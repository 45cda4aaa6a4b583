#!/usr/bin/env python3
"""Writes tests/fixtures/tokenizers/regex_cases.json.gz: the matches Hugging Face `tokenizers` (its
Oniguruma, onig's find_iter) finds for tokenizer.json patterns, for tests/text/regex_test.cpp.

    tools/.venv/bin/python tools/make_regex_fixtures.py

The Python binding gives no match spans directly, so they are recovered from two calls on the same
regex: NormalizedString.split(regex, "isolated") gives every piece in order (the matches, empty ones
included, and the non-empty gaps between them), and NormalizedString.replace(regex, MARKER) gives the
gaps alone, one marker for each match. Offsets are stored in bytes of the UTF-8 text.

Contents:
  patterns  the known pre-tokenizer splits (GPT-2, Llama 3, Qwen2) and other real or testing patterns
            (empty matches, lookarounds, Oniguruma-only syntax that the translation must carry over)
  texts     ~500 strings: English, code, digits, whitespace runs, CJK, Arabic, Hindi, emoji, marks,
            contractions in all cases, characters assigned after Unicode 14
  cases     spans[pattern][text], flat [start, end, start, end, ...]
  sweeps    patterns run over texts made of every code point (the C++ test rebuilds the texts from
            "template": each code point but surrogates and U+10FFFF, in order, put in the template's {})
  onig_errors  patterns Oniguruma rejects (attnlab must reject them too)
  random    ~400 random patterns over the constructs the translation handles (classes nested and
            intersected, properties, anchors, lookarounds, (?i) (?m), every quantifier form), each with
            8 random texts and Oniguruma's spans, or its error
"""
import gzip
import json
import pathlib
import random
import sys

import tokenizers
from tokenizers import NormalizedString, Regex

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "fixtures" / "tokenizers" / "regex_cases.json.gz"
MARKERS = ["\U0010FFFF", "\U0010FFFE", "\uFFFF"]
SWEEP_CODEPOINTS = [c for c in range(0x10FFFF) if not 0xD800 <= c <= 0xDFFF]

GPT2 = r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"
LLAMA3 = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
          r"|\s*[\r\n]+|\s+(?!\S)|\s+")
QWEN2 = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
         r"|\s*[\r\n]+|\s+(?!\S)|\s+")
GPT4O = (r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?"
         r"|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?"
         r"|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+")
TEKKEN = (r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+"
          r"|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*"
          r"|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+")
DEEPSEEK = (r"[!\"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~][A-Za-z]+|[^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+"
            r"| ?[\p{P}\p{S}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")

PATTERNS = [
    ("gpt2", GPT2), ("llama3", LLAMA3), ("qwen2", QWEN2), ("gpt4o", GPT4O), ("tekken", TEKKEN),
    ("deepseek", DEEPSEEK),
    ("bloom", r" ?[^(\s|[.,!?…。，、।۔،])]+"),  # a nested class inside a class (BLOOM's Split)
    ("deepseek_cjk", r"[一-龥぀-ゟ゠-ヿ]+"), ("digits3", r"\p{N}{1,3}"), ("digit", r"\p{N}"),
    ("spaces2", r" {2,}"), ("strip", r"\A +| +\z"), ("metaspace_start", r"\A▁"), ("whitespace", r"\s+"),
    ("newline", r"[\r\n]"), ("trailing_space", r"\s+$"), ("line_start", r"^"), ("line_end", r"$"),
    ("escaped_dot", r"\."), ("escaped_string", r"a\+b\&\-\~\#"), ("word", r"\w+|[^\w\s]+"),
    ("word_boundary", r"\b"), ("not_boundary", r"\B\w"), ("star", r"a*"), ("optional", r"x?"),
    ("space_star", r"\s*"), ("lookahead_upper", r"(?=\p{Lu})"), ("letter_digit", r"(?<=\p{L})(?=\p{N})"),
    ("not_followed", r"\s+(?!\S)"), ("caseless_class", r"(?i)[a-z]+"), ("decimal", r"\d+"), ("hex", r"\h+"),
    ("posix_punct", r"[[:punct:]]+"), ("intersection", r"[\p{L}&&[^\p{Lu}]]+"), ("han", r"\p{Han}+"),
    ("dot", r"."), ("dotall", r"(?m).+"), ("general_newline", r"\R"), ("space_not_newline", r"[^\S\n]+"),
    ("inline_option", r"a(?i)b|c"), ("lazy", r"<.+?>"), ("possessive", r"\p{L}++"),
    ("interval_low", r"\d{,2}"), ("fixed_optional", r"\d{2}?"), ("unicode_escapes", r"\x41|\x{3042}|\u00e9|\101|\o{102}"),
    ("caseless_contractions", r"(?i:'s|'t|'re|'ve|'m|'ll|'d)"), ("not_letter", r"\P{L}+"), ("negated_prop", r"\p{^N}+"),
    ("vtab", r"\v"), ("keep", r"a\Kb"), ("atomic", r"(?>\s+)\S"), ("alnum_class", r"[\w&&\D]+"),
]
SWEEP_PATTERNS = [GPT2, LLAMA3, QWEN2, GPT4O, TEKKEN, DEEPSEEK] + [
    r"\p{L}+", r"\p{N}+", r"\s+", r"\S+", r"[^\s\p{L}\p{N}]+", r"[^\r\n\p{L}\p{N}]+", r"\w+", r"\W+", r"\d+", r"\h+",
    r"\p{Lu}+", r"\p{Ll}+", r"\p{Lt}+", r"\p{Lm}+", r"\p{Lo}+", r"\p{M}+", r"\p{Mn}+", r"\p{Mc}+", r"\p{Me}+",
    r"\p{Nd}+", r"\p{Nl}+", r"\p{No}+", r"\p{P}+", r"\p{S}+", r"\p{Z}+", r"\p{C}+", r"\p{Cn}+", r"\p{Co}+",
    r"\p{Han}+", r"\p{Latin}+", r"\p{Common}+", r"\p{Alpha}+", r"\p{Word}+", r"\p{Emoji}+", r"[[:punct:]]+",
    r"[[:alpha:]]+", r"[[:space:]]+", r"\P{L}+", r"[\p{L}\p{M}]+", r"[\p{P}\p{S}]+", r"\b", r"(?i)[a-z]+",
]
SWEEP_CONTRACTIONS = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)"
SWEEP_TEMPLATES = ["'{}\n", "'{}e\n", "'r{}\n", "'{}l\n", "'l{}\n"]

ONIG_ERRORS = [r"(", r"[a", r"a{2,1}+x)", r"*a", r"\p{NoSuchProperty}", r"[b-a]", r"(?<=a+)b(", r"\1", r"[]"]

WORDS = ("the quick brown fox jumps over the lazy dog I'm you're we've they'll she'd it's don't can't "
         "HELLO World CamelCase snake_case kebab-case naïve café résumé Straße ſtraße Ǆemal ǅemal").split()
PIECES = [
    " ", "  ", "   ", "\t", "\t\t", "\n", "\n\n", "\r\n", "\r\n\r\n", "\r", " \n", "\n ", " \r\n ", "\u00a0",
    "\u3000", "\u2028", "\u2029", "\u0085", "\u180e", "\u200b", "\u000b", "\u000c", "\u1680", "\u202f",
    "0", "7", "42", "123", "1234", "12345", "3.14", "1,000", "٣٤٥", "१२३", "Ⅻ", "½", "²", "①", "𝟙",
    "'s", "'S", "'t", "'T", "'re", "'RE", "'Re", "'ve", "'VE", "'m", "'M", "'ll", "'LL", "'Ll", "'d", "'D",
    "'ſ", "'x", "''", "'", "’s", "I'LL", "don'T", "WE'RE", "you'Ve", " 's", "''s",
    "中文", "日本語", "ひらがな", "カタカナ", "한국어", "漢字かな交じり", "𠀀𠀁", "\U00031350\U00031351", "\U0002EBF0",
    "مرحبا بالعالم", "السلام", "हिन्दी", "नमस्ते", "ไทย", "Ελληνικά", "Русский", "עברית",
    "👋", "👨‍👩‍👧‍👦", "🏳️‍🌈", "👍🏽", "❤️", "🇫🇷", "e\u0301", "a\u0308\u0304", "\u0301", "\u0345", "\u20dd",
    "\U0001E5D0\U0001E5D1", "\U000105C0", "\U00016D40", "\U00011F04", "\u1c89", "\ua7cb", "\U0001CCF0\U0001CCF1",
    "\U00010D40\U00010D41", "\U0001FAE8", "\u2427", "\U00011380",
    "def f(x):", "    return x**2", "if (a && b) { c++; }", "x = [1, 2, 3]", "#include <vector>", "// comment",
    "http://example.com/a?b=c&d=e", "user@example.com", "$100", "50%", "a+b", "a.b", "...", "!!!", "?!", "—", "–",
    "«quote»", "“quoted”", "(paren)", "[bracket]", "{brace}", "<tag>", "a&b", "a-b~c#d", "_", "__init__",
    "\x00", "\x01", "\x7f", "\ufeff", "\ufffd", "\ue000", "\U000F0000", "\U0010FFFD", "\U0010FFFF", "ÿ", "ß", "ﬅ", "ﬁ",
    "K", "Å", "aaaa", "aab", "xx", "ab", "<b>bold</b>", "a{,}", "\\", "▁", "▁hello", "AbC", "aBc", "ABC",
]
HAND_TEXTS = [
    "", "a", " ", "Hello world", "Hello, world! How are you?", "I'm fine, you're great; they'll see.",
    "I'LL DON'T WE'VE", "don'T you'Re", "It's   spaced\tout\n\nnewlines\r\nand CRLF\r\n", "   leading", "trailing   ",
    "tabs\t\t\tand spaces   ", "12345678901234567890", "3.14159 and 2,718", " 123 456", "abc123def", "x1y22z333",
    "  \n  \n", "\n\n\n", "\r\n\r\n  x", "a \n b", "a\u00a0b", "a\u3000b", "foo  bar", "foo \tbar", " ' s", "''ll",
    "'", "''", "'s's", "'sa", "'SA", "'Ll'LL", "'ſ'ſt", "naïve café", "e\u0301e\u0301", "Straße", "ǅemal",
    "中文字符测试", "日本語のテキスト、句読点。", "한국어 텍스트", "مرحبا بالعالم!", "हिन्दी में लिखा", "👋 hello 👨‍👩‍👧‍👦 family",
    "def main():\n    print('hi')\n", "for (int i = 0; i < n; ++i) {\n\tsum += a[i];\n}\n", "x==y!=z<=w",
    "<|endoftext|>", "    ", "\t", "\n", "\r", "\r\n", " \r\n", "a\rb", "a\r\n\r\nb", "  \r\n  b", ".\n\n", "!\r\n",
    "a  b   c    d", "Mixed CASE and lower", "ALLCAPS", "ÀÉÎÕÜ àéîõü", "\u180e\u180e", "a\u180eb", "\u0085x",
    "\U00031350 new CJK", "\U0001E5D0 Ol Onal", "\u1c89\u1c8a", "aaaa", "aaab", "<a><b>", "ab ab", "a\nb\n",
    "\\p{L}", "a+b&-~#", "a{,}", "▁▁hello▁world", "   \u2028  ", "x\u000by", "x\u000cy",
]


def spans(pattern, text):
    """Oniguruma's find_iter matches of `pattern` in `text`, as character offsets."""
    marker = next(m for m in MARKERS if m not in text)
    regex = Regex(pattern)
    pieces = [len(p.normalized) for p in NormalizedString(text).split(regex, "isolated")]
    ns = NormalizedString(text)
    ns.replace(regex, marker)
    gaps = ns.normalized.split(marker)
    out, pos, k = [], 0, 0
    for i, gap in enumerate(gaps):
        if gap:
            assert pieces[k] == len(gap), (pattern, text)
            pos += len(gap)
            k += 1
        if i + 1 < len(gaps):
            out.append((pos, pos + pieces[k]))
            pos += pieces[k]
            k += 1
    assert k == len(pieces) and pos == len(text), (pattern, text)
    return out


def byte_spans(pattern, text):
    offsets = [0]
    for ch in text:
        offsets.append(offsets[-1] + len(ch.encode("utf-8")))
    flat = []
    for a, b in spans(pattern, text):
        flat += [offsets[a], offsets[b]]
    return flat


RANDOM_LITERALS = ["a", "b", "A", "s", "S", "t", " ", "é", "1", "-", "'", "中", "ſ", "K", "_", "²", ",", "\u0301"]
RANDOM_ESCAPES = [r"\s", r"\S", r"\d", r"\D", r"\w", r"\W", r"\h", r"\p{L}", r"\p{N}", r"\p{Lu}", r"\P{L}", r"\p{^N}",
                  r"\t", r"\n", r"\x41", r"\u00e9", r"\.", r"\-", r"\R", r"\N", r"\O", r"\p{Han}", r"\p{P}", r"\v", r"\0",
                  r"\e"]
RANDOM_ANCHORS = [r"\b", r"\B", r"\A", r"\z", r"\Z", "^", "$", r"\G"]
RANDOM_TEXT_PIECES = ["a", "b", "A", "s", "S", "ſ", "t", "T", " ", "  ", "\n", "\r\n", "\t", "é", "e\u0301", "1", "42",
                      "-", "'", ".", "中文", "K", "_", "²", "½", ",", "ß", "ss", "\u00a0", "\u180e", "Ⓐ"]


def random_pattern(rng):
    def char_class(depth):
        items = []
        for _ in range(rng.randint(1, 4)):
            r = rng.random()
            if r < 0.4:
                items.append(rng.choice(RANDOM_LITERALS).replace("-", r"\-"))
            elif r < 0.55:
                items.append(rng.choice(["a-z", "0-9", "A-Z", "a-c", "\u00e0-\u00ff", r"\x{4e00}-\x{9fff}"]))
            elif r < 0.8:
                items.append(rng.choice([e for e in RANDOM_ESCAPES if e not in (r"\R", r"\N", r"\O")]))
            elif r < 0.9 and depth < 2:
                items.append(char_class(depth + 1))
            else:
                items.append("[" + rng.choice(["[:alpha:]", "[:punct:]", "[:^digit:]", "[:space:]"]) + "]")
        body = "".join(items)
        if rng.random() < 0.15 and depth < 2:
            body += "&&" + char_class(depth + 1)
        return "[" + ("^" if rng.random() < 0.3 else "") + body + "]"

    def atom(depth):
        r = rng.random()
        if r < 0.35:
            return rng.choice(RANDOM_LITERALS)
        if r < 0.55:
            return rng.choice(RANDOM_ESCAPES)
        if r < 0.7:
            return char_class(0)
        if r < 0.75 or depth >= 3:
            return "."
        return rng.choice(["(?:", "(", "(?i:", "(?m:", "(?>", "(?=", "(?!", "(?<n>"]) + alternation(depth + 1) + ")"

    def quantifier():
        if rng.random() < 0.55:
            return ""
        q = rng.choice(["*", "+", "?", "{2}", "{1,3}", "{,2}", "{2,}", "{0}"])
        r = rng.random()
        return q + ("?" if r < 0.2 else "+" if r < 0.3 else "")

    def sequence(depth):
        out = []
        for _ in range(rng.randint(1, 4)):
            r = rng.random()
            if r < 0.1:
                out.append(rng.choice(RANDOM_ANCHORS))
            elif r < 0.13:
                out.append(rng.choice(["(?i)", "(?m)", "(?-i)"]))
            elif r < 0.16:
                out.append("(?<=" + rng.choice(RANDOM_LITERALS + [r"\s", r"\p{L}", "ab"]) + ")")
            else:
                out.append(atom(depth) + quantifier())
        return "".join(out)

    def alternation(depth):
        return "|".join(sequence(depth) for _ in range(rng.randint(1, 3)))

    return alternation(0)


def make_random_cases():
    rng = random.Random(7)
    cases = []
    while len(cases) < 400:
        pattern = random_pattern(rng)
        texts = ["".join(rng.choice(RANDOM_TEXT_PIECES) for _ in range(rng.randint(1, 10))) for _ in range(8)]
        try:
            Regex(pattern)
        except Exception as e:
            cases.append({"pattern": pattern, "error": str(e)})
            continue
        cases.append({"pattern": pattern, "texts": texts, "spans": [byte_spans(pattern, t) for t in texts]})
    return cases


def make_texts():
    rng = random.Random(20240613)
    texts = list(HAND_TEXTS)
    while len(texts) < 520:
        kind = rng.random()
        parts = []
        for _ in range(rng.randint(1, 12)):
            if kind < 0.4:
                parts.append(rng.choice(WORDS) if rng.random() < 0.6 else rng.choice(PIECES))
            else:
                parts.append(rng.choice(PIECES))
            if rng.random() < 0.5:
                parts.append(rng.choice([" ", " ", "  ", "\n", "\t", "", "\r\n"]))
        texts.append("".join(parts))
    return [t for t in dict.fromkeys(texts) if t]  # tokenizers never matches an empty string


def main():
    texts = make_texts()
    fixture = {
        "tokenizers_version": tokenizers.__version__,
        "patterns": [{"name": n, "pattern": p} for n, p in PATTERNS],
        "texts": texts,
        "cases": [[byte_spans(p, t) for t in texts] for _, p in PATTERNS],
        "sweeps": [],
        "onig_errors": [],
        "random": make_random_cases(),
    }
    for template in ["{}"]:
        text = "".join(template.format(chr(c)) for c in SWEEP_CODEPOINTS)
        for p in SWEEP_PATTERNS:
            fixture["sweeps"].append({"pattern": p, "template": template, "spans": byte_spans(p, text)})
            print(f"sweep {p[:40]!r}: {len(fixture['sweeps'][-1]['spans']) // 2} matches", file=sys.stderr)
    for template in SWEEP_TEMPLATES:
        text = "".join(template.format(chr(c)) for c in SWEEP_CODEPOINTS)
        fixture["sweeps"].append({"pattern": SWEEP_CONTRACTIONS, "template": template,
                                  "spans": byte_spans(SWEEP_CONTRACTIONS, text)})
    for p in ONIG_ERRORS:
        try:
            Regex(p)
        except Exception as e:  # tokenizers raises a plain Exception with Oniguruma's message
            fixture["onig_errors"].append({"pattern": p, "error": str(e)})
        else:
            raise SystemExit(f"Oniguruma accepts {p!r}")
    data = json.dumps(fixture, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with open(OUT, "wb") as f, gzip.GzipFile(filename="", mode="wb", fileobj=f, mtime=0, compresslevel=9) as gz:
        gz.write(data)
    print(f"wrote {OUT}: {len(PATTERNS)} patterns x {len(texts)} texts, {len(fixture['sweeps'])} sweeps, "
          f"{len(data)} bytes before gzip", file=sys.stderr)


if __name__ == "__main__":
    main()

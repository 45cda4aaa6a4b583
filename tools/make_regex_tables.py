#!/usr/bin/env python3
"""Writes src/text/regex_unicode_tables.cpp: the character sets Oniguruma (as bundled in Hugging Face
`tokenizers`) gives the regex escapes of tokenizer.json patterns.

tokenizers matches Split/Replace/ByteLevel patterns with Oniguruma (its Unicode 16 data); attnlab
matches them with PCRE2 (Debian's 10.42: Unicode 14) or a hand-written matcher. Rather than trust
either library's tables, this script asks the real library, sweeping every code point through
`\\p{NAME}+`, `\\s+`, `[[:alpha:]]+`... and writes, for each set:

  ranges       the exact set (what the hand matcher and the fallback PCRE2 translation use)
  pcre2_base   PCRE2 class items (\\p{Lu}\\p{Ll}...) whose Unicode 14.0.0 sets (Python's unicodedata,
               the version of PCRE2 10.42) lie wholly inside the set, and
  pcre2_extra  the rest of the set (characters assigned since Unicode 14), so that [base extra] is
               exact under PCRE2 10.42 and fast.

Plus the case-folding data the translator needs to refuse (?i) patterns where Oniguruma's
multi-character folding (ß ~ ss, ﬅ ~ st) would make it match differently from PCRE2.

    tools/.venv/bin/python tools/make_regex_tables.py
"""
import pathlib
import sys
import unicodedata

import tokenizers
from tokenizers import NormalizedString, Regex

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from make_bert_unicode_tables import ranges  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "src" / "text" / "regex_unicode_tables.cpp"
CODEPOINTS = [c for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
MARKERS = ["\U0010FFFF", "\U0010FFFD"]  # never both in one swept text

GENERAL_CATEGORIES = {  # short name -> long names Oniguruma also accepts
    "C": ["Other"], "Cc": ["Control"], "Cf": ["Format"], "Cn": ["Unassigned"], "Co": ["Private_Use"],
    "L": ["Letter"], "LC": ["Cased_Letter"], "Ll": ["Lowercase_Letter"], "Lm": ["Modifier_Letter"],
    "Lo": ["Other_Letter"], "Lt": ["Titlecase_Letter"], "Lu": ["Uppercase_Letter"],
    "M": ["Mark", "Combining_Mark"], "Mc": ["Spacing_Mark"], "Me": ["Enclosing_Mark"], "Mn": ["Nonspacing_Mark"],
    "N": ["Number"], "Nd": ["Decimal_Number"], "Nl": ["Letter_Number"], "No": ["Other_Number"],
    "P": ["Punctuation"], "Pc": ["Connector_Punctuation"], "Pd": ["Dash_Punctuation"], "Pe": ["Close_Punctuation"],
    "Pf": ["Final_Punctuation"], "Pi": ["Initial_Punctuation"], "Po": ["Other_Punctuation"],
    "Ps": ["Open_Punctuation"], "S": ["Symbol"], "Sc": ["Currency_Symbol"], "Sk": ["Modifier_Symbol"],
    "Sm": ["Math_Symbol"], "So": ["Other_Symbol"], "Z": ["Separator"], "Zl": ["Line_Separator"],
    "Zp": ["Paragraph_Separator"], "Zs": ["Space_Separator"],
}
SCRIPTS = {  # Script (not Script_Extensions), as Oniguruma's \p{Han}
    "Han": ["Hani"], "Hiragana": ["Hira"], "Katakana": ["Kana"], "Hangul": ["Hang"], "Latin": ["Latn"],
    "Greek": ["Grek"], "Cyrillic": ["Cyrl"], "Arabic": ["Arab"], "Hebrew": ["Hebr"], "Thai": ["Thai"],
    "Devanagari": ["Deva"], "Bengali": ["Beng"], "Tamil": ["Taml"], "Armenian": ["Armn"], "Georgian": ["Geor"],
    "Ethiopic": ["Ethi"], "Common": ["Zyyy"], "Inherited": ["Zinh", "Qaai"],
}
OTHER_PROPERTIES = {  # Oniguruma's POSIX-like and binary properties
    "Alpha": [], "Alnum": [], "ASCII": [], "Blank": [], "Cntrl": [], "Digit": [], "Graph": [], "Lower": [],
    "Print": [], "Punct": [], "Space": [], "Upper": [], "XDigit": [], "Word": [], "Any": [], "Assigned": [],
    "Alphabetic": [], "White_Space": [], "Uppercase": [], "Lowercase": [], "Emoji": [],
    "Emoji_Presentation": [], "Extended_Pictographic": [],
}
SHORTHANDS = ["\\s", "\\d", "\\w", "\\h"]
POSIX_BRACKETS = ["alnum", "alpha", "ascii", "blank", "cntrl", "digit", "graph", "lower", "print", "punct",
                  "space", "upper", "xdigit", "word"]


def match_runs(pattern, text):
    """Oniguruma's matches of `pattern` (none empty) in `text`, as character offsets."""
    marker = next(m for m in MARKERS if m not in text)
    regex = Regex(pattern)
    pieces = [len(p.normalized) for p in NormalizedString(text).split(regex, "isolated")]
    ns = NormalizedString(text)
    ns.replace(regex, marker)
    gaps = ns.normalized.split(marker)
    out, pos, k = [], 0, 0
    for i, gap in enumerate(gaps):
        if gap:
            assert pieces[k] == len(gap)
            pos += len(gap)
            k += 1
        if i + 1 < len(gaps):
            out.append((pos, pos + pieces[k]))
            pos += pieces[k]
            k += 1
    assert k == len(pieces) and pos == len(text)
    return out


def onig_set(pattern):
    """The code points that `pattern` (one character class, repeated with +) matches."""
    members = set()
    for cps in (CODEPOINTS[:-2], CODEPOINTS[-2:]):  # the two markers are swept on their own
        text = "".join(map(chr, cps))
        for a, b in match_runs(pattern + "+", text):
            members.update(cps[a:b])
    return frozenset(members)


UCD14 = {}
for c in CODEPOINTS:
    UCD14.setdefault(unicodedata.category(chr(c)), set()).add(c)
SUBCATEGORIES = sorted(k for k in UCD14 if k != "Cs")


def pcre2_split(members):
    """(base items, extra code points): the GC subcategories PCRE2 10.42 (Unicode 14) has wholly inside
    `members`, and what they miss. No base for small sets: explicit ranges are as fast."""
    if len(ranges(members)) <= 32:
        return "", members
    cats = [c for c in SUBCATEGORIES if UCD14[c] <= members]
    covered = set().union(*(UCD14[c] for c in cats)) if cats else set()
    items = []
    for major in "CLMNPSZ":
        sub = [c for c in SUBCATEGORIES if c[0] == major]
        mine = [c for c in cats if c[0] == major]
        if mine == sub and major != "C":
            items.append("\\p{%s}" % major)
        else:
            items += ["\\p{%s}" % c for c in mine]
    return "".join(items), members - covered


def normalize(name):
    return "".join(ch for ch in name.lower() if ch not in " _-")


def cpp_ranges(rs):
    if not rs:
        return "{}"
    return "{" + ", ".join(f"{{0x{a:X}, 0x{b:X}}}" for a, b in rs) + "}"


def main():
    if unicodedata.unidata_version != "14.0.0":
        sys.exit("needs Python's unicodedata at Unicode 14.0.0 (PCRE2 10.42's version): Python 3.11")
    sets = {}  # key -> members
    aliases = []  # (normalized alias, key)
    for table in (GENERAL_CATEGORIES, SCRIPTS, OTHER_PROPERTIES):
        for name, more in table.items():
            members = onig_set("\\p{%s}" % name)
            sets[name] = members
            for alias in [name] + more:
                if alias != name:
                    assert onig_set("\\p{%s}" % alias) == members, alias
                aliases.append((normalize(alias), name))
            # Oniguruma's sets can differ inside a class: [\w] lacks the ² ³ ¹ ¼ ½ ¾ that \w matches.
            in_class = onig_set("[\\p{%s}]" % name)
            if in_class != members:
                sets["in:" + name] = in_class
                aliases += [("in:" + normalize(alias), "in:" + name) for alias in [name] + more]
            print(f"{name}: {len(members)} code points, {len(in_class ^ members)} differ in a class",
                  file=sys.stderr)
    for s in SHORTHANDS:
        sets[s] = onig_set(s)
        aliases.append((s, s))
        in_class = onig_set(f"[{s}]")
        if in_class != sets[s]:
            sets["in:" + s] = in_class
            aliases.append(("in:" + s, "in:" + s))
        print(f"{s}: {len(sets[s])} code points, {len(in_class ^ sets[s])} differ in a class", file=sys.stderr)
    for p in POSIX_BRACKETS:
        key = f"[:{p}:]"
        sets[key] = onig_set(f"[{key}]")
        aliases.append((key, key))
    keys = list(sets)
    index = {k: i for i, k in enumerate(keys)}
    aliases = sorted(set(aliases))
    assert len({a for a, _ in aliases}) == len(aliases)

    # Case folding: characters whose full folding is several characters, and the character pairs that
    # fold to the start of one (a (?i) pattern holding either is refused).
    def simple_fold(ch):
        f = ch.casefold()
        return f if len(f) == 1 else (ch.lower() if len(ch.lower()) == 1 else ch)
    multi = sorted(c for c in CODEPOINTS if len(chr(c).casefold()) > 1)
    prefixes = {chr(c).casefold()[:2] for c in multi}
    preimage = {}
    for c in CODEPOINTS:
        preimage.setdefault(simple_fold(chr(c)), []).append(c)
    pairs = sorted({(a, b) for p in prefixes for a in preimage.get(p[0], []) for b in preimage.get(p[1], [])})

    lines = [
        f"// Generated by tools/make_regex_tables.py from Hugging Face tokenizers {tokenizers.__version__}'s",
        "// Oniguruma, every code point swept; PCRE2 bases checked against Unicode 14.0.0. Do not edit.",
        '#include "text/regex_unicode_tables.h"', "", "#include <iterator>", "",
        "namespace attnlab::regex_tables {", "namespace {", ""]
    for i, k in enumerate(keys):
        base, extra = pcre2_split(sets[k])
        lines.append(f"// {k}")
        lines.append(f"const CodepointRange kSet{i}[] = {cpp_ranges(ranges(sets[k]))};")
        if extra and base:  # otherwise the property refers to no extra set ({} below)
            lines.append(f"const CodepointRange kExtra{i}[] = {cpp_ranges(ranges(extra))};")
    lines += ["", "}  // namespace", "", "const Property kPropertyData[] = {"]
    for i, k in enumerate(keys):
        base, extra = pcre2_split(sets[k])
        cname = k.replace("\\", "\\\\")
        extra_ref = f"kExtra{i}" if extra and base else "{}"
        lines.append(f'    {{"{cname}", kSet{i}, "{base.replace(chr(92), chr(92) * 2)}", {extra_ref}}},')
    lines += ["};", "const std::span<const Property> kProperties(std::begin(kPropertyData), std::end(kPropertyData));", "",
              "const PropertyAlias kPropertyAliasData[] = {"]
    lines += [f'    {{"{a}", {index[k]}}},'.replace("\\", "\\\\") for a, k in aliases]
    lines += ["};", "const std::span<const PropertyAlias> kPropertyAliases(std::begin(kPropertyAliasData), "
              "std::end(kPropertyAliasData));", ""]
    lines.append("const char32_t kMultiCharFoldData[] = {" + ", ".join(f"0x{c:X}" for c in multi) + "};")
    lines.append("const std::span<const char32_t> kMultiCharFold(std::begin(kMultiCharFoldData), "
                 "std::end(kMultiCharFoldData));")
    lines.append("const FoldPair kFoldPrefixPairData[] = {" + ", ".join(f"{{0x{a:X}, 0x{b:X}}}" for a, b in pairs) + "};")
    lines.append("const std::span<const FoldPair> kFoldPrefixPairs(std::begin(kFoldPrefixPairData), "
                 "std::end(kFoldPrefixPairData));")
    lines += ["", "}  // namespace attnlab::regex_tables", ""]
    OUT.write_text("\n".join(lines))
    print(f"wrote {OUT} ({len(keys)} sets, {len(aliases)} names, {len(pairs)} fold pairs)", file=sys.stderr)


if __name__ == "__main__":
    main()

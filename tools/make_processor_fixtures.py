#!/usr/bin/env python3
"""Writes the post-processor and tokenizer_config.json golden fixtures from the real Hugging Face libraries.

    tools/.venv/bin/python tools/make_processor_fixtures.py

Outputs, under tests/fixtures/tokenizers/:
  processor_cases.json   for each post_processor configuration (TemplateProcessing, BertProcessing,
                         RobertaProcessing, ByteLevel, Sequence, none) the `tokenizers` encode() output of
                         ~100 single texts and ~50 pairs, with and without special tokens, and the
                         encodings each text gets with no post-processor (the C++ processor's input)
  configs/*.json         tokenizer_config.json files written by transformers' save_pretrained (and a few
                         in the shape transformers 4.x wrote them), with the values transformers reads back
                         recorded in config_cases.json

The tokenizer is a tiny byte-level BPE trained here on an embedded corpus; only the post-processor varies.
tokenizers' Python binding gives character offsets; the C++ side works in UTF-8 bytes, so every offset is
converted here with the text it indexes. The token a converted offset belongs to is found through the
encoding's sequence_ids, which some deliberately odd templates (`$A` used twice, a Template followed by
ByteLevel in a Sequence) get wrong; those configurations use only ASCII texts, where a character offset
is a byte offset, and the script checks that.

A template tokenizers panics on (a special token missing from special_tokens, $B in the single template)
is recorded as "error" with the panic message.
"""
import json
import os
import pathlib
import shutil
import sys
import tempfile

import tokenizers
from tokenizers import AddedToken, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "fixtures" / "tokenizers"

CORPUS = """\
The quick brown fox jumps over the lazy dog. Hello world, hello there!
Transformers use attention to mix information between tokens; each head looks at the others.
Byte-level BPE starts from 256 bytes and merges the most frequent pairs, so any text can be encoded.
Students learn faster when examples are visual and interactive. Attention is all you need.
It's a test: don't panic, we'll see what they've done. Numbers 123 4567 89 and 3.14 too.
Café, naïve, résumé and jalapeño have accents; 日本語 and 中文 are written without spaces.
The cat sat on the mat. The dog sat on the log. A bird in the hand is worth two in the bush.
""" * 3

SPECIAL = ["<s>", "</s>", "<pad>", "[CLS]", "[SEP]", "<|begin_of_text|>", "<|eot_id|>"]

ASCII_TEXTS = [
    "Hello world",
    "hello world",
    " Hello world",
    "  Hello world",
    "Hello world ",
    "Hello world  ",
    "   Hello   world   ",
    "The quick brown fox jumps over the lazy dog.",
    "The cat sat on the mat.",
    "attention is all you need",
    "It's a test: don't panic, we'll see.",
    "Numbers 123 4567 89 and 3.14",
    "a",
    " a",
    "a ",
    " ",
    "  ",
    "    ",
    "",
    ".",
    "!?",
    "Hello\nworld",
    "Hello\n\nworld\n",
    "\tTabbed\ttext\t",
    " \n leading newline",
    "trailing newline\n",
    "multiple     spaces     inside",
    "x y z",
    " x y z ",
    "<s> Hello </s>",
    "<s>Hello</s>",
    " <s> ",
    "[CLS] question [SEP] answer [SEP]",
    "<|begin_of_text|>Hi<|eot_id|>",
    "<pad><pad>",
    "the zz token zz",
    " zz",
    "zz zz zz",
    "Byte-level BPE starts from 256 bytes",
    "supercalifragilisticexpialidocious",
    "xyzzy plugh qwertyuiop",
    "#hashtag @mention $100 100% a&b",
    "(parentheses) [brackets] {braces}",
    "UPPER lower MiXeD",
    "end.",
    " start",
    "  two leading",
    "two trailing  ",
    "one ' quote",
    "students learn faster when examples are visual",
    "hello hello hello hello hello hello hello hello",
    "Q: what? A: that.",
    "a b c d e f g h i j k l m n o p",
    "   ",
    "\r\n",
    "dog",
    " dog",
    "dog ",
    " dog ",
    "the the",
]

UNICODE_TEXTS = [
    "Café",
    " café au lait ",
    "naïve résumé",
    "日本語",
    " 日本語 ",
    "中文 和 English",
    "emoji 🙂 here",
    "🙂",
    " 🙂 ",
    "jalapeño  pepper",
    "non\u00a0breaking",
    "\u00a0leading nbsp",
    "trailing nbsp\u00a0",
    " \u00a0 ",
    "\u00a0",
    "ideographic\u3000space",
    "\u3000lead",
    "trail\u3000",
    "\u3000\u3000two",
    "ｆｕｌｌｗｉｄｔｈ ｔｅｘｔ",
    "Ω≈ç√∫",
    "über straße",
    " ü ",
    "e\u0301 combining",
    "\u2003em space\u2003",
    "line\u2028separator",
    "<s> café </s>",
    "Zürich  ",
    "  Köln",
    "\u00a0\u00a0double nbsp",
    "zz\u00a0zz",
    "é",
    " é",
    "é ",
    "mixed\u00a0\u3000 spaces",
    "ÿ",
    "a\u0085b",
    "\u1680ogham",
    "caf\u00e9 \u00a0 bar",
    "ﬁne ligature",
]

PAIRS = [
    ("Hello world", "How are you?"),
    (" Hello", " world "),
    ("", ""),
    ("", "only pair"),
    ("only first", ""),
    (" ", " "),
    ("The cat sat.", "The dog sat."),
    ("question?", "answer."),
    ("  leading", "trailing  "),
    ("a", "b"),
    ("<s> x", "y </s>"),
    ("Hello\nworld", "\tTab"),
    ("zz", " zz"),
    ("multiple   spaces", "   more"),
    ("attention is all you need", "is it?"),
    ("x y z", " x y z "),
    ("Numbers 123", "4567 89"),
    ("one", "two three four five"),
    ("[CLS]", "[SEP]"),
    ("    ", "a"),
    ("end.", " start"),
    ("dog ", " dog"),
    ("UPPER", "lower"),
    ("It's", "don't"),
    ("The quick brown fox", "jumps over the lazy dog."),
    ("hello hello", "hello"),
]

UNICODE_PAIRS = [
    ("Café", "au lait"),
    (" café ", " naïve "),
    ("日本語", "中文"),
    ("emoji 🙂", "🙂 again"),
    ("non\u00a0breaking", "\u00a0space"),
    ("ideographic\u3000space", "\u3000lead"),
    ("Zürich  ", "  Köln"),
    ("é", " é"),
    ("ｆｕｌｌｗｉｄｔｈ", "ｔｅｘｔ"),
    ("über", ""),
    ("", "straße"),
    ("<s> café", "bar </s>"),
    ("\u00a0", "\u3000"),
    ("trail\u3000", "nbsp\u00a0"),
    ("Ω≈ç", "√∫"),
    ("jalapeño  pepper", "résumé"),
    ("\u2003em", "space\u2003"),
    ("ﬁne", "ligature"),
    ("a\u0085b", "\u1680ogham"),
    ("mixed\u00a0\u3000 spaces", "x"),
    ("naïve", "naïve"),
    (" 🙂 ", " 🙂 "),
    ("caf\u00e9 \u00a0 bar", "zz\u00a0zz"),
    ("Köln", "Zürich"),
]


def train_model():
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    trainer = trainers.BpeTrainer(vocab_size=400, min_frequency=1, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  show_progress=False, special_tokens=[])
    tok.train_from_iterator(CORPUS.splitlines(), trainer=trainer)
    return json.loads(tok.to_str())["model"]


def base_tokenizer(model_json, *, add_prefix_space, nfkc):
    tok = Tokenizer.from_str(json.dumps({
        "version": "1.0", "truncation": None, "padding": None, "added_tokens": [],
        "normalizer": {"type": "NFKC"} if nfkc else None,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": add_prefix_space, "trim_offsets": True,
                          "use_regex": True},
        "post_processor": None,
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": model_json,
    }))
    tok.add_special_tokens(SPECIAL)
    # Non-special added tokens whose own strings are whitespace (raw, not byte-level): trim_offsets counts
    # Rust's char::is_whitespace, not just 'Ġ'. normalized=False so NFKC does not turn U+00A0 into ' '.
    tok.add_tokens([AddedToken("\u00a0", normalized=False), AddedToken(" zz", normalized=False)])
    return tok


def char_to_byte(text, offsets):
    pos = [0]
    for ch in text:
        pos.append(pos[-1] + len(ch.encode("utf-8")))
    return [[pos[s], pos[e]] for s, e in offsets]


def record(enc, texts):
    """An Encoding with its offsets in bytes. texts[i] is the text of sequence i."""
    seq = enc.sequence_ids
    offsets = []
    for i, (s, e) in enumerate(enc.offsets):
        if all(t.isascii() for t in texts):
            offsets.append([s, e])  # characters are bytes
            continue
        if (s, e) == (0, 0):
            offsets.append([0, 0])
            continue
        assert seq[i] is not None and seq[i] < len(texts), "a non-ASCII case needs sane sequence_ids"
        offsets.append(char_to_byte(texts[seq[i]], [(s, e)])[0])
    return {
        "ids": enc.ids,
        "tokens": enc.tokens,
        "type_ids": enc.type_ids,
        "offsets": offsets,
        "special_tokens_mask": enc.special_tokens_mask,
        "word_ids": [-1 if w is None else w for w in enc.word_ids],
        "sequence_ids": [-1 if s is None else s for s in enc.sequence_ids],
    }


def S(seq, type_id=0):
    return {"Sequence": {"id": seq, "type_id": type_id}}


def T(name, type_id=0):
    return {"SpecialToken": {"id": name, "type_id": type_id}}


def special(tok, name, tokens=None):
    tokens = tokens or [name]
    return {"id": name, "ids": [tok.token_to_id(t) for t in tokens], "tokens": tokens}


def processor_json(p):
    """How tokenizer.json serializes a processor built through the Python API."""
    t = Tokenizer(models.BPE())
    t.post_processor = p
    return json.loads(t.to_str())["post_processor"]


def configurations(tok):
    """(name, base, post_processor JSON, ascii_only) with ids from the base tokenizer. ascii_only "few": a
    configuration that panics, tried on a few texts only."""
    i = tok.token_to_id
    bert = processors.TemplateProcessing(single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
                                         special_tokens=[("[CLS]", i("[CLS]")), ("[SEP]", i("[SEP]"))])
    # transformers' update_post_processor with add_bos_token=True, add_eos_token=True.
    llama2 = processors.TemplateProcessing(single="<s>:0 $A:0 </s>:0", pair="<s>:0 $A:0 </s>:0 <s>:1 $B:1 </s>:1",
                                           special_tokens=[("<s>", i("<s>")), ("</s>", i("</s>"))])
    llama3_template = processors.TemplateProcessing(
        single="<|begin_of_text|> $A", pair="<|begin_of_text|> $A <|begin_of_text|>:1 $B:1",
        special_tokens=[("<|begin_of_text|>", i("<|begin_of_text|>"))])
    llama3 = processors.Sequence([processors.ByteLevel(add_prefix_space=True, trim_offsets=False, use_regex=True),
                                  llama3_template])
    multi = {
        "type": "TemplateProcessing",
        # A special token of several ids, type ids 1 in the single template, B before A in the pair.
        "single": [T("[INST]", 1), S("A", 1), T("</s>", 0)],
        "pair": [T("[INST]"), S("B", 1), T("[SEP]", 1), S("A", 0), T("[INST]", 1), T("<pad>")],
        "special_tokens": {
            "[INST]": special(tok, "[INST]", ["<s>", "[CLS]", "<|eot_id|>"]),
            "</s>": special(tok, "</s>"),
            "[SEP]": special(tok, "[SEP]"),
            "<pad>": {"id": "<pad>", "ids": [], "tokens": []},
        },
    }
    # tokenizers does not validate a deserialized template: $A twice (the second copy's sequence range
    # replaces the first's when merging), a pair template without $A, an unused special token.
    twice = {
        "type": "TemplateProcessing",
        "single": [S("A"), T("[SEP]"), S("A", 1)],
        "pair": [S("B", 1)],
        "special_tokens": {"[SEP]": special(tok, "[SEP]"), "unused": special(tok, "unused", ["<s>"])},
    }
    only_a = {"type": "TemplateProcessing", "single": [S("A")], "pair": [S("A", 1), T("<s>")],
              "special_tokens": {"<s>": special(tok, "<s>")}}
    missing = {"type": "TemplateProcessing", "single": [T("<x>"), S("A")], "pair": [S("B"), S("A")],
               "special_tokens": {}}
    b_in_single = {"type": "TemplateProcessing", "single": [S("B")], "pair": [S("A"), S("B", 1)],
                   "special_tokens": {}}
    template_then_bytelevel = {"type": "Sequence", "processors": [
        processor_json(bert), processor_json(processors.ByteLevel(add_prefix_space=False, trim_offsets=True))]}
    roberta_then_bytelevel = {"type": "Sequence", "processors": [
        processor_json(processors.RobertaProcessing(("</s>", i("</s>")), ("<s>", i("<s>")), trim_offsets=False,
                                                    add_prefix_space=False)),
        processor_json(processors.ByteLevel(add_prefix_space=True, trim_offsets=True))]}
    bert_then_bert = {"type": "Sequence", "processors": [
        processor_json(processors.BertProcessing(("[SEP]", i("[SEP]")), ("[CLS]", i("[CLS]")))),
        processor_json(processors.BertProcessing(("</s>", i("</s>")), ("<s>", i("<s>"))))]}

    out = [
        ("none", "plain", None, False),
        ("template_bert", "plain", processor_json(bert), False),
        ("template_llama2", "prefix", processor_json(llama2), False),
        ("template_multi_id", "plain", multi, False),
        ("template_a_twice", "plain", twice, True),
        ("template_pair_without_b", "plain", only_a, False),
        ("template_missing_special", "plain", missing, "few"),
        ("template_b_in_single", "plain", b_in_single, "few"),
        ("bert", "plain", processor_json(processors.BertProcessing(("[SEP]", i("[SEP]")), ("[CLS]", i("[CLS]")))),
         False),
        ("sequence_llama3", "plain", processor_json(llama3), False),
        ("sequence_template_bytelevel", "plain", template_then_bytelevel, True),
        ("sequence_roberta_bytelevel", "prefix", roberta_then_bytelevel, False),
        ("sequence_bert_bert", "plain", bert_then_bert, False),
        ("sequence_empty", "plain", {"type": "Sequence", "processors": []}, False),
    ]
    for base in ("plain", "prefix", "nfkc"):
        # Without trim_offsets, add_prefix_space changes nothing: one of the two is enough.
        for trim, aps in ((True, True), (True, False), (False, True)):
            if base == "nfkc" and not trim:
                continue
            out.append((f"roberta_{base}_trim{int(trim)}_aps{int(aps)}", base, processor_json(
                processors.RobertaProcessing(("</s>", i("</s>")), ("<s>", i("<s>")), trim_offsets=trim,
                                             add_prefix_space=aps)), False))
            out.append((f"bytelevel_{base}_trim{int(trim)}_aps{int(aps)}", base, processor_json(
                processors.ByteLevel(add_prefix_space=aps, trim_offsets=trim, use_regex=True)), False))
    return out


def encode(tok, text, pair, add_special_tokens):
    # Rust prints each panic and its backtrace on stderr: hide them, the message is recorded.
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        return tok.encode(text, pair, add_special_tokens=add_special_tokens), None
    except BaseException as e:  # pyo3's PanicException derives from BaseException
        if type(e).__name__ != "PanicException":
            raise
        return None, str(e)
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def processor_cases(model_json):
    bases = {
        "plain": base_tokenizer(model_json, add_prefix_space=False, nfkc=False),
        "prefix": base_tokenizer(model_json, add_prefix_space=True, nfkc=False),
        "nfkc": base_tokenizer(model_json, add_prefix_space=False, nfkc=True),
    }
    ids0 = {t: bases["plain"].token_to_id(t) for t in SPECIAL}
    for b in bases.values():
        assert {t: b.token_to_id(t) for t in SPECIAL} == ids0, "special token ids differ between bases"

    texts = []
    index = {}
    for t in ASCII_TEXTS + UNICODE_TEXTS + [x for p in PAIRS + UNICODE_PAIRS for x in p]:
        if t not in index:
            index[t] = len(texts)
            texts.append(t)
    inputs = {}
    for name, tok in bases.items():
        encs = []
        for t in texts:
            e = tok.encode(t, add_special_tokens=False)
            assert e.sequence_ids == [0] * len(e) and e.type_ids == [0] * len(e)
            encs.append(record(e, [t]))
        inputs[name] = encs

    singles = ASCII_TEXTS + UNICODE_TEXTS
    pairs = PAIRS + UNICODE_PAIRS
    configs = []
    for name, base, pp, ascii_only in configurations(bases["plain"]):
        base_json = json.loads(bases[base].to_str())
        base_json["post_processor"] = pp
        tok = Tokenizer.from_str(json.dumps(base_json))
        my_singles = [t for t in singles if t.isascii()] if ascii_only is True else singles
        my_pairs = [p for p in pairs if p[0].isascii() and p[1].isascii()] if ascii_only is True else pairs
        if ascii_only == "few":  # a template tokenizers panics on: a few of each kind are enough
            my_singles = my_singles[:6] + UNICODE_TEXTS[:3]
            my_pairs = my_pairs[:6] + UNICODE_PAIRS[:3]
        cases = []
        for k, t in enumerate(my_singles):
            for add in (True, False) if k % 3 == 0 else (True,):
                enc, err = encode(tok, t, None, add)
                case = {"a": index[t], "add_special_tokens": add}
                if err is not None:
                    case["error"] = err
                else:
                    case["expected"] = record(enc, [t])
                cases.append(case)
        for k, (a, b) in enumerate(my_pairs):
            for add in (True, False) if k % 3 == 0 else (True,):
                enc, err = encode(tok, a, b, add)
                case = {"a": index[a], "b": index[b], "add_special_tokens": add}
                if err is not None:
                    case["error"] = err
                else:
                    case["expected"] = record(enc, [a, b])
                cases.append(case)
        configs.append({
            "name": name,
            "base": base,
            "post_processor": pp,
            "added_tokens": {"single": tok.num_special_tokens_to_add(False),
                             "pair": tok.num_special_tokens_to_add(True)},
            "cases": cases,
        })
        print(f"  {name}: {len(cases)} cases, {sum('error' in c for c in cases)} panics")
    return {
        "generator": "tools/make_processor_fixtures.py",
        "tokenizers_version": tokenizers.__version__,
        "texts": texts,
        "inputs": inputs,
        "configs": configs,
    }


# ---------------------------------------------------------------------------------------------------------
# tokenizer_config.json


def config_cases(model_json):
    import transformers
    from transformers import AutoTokenizer, PreTrainedTokenizerFast

    backend = base_tokenizer(model_json, add_prefix_space=False, nfkc=False)
    configs_dir = OUT / "configs"
    if configs_dir.exists():
        shutil.rmtree(configs_dir)
    configs_dir.mkdir(parents=True)
    cases = []

    def read_back(directory):
        tok = AutoTokenizer.from_pretrained(directory)
        try:
            template = tok.get_chat_template()
        except ValueError:
            template = None  # a dict of templates without "default"
        return {
            "class": type(tok).__name__,
            "bos_token": tok.bos_token,
            "eos_token": tok.eos_token,
            "pad_token": tok.pad_token,
            "unk_token": tok.unk_token,
            "model_max_length": tok.model_max_length,
            "clean_up_tokenization_spaces": tok.clean_up_tokenization_spaces,
            "add_bos_token": getattr(tok, "add_bos_token", None),
            "add_eos_token": getattr(tok, "add_eos_token", None),
            "chat_template": template,
        }

    def add(name, save, edit=None, note=""):
        with tempfile.TemporaryDirectory() as d:
            save(d)
            path = pathlib.Path(d) / "tokenizer_config.json"
            cfg = json.loads(path.read_text())
            if edit is not None:
                edit(cfg)
                path.write_text(json.dumps(cfg, indent=2, ensure_ascii=False) + "\n")
            reads = read_back(d)
            shutil.copy(path, configs_dir / f"{name}.json")
        cases.append({"file": f"configs/{name}.json", "note": note, "raw": cfg, "transformers": reads})

    def fast(**kw):
        def save(d):
            # save_jinja_files=False: the chat template stays in tokenizer_config.json (as 4.x wrote it).
            PreTrainedTokenizerFast(tokenizer_object=backend, **kw).save_pretrained(d, save_jinja_files=False)
        return save

    add("fast_minimal", fast(), note="PreTrainedTokenizerFast with nothing set: model_max_length is VERY_LARGE_INTEGER")
    add("fast_gpt2_like", fast(bos_token="<s>", eos_token="</s>", unk_token="<pad>", model_max_length=1024,
                               clean_up_tokenization_spaces=True, chat_template="{{ messages[0]['content'] }}"))
    add("fast_added_token", fast(bos_token=AddedToken("<|begin_of_text|>", lstrip=False, normalized=False,
                                                      special=True),
                                 eos_token=AddedToken("<|eot_id|>", rstrip=True, special=True), pad_token="<pad>",
                                 model_max_length=131072, clean_up_tokenization_spaces=False))
    add("fast_template_list",
        fast(eos_token="</s>", chat_template={"default": "{{ 'default' }}", "tool_use": "{{ 'tools' }}"}),
        note="several chat templates are written as a list of {name, template}")
    add("fast_template_list_no_default",
        fast(eos_token="</s>", chat_template={"rag": "{{ 'rag' }}", "tool_use": "{{ 'tools' }}"}),
        note="no \"default\": transformers' get_chat_template() refuses to choose; attnlab keeps the first")

    # The shape transformers 4.x wrote for Llama 2 (tokens as AddedToken dicts with "__type", add_bos_token /
    # add_eos_token, a legacy chat_template string). transformers 5 drops add_bos_token / add_eos_token when a
    # tokenizer.json is present; the file's values are what read_tokenizer_config returns.
    def llama2(cfg):
        def tok_dict(s):
            return {"__type": "AddedToken", "content": s, "lstrip": False, "normalized": False, "rstrip": False,
                    "single_word": False}
        cfg.update({"add_bos_token": True, "add_eos_token": False, "bos_token": tok_dict("<s>"),
                    "eos_token": tok_dict("</s>"), "pad_token": None, "unk_token": tok_dict("<pad>"),
                    "legacy": False, "model_max_length": 1000000000000000019884624838656,
                    "chat_template": "{% for m in messages %}{{ m['content'] }}{% endfor %}"})
    add("v4_llama2", fast(), edit=llama2, note="transformers 4.x style (Llama 2)")

    def gemma(cfg):
        cfg.update({"add_bos_token": True, "add_eos_token": True, "bos_token": "<s>", "eos_token": "</s>",
                    "pad_token": "<pad>", "model_max_length": 8192, "clean_up_tokenization_spaces": False})
    add("v4_gemma", fast(), edit=gemma, note="transformers 4.x style (Gemma, add_eos_token true)")

    def max_len(cfg):
        cfg.pop("model_max_length", None)
        cfg["max_len"] = 512
    add("legacy_max_len", fast(), edit=max_len, note="max_len is read when model_max_length is absent")

    def float_max(cfg):
        cfg["model_max_length"] = 1e30
    add("float_max_length", fast(), edit=float_max, note="1e30 as a float: no limit")

    for c in cases:
        raw, tf = c["raw"], c["transformers"]
        expected = {}
        for key in ("bos_token", "eos_token", "pad_token", "unk_token"):
            v = raw.get(key)
            expected[key] = v["content"] if isinstance(v, dict) else v
            assert expected[key] == tf[key], (c["file"], key, expected[key], tf[key])
        mml = raw["model_max_length"] if "model_max_length" in raw else raw.get("max_len")
        expected["model_max_length"] = None if mml is None or mml > 1e20 else int(mml)
        want_tf = tf["model_max_length"]
        assert (expected["model_max_length"] is None and want_tf > 1e20) or expected["model_max_length"] == want_tf, \
            (c["file"], mml, want_tf)
        expected["clean_up_tokenization_spaces"] = raw.get("clean_up_tokenization_spaces")
        if expected["clean_up_tokenization_spaces"] is not None:
            assert expected["clean_up_tokenization_spaces"] == tf["clean_up_tokenization_spaces"]
        expected["add_bos_token"] = raw.get("add_bos_token")
        expected["add_eos_token"] = raw.get("add_eos_token")
        ct = raw.get("chat_template")
        if isinstance(ct, list):
            names = [e["name"] for e in ct]
            pick = names.index("default") if "default" in names else 0
            expected["chat_template"] = ct[pick]["template"]
            expected["chat_template_name"] = names[pick]
            if "default" in names:
                assert tf["chat_template"] == expected["chat_template"]
            else:
                assert tf["chat_template"] is None
        else:
            expected["chat_template"] = ct
            expected["chat_template_name"] = ""
            assert tf["chat_template"] == ct, (c["file"], tf["chat_template"], ct)
        c["expected"] = expected
        del c["raw"]
        print(f"  {c['file']}: {tf['class']}")
    return {"generator": "tools/make_processor_fixtures.py", "transformers_version": transformers.__version__,
            "cases": cases}


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    model_json = train_model()
    print("processor_cases.json")
    cases = processor_cases(model_json)
    (OUT / "processor_cases.json").write_text(json.dumps(cases, ensure_ascii=False, separators=(",", ":")) + "\n",
                                              encoding="utf-8")
    print("configs/")
    cfg = config_cases(model_json)
    (OUT / "config_cases.json").write_text(json.dumps(cfg, ensure_ascii=True, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Golden fixtures for attnlab's GGUF reader and dequantization, from gguf-py (the `gguf` package).

Writes tests/fixtures/gguf/:
  types.json            every ggml type gguf-py knows: number, name, block size, bytes per block
  dequant.json          one case per dequantization check: the type, how the blocks were made, where
                        its bytes are in dequant_blocks.bin and its expected float32 in dequant_expected.bin
  dequant_blocks.bin    the blocks, back to back (byte offsets)
  dequant_expected.bin  gguf.quants.dequantize(blocks, type) as float32 little-endian (float offsets)
  README.md             (hand-written, kept) how these were made
  *.gguf                small complete files written by gguf.GGUFWriter (one patched to version 2)
  files.json            what each .gguf holds: version, alignment, data offset, every metadata key with
                        its type and value in file order, every tensor (type, dims in GGUF order, offset,
                        bytes) and where its dequantized values are in files_expected.bin
  files_expected.bin    those tensors dequantized by gguf.quants.dequantize, float32 little-endian
and fuzz/corpus/gguf/: fuzz_gguf's seeds (these files, four more small ones (one a Gemma-style SentencePiece
  vocabulary), seven byte-patched hostile ones).

The 13 types attnlab reads (F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K) get
random blocks: random bytes with every fp16 scale field overwritten by a finite value (normal, some
subnormal, zero and negative), so the dequantized values are finite; F16 gets all 65536 bit patterns, F32 and
BF16 random bit patterns (NaN payloads included: compared bit for bit). Where gguf-py can quantize
(F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0) there are also blocks quantized from random normal floats with
gguf.quants.quantize; gguf-py has no quantizer for the K-quants. The script checks its own output: every
.gguf reads back through gguf.GGUFReader to the metadata and tensors it was given.

Reference: gguf-py 0.19.0 from PyPI (the package in tools/.venv). Its quants.py dequantize_blocks are the
same as llama.cpp's gguf-py/gguf/quants.py at commit 150f157acf0fd4bd5379bdb3aae3dde1aa1397a5; the C++
reader's checks follow ggml/src/gguf.cpp at 067d44f6c48459f7a82dbafc6fbd0bae97755a4e and the block layouts
ggml/src/ggml-quants.c at 01243c587feceaa5d6a6c2305535ef2f549c48b8 (ggml-org/llama.cpp).
Deterministic (numpy default_rng with fixed seeds): every run rewrites the files byte-identically.

Run: tools/.venv/bin/python tools/make_gguf_fixtures.py
"""
import importlib.metadata
import json
import pathlib
import shutil
import tempfile

import gguf
import numpy as np
from gguf import GGMLQuantizationType as T
from gguf import GGUFValueType as V

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "fixtures" / "gguf"
CORPUS = ROOT / "fuzz" / "corpus" / "gguf"  # fuzz_gguf's seeds
SEED = 20240517

SUPPORTED = [T.F32, T.F16, T.BF16, T.Q4_0, T.Q4_1, T.Q5_0, T.Q5_1, T.Q8_0, T.Q2_K, T.Q3_K, T.Q4_K, T.Q5_K, T.Q6_K]
# Byte offsets of the fp16 fields (d, m, dmin) inside one block (ggml-common.h block_*).
HALF_FIELDS = {
    T.Q4_0: [0], T.Q4_1: [0, 2], T.Q5_0: [0], T.Q5_1: [0, 2], T.Q8_0: [0],
    T.Q2_K: [80, 82], T.Q3_K: [108], T.Q4_K: [0, 2], T.Q5_K: [0, 2], T.Q6_K: [208],
}
QUANTIZABLE = [T.F16, T.BF16, T.Q4_0, T.Q4_1, T.Q5_0, T.Q5_1, T.Q8_0]


def sane_halves(rng, n):
    """n finite fp16 scales: mostly normal magnitudes in [2^-12, 4), some subnormal, zero, negative."""
    mag = np.exp2(rng.uniform(-12, 2, n)).astype(np.float32)
    sign = np.where(rng.random(n) < 0.3, -1.0, 1.0).astype(np.float32)
    h = (mag * sign).astype(np.float16)
    bits = h.view(np.uint16).copy()
    pick = rng.random(n)
    bits[pick < 0.08] = rng.integers(1, 0x400, int((pick < 0.08).sum()), dtype=np.uint16)  # subnormal
    bits[(pick >= 0.08) & (pick < 0.11)] = 0  # zero scale
    assert np.isfinite(bits.view(np.float16)).all()
    return bits


def random_blocks(rng, qtype, n_blocks):
    """Random bytes for n_blocks blocks of qtype with sane fp16 scale fields."""
    _, type_size = gguf.GGML_QUANT_SIZES[qtype]
    blocks = rng.integers(0, 256, (n_blocks, type_size), dtype=np.uint8)
    for off in HALF_FIELDS[qtype]:
        blocks[:, off:off + 2] = sane_halves(rng, n_blocks).view(np.uint8).reshape(n_blocks, 2)
    return blocks


def dequantize(raw, qtype):
    """gguf-py's dequantization of raw bytes (rows of whole blocks) as a flat float32 array."""
    out = gguf.quants.dequantize(np.ascontiguousarray(raw, dtype=np.uint8), qtype)
    out = np.ascontiguousarray(out, dtype=np.float32).reshape(-1)
    block_size, type_size = gguf.GGML_QUANT_SIZES[qtype]
    assert out.size == raw.size // type_size * block_size
    return out


class Blobs:
    """Bytes and float32 arrays appended back to back; entries say where each one is."""

    def __init__(self):
        self.blocks = bytearray()
        self.floats = []
        self.n_floats = 0

    def add_blocks(self, raw):
        entry = {"offset": len(self.blocks), "nbytes": int(raw.nbytes)}
        self.blocks += raw.tobytes()
        return entry

    def add_floats(self, values):
        values = np.ascontiguousarray(values, dtype="<f4").reshape(-1)
        entry = {"offset": self.n_floats, "shape": [int(values.size)]}
        self.floats.append(values.tobytes())
        self.n_floats += values.size
        return entry

    def float_bytes(self):
        return b"".join(self.floats)


def dequant_cases(rng):
    blobs = Blobs()
    cases = []

    def add(qtype, origin, raw):
        expected = dequantize(raw, qtype)
        if qtype not in (T.F32, T.F16, T.BF16):
            assert np.isfinite(expected).all(), (qtype.name, origin)
        cases.append({"type": qtype.name, "type_id": int(qtype), "origin": origin, "n": int(expected.size),
                      "blocks": blobs.add_blocks(raw), "expected": blobs.add_floats(expected)})

    for qtype in SUPPORTED:
        if qtype == T.F16:
            add(qtype, "every bit pattern 0x0000..0xffff", np.arange(65536, dtype="<u2").view(np.uint8))
        elif qtype == T.F32:
            bits = rng.integers(0, 2**32, 1024, dtype=np.uint64).astype("<u4")
            bits[:8] = [0, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000, 0x7f800001, 0x00000001, 0x807fffff]
            add(qtype, "random bit patterns", bits.view(np.uint8))
        elif qtype == T.BF16:
            bits = rng.integers(0, 2**16, 4096, dtype=np.uint32).astype("<u2")
            bits[:8] = [0, 0x8000, 0x7f80, 0xff80, 0x7fc0, 0x7f81, 0x0001, 0x807f]
            add(qtype, "random bit patterns", bits.view(np.uint8))
        else:
            block_size, _ = gguf.GGML_QUANT_SIZES[qtype]
            add(qtype, "random blocks", random_blocks(rng, qtype, 64 if block_size == 32 else 16))
        if qtype in QUANTIZABLE:
            block_size, _ = gguf.GGML_QUANT_SIZES[qtype]
            x = (rng.standard_normal((4, 8 * block_size if block_size > 1 else 256)) *
                 rng.uniform(0.01, 3.0, (4, 1))).astype(np.float32)
            add(qtype, "quantized by gguf.quants.quantize", np.asarray(gguf.quants.quantize(x, qtype)).view(np.uint8))
    return cases, blobs


def tensor_data(rng, qtype, shape):
    """A tensor of `qtype` with numpy shape `shape` (row = last axis) as the writer takes it."""
    if qtype == T.F32:
        return rng.standard_normal(shape).astype(np.float32), None
    if qtype == T.F16:
        return rng.standard_normal(shape).astype(np.float16), None
    if qtype in QUANTIZABLE:  # BF16, Q4_0 .. Q8_0: quantized from floats
        return gguf.quants.quantize(rng.standard_normal(shape).astype(np.float32), qtype), qtype
    block_size, type_size = gguf.GGML_QUANT_SIZES[qtype]
    rows = int(np.prod(shape[:-1]))
    if qtype in HALF_FIELDS:
        raw = random_blocks(rng, qtype, rows * shape[-1] // block_size)
    else:  # a type attnlab does not read: any bytes will do
        raw = rng.integers(0, 256, (rows * shape[-1] // block_size, type_size), dtype=np.uint8)
    return raw.reshape(*shape[:-1], shape[-1] // block_size * type_size), qtype


def write_gguf(path, arch, kvs, tensors, alignment=None):
    """kvs: (key, value, GGUFValueType, sub_type); tensors: (name, array, raw_dtype)."""
    w = gguf.GGUFWriter(str(path), arch)
    if alignment is not None:
        w.add_custom_alignment(alignment)
    for key, value, vtype, sub_type in kvs:
        w.add_key_value(key, value, vtype, sub_type=sub_type)
    for name, array, raw_dtype in tensors:
        w.add_tensor(name, array, raw_dtype=raw_dtype)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def json_value(field):
    """A GGUFReader field as JSON: scalars, strings, arrays (nested arrays as nested lists)."""
    main = field.types[0]
    if main == V.ARRAY:
        if field.types[1] == V.ARRAY:
            raise ValueError("nested arrays are described by hand")
        return field.contents()
    return field.contents()


def describe(path, blobs, nested):
    """What a .gguf holds, read back by GGUFReader."""
    r = gguf.GGUFReader(str(path))
    metadata = []
    for key, field in r.fields.items():
        if key.startswith("GGUF."):
            continue
        entry = {"key": key, "type": field.types[0].name}
        if field.types[0] == V.ARRAY:
            entry["element_type"] = field.types[1].name
            entry["value"] = nested[key] if key in nested else json_value(field)
        else:
            entry["value"] = json_value(field)
        metadata.append(entry)
    tensors = []
    for t in r.tensors:
        entry = {"name": t.name, "type": t.tensor_type.name, "type_id": int(t.tensor_type),
                 "dims": [int(d) for d in t.shape], "offset": int(t.data_offset - r.data_offset),
                 "nbytes": int(t.n_bytes)}
        if t.tensor_type in SUPPORTED:
            entry["expected"] = blobs.add_floats(dequantize(np.asarray(t.data).view(np.uint8), t.tensor_type))
        tensors.append(entry)
    version = int(r.fields["GGUF.version"].parts[0][0])
    return {"file": path.name, "version": version, "alignment": int(r.alignment), "data_offset": int(r.data_offset),
            "file_size": path.stat().st_size, "metadata": metadata, "tensors": tensors}


def check_roundtrip(path, kvs, tensors):
    r = gguf.GGUFReader(str(path))
    for key, value, vtype, sub_type in kvs:
        field = r.fields[key]
        assert field.types[0] == vtype, key
        if vtype == V.ARRAY and isinstance(value[0], list):
            continue
        got = field.contents()
        if vtype in (V.FLOAT32,):
            assert np.float32(got) == np.float32(value), key
        elif vtype == V.ARRAY and (sub_type == V.FLOAT32 or isinstance(value[0], float)):
            assert np.array_equal(np.float32(got), np.float32(value)), key
        else:
            assert got == value, (key, got, value)
    for (name, array, _), t in zip(tensors, r.tensors):
        assert t.name == name
        assert np.asarray(t.data).tobytes() == np.ascontiguousarray(array).tobytes(), name


def complete_files(rng, tmp, blobs):
    files = []
    nested = [[1, 2, 3], [-4], [5, 6]]
    common = [
        ("general.name", "attnlab fixture", V.STRING, None),
        ("general.description", "ünïcödé ✓ strings, \"quotes\" and \\ backslashes", V.STRING, None),
        ("general.empty", "", V.STRING, None),
        ("test.u8", 255, V.UINT8, None),
        ("test.i8", -128, V.INT8, None),
        ("test.u16", 65535, V.UINT16, None),
        ("test.i16", -32768, V.INT16, None),
        ("test.u32", 4294967295, V.UINT32, None),
        ("test.i32", -2147483648, V.INT32, None),
        ("test.i32_small", 12, V.INT32, None),
        ("test.u64", 18446744073709551615, V.UINT64, None),
        ("test.i64", -9223372036854775808, V.INT64, None),
        ("test.f32", 0.1, V.FLOAT32, None),
        ("test.f64", 0.1, V.FLOAT64, None),
        ("test.f64_exact", 0.5, V.FLOAT64, None),
        ("test.true", True, V.BOOL, None),
        ("test.false", False, V.BOOL, None),
        ("llama.block_count", 2, V.UINT32, None),
        ("llama.rope.freq_base", 10000.0, V.FLOAT32, None),
        ("tokenizer.ggml.tokens", ["<unk>", "<s>", "</s>", "", "▁the", "ü", "日本", "a b"], V.ARRAY, None),
        ("tokenizer.ggml.scores", [0.0, -1.5, 2.25, -1e-3, 3.4e38, -0.0, 1.0, 7.0], V.ARRAY, None),
        ("tokenizer.ggml.token_type", [2, 3, 3, 1, 1, 1, 1, 1], V.ARRAY, None),
        ("test.u32_array", [0, 1, 4294967295], V.ARRAY, V.UINT32),
        ("test.i64_array", [-1, 2, 3], V.ARRAY, V.INT64),
        ("test.bool_array", [True, False, True], V.ARRAY, None),
        ("test.f64_array", [0.5, -2.0], V.ARRAY, V.FLOAT64),
        ("test.nested", nested, V.ARRAY, None),
    ]

    # 1. A tensor of every type attnlab reads (2-D, 3-D, 4-D and 1-D shapes), an I32 tensor and an IQ2_XXS
    # one it does not read; default alignment 32.
    shapes = {T.F32: (2, 3, 4), T.F16: (1, 2, 3, 8), T.BF16: (3, 16), T.Q4_0: (2, 64), T.Q4_1: (64,),
              T.Q5_0: (3, 32), T.Q5_1: (2, 64), T.Q8_0: (2, 2, 32), T.Q2_K: (2, 256), T.Q3_K: (256,),
              T.Q4_K: (2, 256), T.Q5_K: (2, 256), T.Q6_K: (2, 512)}
    tensors = []
    for i, qtype in enumerate(SUPPORTED):
        array, raw = tensor_data(rng, qtype, shapes[qtype])
        tensors.append((f"blk.{i}.{qtype.name.lower()}.weight", array, raw))
    tensors.append(("token_types.i32", rng.integers(-5, 5, (2, 3)).astype(np.int32), None))
    iq, raw = tensor_data(rng, T.IQ2_XXS, (1, 256))
    tensors.append(("blk.0.attn_q.weight", iq, raw))
    path = tmp / "all_types.gguf"
    write_gguf(path, "llama", common, tensors)
    check_roundtrip(path, common, tensors)
    files.append((path, {"test.nested": nested}))

    # 2. Alignment 64 (general.alignment UINT32), tensors whose sizes are not multiples of it.
    kvs = [("general.name", "aligned to 64", V.STRING, None), ("test.u32", 7, V.UINT32, None)]
    tensors = [("odd.f32", rng.standard_normal((3, 5)).astype(np.float32), None)]
    array, raw = tensor_data(rng, T.Q8_0, (1, 32))
    tensors.append(("q8.weight", array, raw))
    array, raw = tensor_data(rng, T.Q4_K, (1, 256))
    tensors.append(("q4k.weight", array, raw))
    tensors.append(("tail.f16", rng.standard_normal((7,)).astype(np.float16), None))
    path = tmp / "align64.gguf"
    write_gguf(path, "llama", kvs, tensors, alignment=64)
    check_roundtrip(path, kvs, tensors)
    files.append((path, {}))

    # 3. Metadata only (no tensors), patched to GGUF version 2 (same layout as 3 for little-endian files).
    kvs = [("general.name", "version 2, no tensors", V.STRING, None), ("test.i32", -7, V.INT32, None),
           ("test.strings", ["x", "", "yz"], V.ARRAY, None), ("test.nested", nested, V.ARRAY, None)]
    path = tmp / "metadata_v2.gguf"
    write_gguf(path, "llama", kvs, [])
    data = bytearray(path.read_bytes())
    assert data[4:8] == (3).to_bytes(4, "little")
    data[4:8] = (2).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    check_roundtrip(path, kvs, [])
    files.append((path, {"test.nested": nested}))

    return [describe(p, blobs, n) for p, n in files], [p for p, _ in files]


def fuzz_seeds(rng, tmp, fixtures):
    """Seeds for fuzz/gguf_fuzz.cpp: the fixture files, two more small valid ones, and byte-patched hostile ones."""
    seeds = {p.name: p.read_bytes() for p in fixtures}
    path = tmp / "tiny.gguf"
    write_gguf(path, "llama", [("llama.block_count", 1, V.UINT32, None)],
               [("w", rng.standard_normal((2, 4)).astype(np.float32), None)])
    seeds["tiny.gguf"] = path.read_bytes()
    path = tmp / "kquants.gguf"
    tensors = []
    for qtype in (T.Q2_K, T.Q3_K, T.Q6_K):
        array, raw = tensor_data(rng, qtype, (1, 256))
        tensors.append((qtype.name.lower(), array, raw))
    write_gguf(path, "llama", [("tokenizer.ggml.tokens", ["a", "b"], V.ARRAY, None)], tensors, alignment=16)
    seeds["kquants.gguf"] = path.read_bytes()

    # A whole (tiny) llama model with a byte-level BPE tokenizer, so the fuzzer reaches the model spec
    # and tokenizer readers (model/gguf_model.cpp, text/gguf_tokenizer.cpp) from the start.
    path = tmp / "tiny_llama.gguf"
    h, inter, vocab_tokens = 8, 16, ["<|endoftext|>", "a", "b", "\u0120", "ab", "\u0120a", "<think>"]
    kvs = [("llama.block_count", 1, V.UINT32, None), ("llama.context_length", 64, V.UINT32, None),
           ("llama.embedding_length", h, V.UINT32, None), ("llama.feed_forward_length", inter, V.UINT32, None),
           ("llama.attention.head_count", 2, V.UINT32, None), ("llama.attention.head_count_kv", 1, V.UINT32, None),
           ("llama.rope.freq_base", 10000.0, V.FLOAT32, None),
           ("llama.attention.layer_norm_rms_epsilon", 1e-5, V.FLOAT32, None),
           ("tokenizer.ggml.model", "gpt2", V.STRING, None), ("tokenizer.ggml.pre", "smollm", V.STRING, None),
           ("tokenizer.ggml.tokens", vocab_tokens, V.ARRAY, None),
           ("tokenizer.ggml.token_type", [3, 1, 1, 1, 1, 1, 4], V.ARRAY, None),
           ("tokenizer.ggml.merges", ["a b", "\u0120 a"], V.ARRAY, None),
           ("tokenizer.ggml.bos_token_id", 0, V.UINT32, None), ("tokenizer.ggml.eos_token_id", 0, V.UINT32, None),
           ("tokenizer.ggml.add_bos_token", True, V.BOOL, None)]
    v = len(vocab_tokens)
    shapes = [("token_embd.weight", (v, h)), ("output_norm.weight", (h,)), ("blk.0.attn_norm.weight", (h,)),
              ("blk.0.attn_q.weight", (h, h)), ("blk.0.attn_k.weight", (4, h)), ("blk.0.attn_v.weight", (4, h)),
              ("blk.0.attn_output.weight", (h, h)), ("blk.0.ffn_norm.weight", (h,)),
              ("blk.0.ffn_gate.weight", (inter, h)), ("blk.0.ffn_up.weight", (inter, h)),
              ("blk.0.ffn_down.weight", (h, inter))]
    write_gguf(path, "llama", kvs, [(n, rng.standard_normal(shape).astype(np.float32), None) for n, shape in shapes])
    seeds["tiny_llama.gguf"] = path.read_bytes()

    # A Gemma-style SentencePiece vocabulary ("llama" tokenizer, no merges: recovered from the token
    # order; a whitespace token stored as spaces; byte fallback tokens), and the same file with one
    # token's bytes made invalid UTF-8 (transformers' reader refuses it; so must attnlab).
    path = tmp / "gemma3_spm.gguf"
    spm_tokens = ["<pad>", "<eos>", "<bos>", "<unk>", "<0x41>", "\u2581", "a", "b", "ab", "\u2581a", "  ", "xy"]
    write_gguf(path, "gemma3", [("gemma3.block_count", 1, V.UINT32, None),
                                ("tokenizer.ggml.model", "llama", V.STRING, None),
                                ("tokenizer.ggml.tokens", spm_tokens, V.ARRAY, None),
                                ("tokenizer.ggml.scores", [0.0] * len(spm_tokens), V.ARRAY, None),
                                ("tokenizer.ggml.token_type", [3, 3, 3, 2, 6, 1, 1, 1, 1, 1, 4, 1], V.ARRAY, None),
                                ("tokenizer.ggml.bos_token_id", 2, V.UINT32, None),
                                ("tokenizer.ggml.eos_token_id", 1, V.UINT32, None),
                                ("tokenizer.ggml.unknown_token_id", 3, V.UINT32, None),
                                ("tokenizer.ggml.padding_token_id", 0, V.UINT32, None)],
               [("w", rng.standard_normal((2, 4)).astype(np.float32), None)])
    seeds["gemma3_spm.gguf"] = path.read_bytes()
    at = seeds["gemma3_spm.gguf"].index(b"xy")
    seeds["hostile_token_utf8.gguf"] = seeds["gemma3_spm.gguf"][:at] + b"x\xff" + seeds["gemma3_spm.gguf"][at + 2:]

    tiny = seeds["tiny.gguf"]
    def patched(at, value, size=8):
        b = bytearray(tiny)
        b[at:at + size] = value.to_bytes(size, "little")
        return bytes(b)
    r = gguf.GGUFReader(str(tmp / "tiny.gguf"))
    info = r.tensors[0].field.offset  # where tensor 'w' is described
    seeds["hostile_truncated.gguf"] = seeds["all_types.gguf"][:700]
    seeds["hostile_version1.gguf"] = patched(4, 1, 4)
    seeds["hostile_tensor_count.gguf"] = patched(8, 10**18)
    seeds["hostile_string_length.gguf"] = patched(24, 2**63)
    seeds["hostile_type.gguf"] = patched(info + 8 + 1 + 4 + 16, 99, 4)  # name 'w', n_dims 2, dims, type
    seeds["hostile_offset.gguf"] = patched(info + 8 + 1 + 4 + 16 + 4, 4)
    return seeds


def dump_json(path, obj):
    path.write_text(json.dumps(obj, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def main():
    rng = np.random.default_rng(SEED)
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.iterdir():  # everything but the hand-written README is rewritten from scratch
        if old.name != "README.md":
            old.unlink()

    types = [{"name": t.name, "id": int(t), "block_size": gguf.GGML_QUANT_SIZES[t][0],
              "block_bytes": gguf.GGML_QUANT_SIZES[t][1], "dequantizable": t in SUPPORTED}
             for t in T if t in gguf.GGML_QUANT_SIZES]
    dump_json(OUT / "types.json", {"gguf_py": importlib.metadata.version("gguf"), "types": types})

    cases, blobs = dequant_cases(rng)
    (OUT / "dequant_blocks.bin").write_bytes(bytes(blobs.blocks))
    (OUT / "dequant_expected.bin").write_bytes(blobs.float_bytes())
    dump_json(OUT / "dequant.json", {"cases": cases})

    file_blobs = Blobs()
    with tempfile.TemporaryDirectory() as tmp:
        described, paths = complete_files(rng, pathlib.Path(tmp), file_blobs)
        for p in paths:
            shutil.copyfile(p, OUT / p.name)
        seeds = fuzz_seeds(rng, pathlib.Path(tmp), paths)
    CORPUS.mkdir(parents=True, exist_ok=True)
    for name, data in seeds.items():
        (CORPUS / name).write_bytes(data)
    (OUT / "files_expected.bin").write_bytes(file_blobs.float_bytes())
    dump_json(OUT / "files.json", {"files": described})
    total = sum(p.stat().st_size for p in OUT.iterdir())
    print(f"wrote {OUT.relative_to(ROOT)}: {len(cases)} dequantization cases, {len(described)} .gguf files, "
          f"{total} bytes; {len(seeds)} fuzz seeds in {CORPUS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()

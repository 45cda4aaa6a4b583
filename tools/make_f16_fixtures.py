#!/usr/bin/env python3
"""Writes tests/fixtures/f16_rounding.json: float32 bit patterns and what numpy's
np.float32(x).astype(np.float16) makes of them (IEEE binary16, round to nearest even), for attnlab's
float16 conversion (src/core/f16.h) behind the F16 arrays of .npz / .safetensors files; and half bit
patterns with numpy's float16 -> float32 of them (exact) for the way back.

The inputs: every kind of rounding boundary (ties with an even and an odd kept part, and one float32
ulp either side, in normals and subnormals; the largest finite half and the overflow to inf at 65520;
the subnormal/normal boundary 2^-14, 2^-24, 2^-25), every power of two of float32, probabilities as
attention weights hold them (0.3, 1/3, 1e-5, 1e-8, 6e-8, uniform in [0, 1), exp(-k)), random floats
of every float32 exponent, random bit patterns, +-0, +-inf and NaNs (quiet, signalling, payloads).
Deterministic (fixed seed).

Run: python3 tools/make_f16_fixtures.py   (any numpy; else tools/.venv/bin/python)
"""
import json
import pathlib

import numpy as np

OUT = pathlib.Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "f16_rounding.json"

rng = np.random.default_rng(16)


def f32_bits(values):
    return [int(b) for b in np.asarray(values, dtype=np.float32).view(np.uint32)]


def half_as_f32_bits(h):
    return int(np.array([h], dtype=np.uint16).view(np.float16).astype(np.float32).view(np.uint32)[0])


bits = set()


def add(*patterns):
    for b in patterns:
        b &= 0xFFFFFFFF
        bits.add(b)
        bits.add(b ^ 0x80000000)  # and the negative


def add_around(b):  # b and one float32 ulp either side (within the same sign)
    for d in (-1, 0, 1):
        if 0 <= (b & 0x7FFFFFFF) + d <= 0x7FFFFFFF:
            add(b + d)


# Ties between two normal halves: the float32 halfway from half h to h + 1 (13 dropped bits: 0x1000),
# for kept mantissas even and odd, small and the carrying 0x3ff, at every half exponent.
for e in range(1, 31):
    for m in sorted({0, 1, 0x2aa, 0x3fe, 0x3ff, *rng.integers(0, 0x400, 2).tolist()}):
        add_around(half_as_f32_bits((e << 10) | m) + 0x1000)

# Ties between subnormal halves: (k + 1/2) * 2^-24, both parities of k, the smallest ones, random
# ones, powers of two and the largest, up to 1023.5 * 2^-24, which rounds to the smallest normal 2^-14.
for k in sorted({*range(16), *(2**i - 1 for i in range(4, 11)), *(2**i for i in range(4, 10)), *range(1012, 1024),
                 *rng.integers(16, 1012, 30).tolist()}):
    add_around(f32_bits([(k + 0.5) * 2.0**-24])[0])
    add(f32_bits([k * 2.0**-24])[0])

# The largest finite half (65504), the values in (65504, 65520) that round to it, the tie at 65520
# that goes to inf, and beyond up to float32's largest.
for v in (65504.0, 65505.0, 65519.0, 65519.996, 65520.0, 65521.0, 65536.0, 70000.0, 1e5, 1e10, 3.4028235e38):
    add_around(f32_bits([v])[0])

# The subnormal/normal boundary, the smallest subnormal and the underflow to 0 below 2^-25.
for v in (2.0**-14, 2.0**-14 * (1 - 2.0**-11), 2.0**-24, 2.0**-25, 2.0**-25 * 1.5, 2.0**-26, 1.5 * 2.0**-24,
          2.5 * 2.0**-24, 2.0**-126, 1e-45):
    add_around(f32_bits([v])[0])

# Every power of two float32 holds (normal and subnormal).
for e in range(-149, 128):
    add(f32_bits([2.0**e])[0])

# Probabilities: the values attention weights take.
probs = [0.0, 1.0, 0.5, 0.3, 1 / 3, 2 / 3, 0.1, 0.2, 0.7, 0.9, 0.99, 0.999, 0.9999, 1 - 2.0**-24, 1 - 2.0**-11,
         1 - 2.0**-12, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 6e-8, 5.96e-8, 3e-8, 1e-9, 1 / 7, 1 / 768, 1 / 4096]
probs += np.exp(-np.arange(0, 40, 0.5)).tolist()
for v in probs:
    add_around(f32_bits([v])[0])
add(*f32_bits(rng.random(150)))
add(*f32_bits(rng.random(100) ** 8))  # many small ones, into the subnormals

# Random floats of every float32 exponent (denormal to the largest), random mantissas.
for e in range(0, 255):
    for m in rng.integers(0, 1 << 23, 3).tolist():
        add((e << 23) | m)

# Random bit patterns.
add(*rng.integers(0, 1 << 32, 300, dtype=np.uint64).tolist())

# Zeros, infinities, NaNs: quiet, signalling, payloads only in the low 13 bits (which a half cannot
# hold: numpy then gives 0x7c01), the largest payload.
add(0x00000000, 0x7F800000, 0x7FC00000, 0x7FC00001, 0x7F800001, 0x7F801FFF, 0x7F802000, 0x7FA00000,
    0x7FBFFFFF, 0x7FE00000, 0x7FFFE000, 0x7FFFFFFF, 0x7FD55555)

f32 = np.array(sorted(bits), dtype=np.uint32)
with np.errstate(all="ignore"):  # the overflow to inf warns
    f16 = f32.view(np.float32).astype(np.float16).view(np.uint16)
    scalar = [int(np.float32(x).astype(np.float16).view(np.uint16)) for x in f32.view(np.float32)]
assert scalar == f16.tolist(), "numpy's scalar and array casts differ"

# The way back: every 97th half pattern, and the special ones (zeros, the subnormals' ends, the
# largest finite, infinities, NaNs) of both signs, with numpy's float32 of them.
halves = set(range(0, 65536, 97)) | {0x0000, 0x0001, 0x0002, 0x03FF, 0x0400, 0x3C00, 0x7BFF, 0x7C00, 0x7C01,
                                    0x7DFF, 0x7E00, 0x7FFF}
halves |= {h | 0x8000 for h in halves}
h16 = np.array(sorted(halves), dtype=np.uint16)
back = h16.view(np.float16).astype(np.float32).view(np.uint32)

OUT.write_text(json.dumps({"generator": "tools/make_f16_fixtures.py", "numpy_version": np.__version__,
                           "f32_bits": f32.tolist(), "f16_bits": f16.tolist(),
                           "half_bits": h16.tolist(), "half_as_f32_bits": back.tolist()}) + "\n")
print(f"wrote {OUT} ({len(f32)} float32 values, {len(h16)} halves)")

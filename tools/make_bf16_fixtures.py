#!/usr/bin/env python3
"""Writes tests/fixtures/bf16_rounding.json: float32 bit patterns and what torch's
.to(torch.bfloat16) makes of them (round to nearest even), for attnlab's --bf16 weight packing.

Run: tools/.venv/bin/python tools/make_bf16_fixtures.py   (any PyTorch)
"""
import json
import pathlib

import torch

OUT = pathlib.Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "bf16_rounding.json"

g = torch.Generator().manual_seed(11)
bits = torch.randint(0, 2**31 - 1, (2000,), generator=g, dtype=torch.int64)
bits = torch.cat([bits, bits | (1 << 31)])
# Exact ties (low 16 bits 0x8000) with even and odd kept parts, and values near 1.
ties = torch.tensor([0x3f808000, 0x3f818000, 0x3f800000, 0x3f7fffff, 0x7f7fffff, 0x00008000, 0x00018000])
bits = torch.cat([bits, ties]).to(torch.int32)
f = bits.view(torch.float32)
keep = torch.isfinite(f)
f = f[keep]
b = f.to(torch.bfloat16).view(torch.int16).to(torch.int32) & 0xFFFF
OUT.write_text(json.dumps({"generator": "tools/make_bf16_fixtures.py", "torch_version": torch.__version__,
                           "f32_bits": (f.view(torch.int32).to(torch.int64) & 0xFFFFFFFF).tolist(),
                           "bf16_bits": b.tolist()}) + "\n")
print(f"wrote {OUT} ({len(b)} values)")

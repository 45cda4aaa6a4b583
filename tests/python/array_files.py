"""Reads attnlab's .npz and .safetensors files with numpy alone (numpy.load; the safetensors header
parsed with json and its data viewed with numpy.frombuffer), as a numpy user would.

As a script: prints every array of the file as JSON, {name: {"dtype", "shape", "values"}}; float32
values are printed as the doubles that hold them exactly.
"""
import json
import sys

import numpy as np

SAFETENSORS_DTYPES = {"F32": "<f4", "I32": "<i4", "I64": "<i8", "F16": "<f2"}


def load_safetensors(path):
    data = open(path, "rb").read()
    n = int.from_bytes(data[:8], "little")
    assert (8 + n) % 8 == 0, f"{path}: data does not start on an 8-byte boundary"
    header = json.loads(data[8:8 + n])
    header.pop("__metadata__", None)
    arrays, end = {}, 0
    for name, t in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0]):
        begin, stop = t["data_offsets"]
        assert begin == end, f"{path}: '{name}' starts at {begin}, the previous tensor ended at {end}"
        dtype = np.dtype(SAFETENSORS_DTYPES[t["dtype"]])
        assert begin % dtype.itemsize == 0, f"{path}: '{name}' is not aligned to its element size"
        count = (stop - begin) // dtype.itemsize
        assert count == int(np.prod(t["shape"], dtype=np.int64)), f"{path}: '{name}' size does not match its shape"
        arrays[name] = np.frombuffer(data, dtype=dtype, count=count, offset=8 + n + begin).reshape(t["shape"])
        end = stop
    assert 8 + n + end == len(data), f"{path}: {len(data) - 8 - n - end} bytes after the last tensor"
    try:  # the reference reader too, where it is installed
        from safetensors.numpy import load_file
    except ImportError:
        return arrays
    reference = load_file(path)
    assert sorted(reference) == sorted(arrays), f"{path}: safetensors reads {sorted(reference)}"
    for name, a in arrays.items():
        assert reference[name].dtype == a.dtype and np.array_equal(reference[name], a), f"{path}: '{name}' differs"
    return arrays


def load(path):
    if path.endswith(".npz"):
        with np.load(path, allow_pickle=False) as z:
            return {name: z[name] for name in z.files}
    return load_safetensors(path)


if __name__ == "__main__":
    arrays = load(sys.argv[1])
    json.dump({name: {"dtype": a.dtype.str, "shape": list(a.shape), "values": a.ravel().tolist()}
               for name, a in arrays.items()}, sys.stdout)

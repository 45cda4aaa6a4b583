"""The fixtures' float blob (testing::read_float_blob, tests/support/fixtures.h): float32 little-endian arrays
back to back in cases.bin, each named in cases.json by {"offset" (in floats), "shape"}."""
import numpy as np


class FloatBlob:
    def __init__(self):
        self.parts, self.offset = [], 0

    def put(self, array):
        """Appends array as float32; returns its {"offset", "shape"} entry."""
        a = np.ascontiguousarray(array, dtype=np.float32)
        self.parts.append(a.reshape(-1))
        entry = {"offset": self.offset, "shape": list(a.shape)}
        self.offset += a.size
        return entry

    def bytes(self):
        return np.concatenate(self.parts).astype("<f4").tobytes()

    def write(self, path):
        with open(path, "wb") as f:
            f.write(self.bytes())

"""A small GGUF version 3 writer: the subset of the format fer's model files use.

Layout (little-endian): magic "GGUF", version (u32), tensor count (u64), metadata count (u64),
metadata (key string, value type u32, value), tensor infos (name, dimension count u32, dimensions
u64 innermost first, type u32, offset u64 into the data section), padding to the alignment, then
the tensor data, each tensor starting on a 32-byte boundary.
"""
import struct

import numpy as np

ALIGNMENT = 32

# Metadata value types and tensor types of the GGUF specification.
UINT32, INT32, FLOAT32, STRING, ARRAY = 4, 5, 6, 8, 9
TENSOR_F32, TENSOR_I8 = 0, 24


def _string(s):
    b = s.encode("utf-8")
    return struct.pack("<Q", len(b)) + b


class Writer:
    def __init__(self):
        self._metadata = []
        self._tensors = []

    def uint32(self, key, value):
        self._metadata.append(_string(key) + struct.pack("<II", UINT32, value))

    def float32(self, key, value):
        self._metadata.append(_string(key) + struct.pack("<If", FLOAT32, value))

    def string(self, key, value):
        self._metadata.append(_string(key) + struct.pack("<I", STRING) + _string(value))

    def strings(self, key, values):
        body = b"".join(_string(v) for v in values)
        self._metadata.append(
            _string(key) + struct.pack("<IIQ", ARRAY, STRING, len(values)) + body)

    def int32s(self, key, values):
        self._metadata.append(_string(key) + struct.pack("<IIQ", ARRAY, INT32, len(values)) +
                              struct.pack("<%di" % len(values), *values))

    def float32s(self, key, values):
        self._metadata.append(_string(key) + struct.pack("<IIQ", ARRAY, FLOAT32, len(values)) +
                              struct.pack("<%df" % len(values), *values))

    def tensor(self, name, array):
        """Adds a float32 or int8 numpy array; GGUF lists its dimensions innermost first."""
        array = np.ascontiguousarray(array)
        if array.dtype == np.float32:
            kind = TENSOR_F32
        elif array.dtype == np.int8:
            kind = TENSOR_I8
        else:
            raise ValueError("tensor %s: float32 or int8 expected, got %s" % (name, array.dtype))
        self._tensors.append((name, tuple(reversed(array.shape)), kind, array.tobytes()))

    def bytes(self):
        out = bytearray(b"GGUF")
        out += struct.pack("<IQQ", 3, len(self._tensors), len(self._metadata))
        for m in self._metadata:
            out += m
        offset = 0
        for name, dims, kind, data in self._tensors:
            out += _string(name) + struct.pack("<I", len(dims))
            out += struct.pack("<%dQ" % len(dims), *dims)
            out += struct.pack("<IQ", kind, offset)
            offset += -(-len(data) // ALIGNMENT) * ALIGNMENT
        out += b"\0" * (-len(out) % ALIGNMENT)
        for _, _, _, data in self._tensors:
            out += data
            out += b"\0" * (-len(out) % ALIGNMENT)
        return bytes(out)

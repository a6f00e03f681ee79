"""Minimal safetensors reader/writer in plain numpy (no `safetensors` package needed).

Format: 8-byte little-endian header length, a JSON header
{name: {"dtype": "F64"|"F32"|"I64"|..., "shape": [...], "data_offsets": [begin, end]}, "__metadata__": {str: str}}
padded with spaces to a multiple of 8, then the raw little-endian tensor data in the offsets' order.
Used by every fixture generator and by convert_checkpoint.py so all files are written the same way.
"""
import json
import struct

import numpy as np

_DTYPES = {
    "F64": np.dtype("<f8"),
    "F32": np.dtype("<f4"),
    "F16": np.dtype("<f2"),
    "I64": np.dtype("<i8"),
    "I32": np.dtype("<i4"),
    "U8": np.dtype("u1"),
}


def _dtype_name(arr):
    for name, d in _DTYPES.items():
        if arr.dtype.kind == d.kind and arr.dtype.itemsize == d.itemsize:
            return name
    raise TypeError(f"unsupported dtype {arr.dtype}")


def save_file(tensors, path, metadata=None):
    """Write `tensors` (dict name -> numpy array, in insertion order) to `path`.

    Arrays keep their dtype (float64 -> F64, float32 -> F32, int64 -> I64); convert before calling.
    `metadata` values must be strings.
    """
    header = {}
    blobs = []
    offset = 0
    for name, arr in tensors.items():
        arr = np.asarray(arr)
        dname = _dtype_name(arr)
        data = np.ascontiguousarray(arr, dtype=_DTYPES[dname]).tobytes()
        header[name] = {"dtype": dname, "shape": list(arr.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    if metadata:
        for k, v in metadata.items():
            if not isinstance(v, str):
                raise TypeError(f"metadata value for {k!r} must be a string")
        header["__metadata__"] = dict(metadata)
    hbytes = json.dumps(header, separators=(",", ":")).encode("utf-8")
    hbytes += b" " * ((8 - len(hbytes) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hbytes)))
        f.write(hbytes)
        for b in blobs:
            f.write(b)


def load_file(path):
    """Read a safetensors file; returns (dict name -> numpy array in header order, metadata dict)."""
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        raise ValueError(f"{path}: too short for a safetensors file")
    (hlen,) = struct.unpack("<Q", raw[:8])
    if 8 + hlen > len(raw):
        raise ValueError(f"{path}: header length {hlen} exceeds file size {len(raw)}")
    header = json.loads(raw[8:8 + hlen].decode("utf-8"))
    metadata = header.pop("__metadata__", {}) or {}
    base = 8 + hlen
    out = {}
    for name, info in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0]):
        dt = _DTYPES[info["dtype"]]
        b, e = info["data_offsets"]
        if base + e > len(raw):
            raise ValueError(f"{path}: tensor {name!r} runs past the end of the file")
        arr = np.frombuffer(raw[base + b:base + e], dtype=dt).reshape(info["shape"]).copy()
        out[name] = arr
    return out, metadata

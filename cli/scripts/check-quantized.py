#!/usr/bin/env python3
"""Decodes a quant4j-quantized safetensors file with numpy alone, from docs/FILE-FORMAT.md, and checks
it against a dequantized file written by `quant4j dequantize` (bit for bit).

    python3 cli/scripts/check-quantized.py QUANTIZED.safetensors DEQUANTIZED.safetensors

Handles integer values (q8f q8s q4f q4s q2f q2s), U32 or NATIVE store, F32/F16/BF16 scales, and block
shapes along the last dimension or the tensor level; affine tensors (unsigned codes, NAME.__offsets,
fma(q, d, m)) with F16/BF16 params, where q * d is exact so q * d + m in float32 is the fma; other schemes
are listed as not checked.
"""
import json
import struct
import sys

import numpy as np

BITS = {"q8f": 8, "q8s": 8, "q4f": 4, "q4s": 4, "q2f": 2, "q2s": 2}


def read(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = np.memmap(path, dtype=np.uint8, mode="r", offset=8 + n)
    return header, data


def raw(header, data, name):
    b, e = header[name]["data_offsets"]
    return data[b:e]


def scales(header, data, name, param, suffix=".__scales"):
    r = raw(header, data, name + suffix)
    if param == "f32":
        return r.view("<f4").astype(np.float32)
    if param == "f16":
        return r.view("<f2").astype(np.float32)
    if param == "bf16":
        return (r.view("<u2").astype(np.uint32) << 16).view(np.float32)
    raise ValueError(param)


def dequantize(header, data, name):
    meta = json.loads(header["__metadata__"]["quant4j." + name])
    value, level, param, store, *rest = meta["scheme"].split(":")
    affine = "affine" in rest
    shape = meta["shape"]
    if value not in BITS or param == "ue8m0" or (affine and param == "f32"):
        return None
    bits = BITS[value]
    n = int(np.prod(shape))
    codes = raw(header, data, name)
    if store == "native":
        q = codes.view(np.uint8 if affine else np.int8).astype(np.int32)[:n]
    else:
        # Element k of the stream sits at bit k*bits, little-endian: unpack bytes, low bits first.
        per_byte = 8 // bits
        b = np.asarray(codes, dtype=np.uint8)
        parts = [(b >> (bits * j)) & ((1 << bits) - 1) for j in range(per_byte)]
        u = np.stack(parts, axis=1).reshape(-1)[:n].astype(np.int32)
        q = u if affine else np.where(u >= 1 << (bits - 1), u - (1 << bits), u)
    s = scales(header, data, name, param)
    m = scales(header, data, name, param, ".__offsets") if affine else np.zeros_like(s)
    q = q.reshape(shape).astype(np.float32)
    if level == "tensor":
        return q * s.reshape(()) + m.reshape(()) if affine else q * s.reshape(())
    block = [int(x) for x in level[len("block"):].split("x")]
    if len(block) != 1:
        return None
    cols = shape[-1]

    def expand(p):
        grid = p.reshape(tuple(shape[:-1]) + (-(-cols // block[0]),))
        return np.repeat(grid, block[0], axis=-1)[..., :cols]

    return q * expand(s) + expand(m) if affine else q * expand(s)


def main():
    qh, qd = read(sys.argv[1])
    dh, dd = read(sys.argv[2])
    names = [k[len("quant4j."):] for k in qh.get("__metadata__", {}) if k.startswith("quant4j.")]
    checked = 0
    for name in names:
        want = dequantize(qh, qd, name)
        if want is None:
            print(f"not checked: {name}")
            continue
        got = raw(dh, dd, name).view("<f4").reshape(want.shape)
        same = np.array_equal(want.astype(np.float32).view(np.uint32), got.view(np.uint32))
        if not same:
            print(f"MISMATCH: {name}")
            sys.exit(1)
        checked += 1
    print(f"numpy decoding of {checked} quantized tensors matches quant4j dequantize bit for bit")


if __name__ == "__main__":
    main()

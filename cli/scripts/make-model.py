#!/usr/bin/env python3
"""Writes a synthetic LLaMA-shaped safetensors file for trying the quant4j CLI on (numpy only).

    python3 cli/scripts/make-model.py OUT.safetensors [--hidden 768] [--layers 2] [--vocab 32000]

Weights are Gaussian (sigma 0.02) with about 0.1% outliers at 10-20 sigma, norms are near 1, and one
I64 tensor is included to show that non-float tensors are carried through. The defaults give about
63 M float32 weights (250 MB). Tensors are generated and written one at a time.
"""
import argparse
import json
import struct

import numpy as np


def shapes(hidden, layers, vocab):
    inter = hidden * 8 // 3 // 256 * 256 or 256
    out = [("model.embed_tokens.weight", (vocab, hidden), "F32")]
    for i in range(layers):
        p = f"model.layers.{i}."
        out += [(p + "input_layernorm.weight", (hidden,), "F32")]
        out += [(p + f"self_attn.{n}_proj.weight", (hidden, hidden), "F32") for n in "qkvo"]
        out += [(p + "post_attention_layernorm.weight", (hidden,), "F32")]
        out += [(p + "mlp.gate_proj.weight", (inter, hidden), "F32"),
                (p + "mlp.up_proj.weight", (inter, hidden), "F32"),
                (p + "mlp.down_proj.weight", (hidden, inter), "F32")]
    out += [("model.norm.weight", (hidden,), "F32"), ("lm_head.weight", (vocab, hidden), "F32"),
            ("position_ids", (1, 2048), "I64")]
    return out


def tensor(rng, name, shape, dtype):
    if dtype == "I64":
        return np.arange(int(np.prod(shape)), dtype="<i8").reshape(shape)
    if "norm" in name:
        return (1 + 0.05 * rng.standard_normal(shape)).astype("<f4")
    x = (0.02 * rng.standard_normal(shape, dtype=np.float32)).astype("<f4")
    flat = x.reshape(-1)
    idx = rng.choice(flat.size, size=max(1, flat.size // 1000), replace=False)
    flat[idx] = (0.02 * rng.uniform(10, 20, idx.size) * rng.choice([-1, 1], idx.size)).astype("<f4")
    return x


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--hidden", type=int, default=768)
    ap.add_argument("--layers", type=int, default=2)
    ap.add_argument("--vocab", type=int, default=32000)
    ap.add_argument("--seed", type=int, default=42)
    a = ap.parse_args()
    spec = shapes(a.hidden, a.layers, a.vocab)
    size = {"F32": 4, "I64": 8}
    header = {"__metadata__": {"format": "pt", "source": "quant4j make-model.py"}}
    off = 0
    for name, shape, dt in spec:
        n = int(np.prod(shape)) * size[dt]
        header[name] = {"dtype": dt, "shape": list(shape), "data_offsets": [off, off + n]}
        off += n
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    rng = np.random.default_rng(a.seed)
    weights = 0
    with open(a.out, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h)
        for name, shape, dt in spec:
            t = tensor(rng, name, shape, dt)
            f.write(t.tobytes())
            weights += t.size if dt == "F32" else 0
    print(f"wrote {a.out}: {len(spec)} tensors, {weights} float32 weights, {8 + len(h) + off} bytes")


if __name__ == "__main__":
    main()

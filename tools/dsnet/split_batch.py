#!/usr/bin/env python3
"""A 224 px batch that DS-Net's dynamic mode splits over several widths, for timing the routed plan.

A freshly initialised supernet's gate sends every input to one width (its slimming head barely depends on the input),
and no gate trained at 224 px exists on this machine, so this makes the split happen on purpose:
  OUT/batch.npy        16 inputs, random normal at 8 scales (0.01 .. 8) and 2 offsets (-2, 0), float32 [16,3,224,224]
  OUT/gate.safetensors the seed-0 supernet (WEIGHTS, from `./dynchan export --model slimmable_mbnet_v1_bn_uniform`)
                       with its 4x66 slimming head re-drawn (normal, seed 102, minus the mean of its 4 rows)
With these, `./dynchan bench --input OUT/batch.npy --model M:weights=OUT/gate.safetensors,width=dynamic ...` routes
the 16 inputs to uniform:0 x7, uniform:1, uniform:2 and uniform:3 x7 (check with `predict --choices-output`). The
latency of a routed batch depends on its split, not on how the gate was trained.
usage: split_batch.py WEIGHTS OUT
"""
import json
import os
import struct
import sys

import numpy as np

weights, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(0)
xs = [rng.standard_normal((3, 224, 224)).astype(np.float32) * [0.01, 0.1, 0.3, 0.5, 1, 2, 4, 8][i % 8]
      + [-2, 0][i // 8] for i in range(16)]
np.save(os.path.join(out, "batch.npy"), np.stack(xs).astype(np.float32))

blob = bytearray(open(weights, "rb").read())
n = struct.unpack("<Q", blob[:8])[0]
header = json.loads(blob[8:8 + n])
entry = header["blocks.3.first_block.gate.gate.0.weight"]
assert entry["dtype"] == "F32" and entry["shape"] == [4, 66, 1, 1], entry
w = np.random.default_rng(102).standard_normal((4, 66)).astype(np.float32)
w -= w.mean(0, keepdims=True)
start, end = entry["data_offsets"]
blob[8 + n + start:8 + n + end] = w.tobytes()
tmp = os.path.join(out, "gate.safetensors.tmp")
open(tmp, "wb").write(blob)
os.replace(tmp, os.path.join(out, "gate.safetensors"))
print("wrote", os.path.join(out, "batch.npy"), "and", os.path.join(out, "gate.safetensors"))

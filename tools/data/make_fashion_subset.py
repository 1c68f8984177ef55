#!/usr/bin/env python3
"""Re-create DynChan's embedded Fashion-MNIST subset (python3 standard library only).

Input: Debian's dataset-fashion-mnist (`apt-get install dataset-fashion-mnist`), i.e.
/usr/share/datasets/fashion-mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz.
Output: the same four file names, gzipped IDX, holding the first N_PER_CLASS images of every class
in file order (1,200 per class from train, 200 per class from t10k). Taking the first ones in file
order keeps the subset deterministic and keeps the original class interleaving, so no shuffling
state has to be recorded. gzip is written with mtime=0 so re-running gives identical bytes.

Usage: make_fashion_subset.py [SOURCE_DIR] [OUTPUT_DIR]
"""
import gzip
import hashlib
import os
import struct
import sys

SRC = "/usr/share/datasets/fashion-mnist"
DST = "src/main/resources/dev/dynchan/data/fashion-mnist-subset"
SPLITS = {"train": 1200, "t10k": 200}
NUM_CLASSES = 10


def read_idx(path, expected_magic):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack(">I", data[:4])[0]
    if magic != expected_magic:
        sys.exit(f"{path}: bad magic 0x{magic:08x}, expected 0x{expected_magic:08x}")
    ndim = magic & 0xFF
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    return dims, data[4 + 4 * ndim:]


def write_idx(path, magic, dims, body):
    header = struct.pack(">I", magic) + struct.pack(">" + "I" * len(dims), *dims)
    with open(path, "wb") as raw:
        # mtime=0 and no file name in the header: the output depends on the pixels only.
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as f:
            f.write(header + body)


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else SRC
    dst = sys.argv[2] if len(sys.argv) > 2 else DST
    os.makedirs(dst, exist_ok=True)
    for split, per_class in SPLITS.items():
        (n, rows, cols), pixels = read_idx(os.path.join(src, f"{split}-images-idx3-ubyte.gz"), 0x803)
        (n_labels,), labels = read_idx(os.path.join(src, f"{split}-labels-idx1-ubyte.gz"), 0x801)
        if n != n_labels:
            sys.exit(f"{split}: {n} images but {n_labels} labels")
        size = rows * cols
        taken = [0] * NUM_CLASSES
        keep = []
        for i in range(n):
            label = labels[i]
            if taken[label] < per_class:
                taken[label] += 1
                keep.append(i)
        if any(t != per_class for t in taken):
            sys.exit(f"{split}: not enough images per class: {taken}")
        out_pixels = b"".join(pixels[i * size:(i + 1) * size] for i in keep)
        out_labels = bytes(labels[i] for i in keep)
        img_path = os.path.join(dst, f"{split}-images-idx3-ubyte.gz")
        lbl_path = os.path.join(dst, f"{split}-labels-idx1-ubyte.gz")
        write_idx(img_path, 0x803, (len(keep), rows, cols), out_pixels)
        write_idx(lbl_path, 0x801, (len(keep),), out_labels)
        for p in (img_path, lbl_path):
            with open(p, "rb") as f:
                print(f"{hashlib.sha256(f.read()).hexdigest()}  {os.path.basename(p)}")


if __name__ == "__main__":
    main()

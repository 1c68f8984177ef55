#!/usr/bin/env python3
"""PyTorch eager latency benchmark, for comparison with DynChan's Java `bench` command.

Run from the repository root (Debian python3 with python3-torch / python3-torchvision):

    /usr/bin/python3 tools/bench/torch_bench.py --model resnet50 --batch 1 --threads 4 --iterations 50 --warmup 10
    /usr/bin/python3 tools/bench/torch_bench.py --model resnet18_small --train --batch 128 --threads 4
    /usr/bin/python3 tools/bench/torch_bench.py --model resnet50 --train --batch 32 --threads 4

Inference: model.eval() under torch.no_grad(); training (--train): one step = zero_grad, forward, cross-entropy,
backward, SGD(momentum) step, on random inputs and labels. Prints one JSON object:
{model, batch, threads, median_ms, min_ms, max_ms, images_per_s, ...}; times are per call (per batch).

Models: resnet50, resnet18 (torchvision), resnet18_small (3x3/1 stem, no max-pool, 10 classes, default 32 px),
PiXResNet50_cs (COMPOSITE PyTorch PiX op from tools/fixtures/refmodels.py, not the reference CUDA kernel),
resnet50_max, resnet50_hybrid, vit_s_max, pit_s_max, vit_s (ViT-S/16 layout of vit_s_max with attention in every block
and no class token; params 22.0M, for comparing the mixers). Python/torch are not runtime dependencies of DynChan.
"""
import argparse
import json
import os
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures"))
import refmodels as R  # noqa: E402

MODELS = {
    "resnet50": lambda nc: torchvision.models.resnet50(num_classes=nc),
    "resnet18": lambda nc: torchvision.models.resnet18(num_classes=nc),
    "resnet18_small": lambda nc: R.ResNet(R.BasicBlock, [2, 2, 2, 2], small_stem=True, num_classes=nc),
    "PiXResNet50_cs": lambda nc: R.PiXResNet([3, 4, 6, 3], num_classes=nc),
    "resnet50_max": lambda nc: R.PfResNet("max", num_classes=nc),
    "resnet50_hybrid": lambda nc: R.PfResNet("hybrid", num_classes=nc),
    "vit_s_max": lambda nc: R.vit_s_max(nc),
    "vit_s": lambda nc: R.vit_s(nc),
    "pit_s_max": lambda nc: R.pit_s_max(nc),
}
FIXED_IMG = {"vit_s_max": 224, "vit_s": 224, "pit_s_max": 224}  # positional embeddings fix the input size


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", required=True, choices=sorted(MODELS, key=str.lower))
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--threads", type=int, default=torch.get_num_threads())
    ap.add_argument("--iterations", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--img", type=int, default=None, help="input size (default 224; 32 for resnet18_small)")
    ap.add_argument("--num-classes", type=int, default=None, help="default 1000; 10 for resnet18_small")
    ap.add_argument("--train", action="store_true", help="time one SGD training step instead of inference")
    ap.add_argument("--lr", type=float, default=0.1)
    ap.add_argument("--momentum", type=float, default=0.9)
    ap.add_argument("--weight-decay", type=float, default=1e-4)
    ap.add_argument("--device", default="cpu", help="cpu or cuda")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    small = args.model == "resnet18_small"
    img = args.img or (32 if small else 224)
    if args.model in FIXED_IMG and img != FIXED_IMG[args.model]:
        raise SystemExit(f"error: {args.model} needs --img {FIXED_IMG[args.model]} (got {img})")
    nc = args.num_classes or (10 if small else 1000)
    dev = torch.device(args.device)
    model = MODELS[args.model](nc).to(dev)
    x = torch.randn(args.batch, 3, img, img, device=dev)

    if args.train:
        y = torch.randint(0, nc, (args.batch,), device=dev)
        opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=args.momentum,
                              weight_decay=args.weight_decay)
        model.train()

        def step():
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
    else:
        model.eval()

        def step():
            with torch.no_grad():
                model(x)

    sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)
    for _ in range(args.warmup):
        step()
    sync()
    times = []
    for _ in range(args.iterations):
        t0 = time.perf_counter()
        step()
        sync()
        times.append((time.perf_counter() - t0) * 1e3)
    med = statistics.median(times)
    out = {
        "model": args.model, "batch": args.batch, "threads": args.threads,
        "median_ms": round(med, 3), "min_ms": round(min(times), 3), "max_ms": round(max(times), 3),
        "images_per_s": round(args.batch * 1e3 / med, 2),
        "mode": "train_step_sgd_ce" if args.train else "inference_eval_no_grad",
        "img": img, "num_classes": nc, "iterations": args.iterations, "warmup": args.warmup,
        "device": args.device, "params": sum(p.numel() for p in model.parameters()),
        "torch_version": torch.__version__,
    }
    if args.model == "PiXResNet50_cs":
        out["note"] = "PiX is the composite PyTorch op (reshape/amax/cumsum/where), not the reference CUDA kernel"
    if args.model == "vit_s":
        out["note"] = "vit_s = vit_s_max layout with attention in all 12 blocks, no class token"
    print(json.dumps(out))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""PyTorch eager training-step throughput, the same step as `./dynchan train --benchmark-steps N`.

One step = zero_grad(set_to_none) + forward (train mode) + soft-target CE with label smoothing 0.1 + backward +
SGD (Nesterov, momentum 0.9, weight decay 5e-4 on conv/linear weights only, as DynChan's timm-style groups).
Random fixed batch; 3 warm-up steps, then --steps timed; prints median/min/max ms and images/s.

    /usr/bin/python3 tools/bench/torch_train_step.py --model resnet18_small --img 32 --batch 128 --threads 2
    /usr/bin/python3 tools/bench/torch_train_step.py --model resnet50 --img 224 --batch 16 --threads 2
"""
import argparse
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

ap = argparse.ArgumentParser()
ap.add_argument("--model", default="resnet18_small", choices=["resnet18_small", "resnet18", "resnet50"])
ap.add_argument("--img", type=int, default=32)
ap.add_argument("--batch", type=int, default=128)
ap.add_argument("--classes", type=int, default=None)
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--steps", type=int, default=10)
a = ap.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(0)
if a.model == "resnet50":
    nc = a.classes or 1000
    m = torchvision.models.resnet50(num_classes=nc)
else:
    nc = a.classes or 10
    m = torchvision.models.resnet18(num_classes=nc)
    if a.model == "resnet18_small":
        m.conv1 = nn.Conv2d(3, 64, 3, 1, 1, bias=False)
        m.maxpool = nn.Identity()
decay = [p for p in m.parameters() if p.ndim > 1]
no_decay = [p for p in m.parameters() if p.ndim <= 1]
opt = torch.optim.SGD([{"params": decay, "weight_decay": 5e-4}, {"params": no_decay, "weight_decay": 0.0}],
                      lr=0.01, momentum=0.9, nesterov=True)
x = torch.randn(a.batch, 3, a.img, a.img)
y = torch.randint(0, nc, (a.batch,))
m.train()


def step():
    opt.zero_grad(set_to_none=True)
    loss = F.cross_entropy(m(x), y, label_smoothing=0.1)
    loss.backward()
    opt.step()
    return loss.item()


for _ in range(3):
    step()
ts = []
for _ in range(a.steps):
    t0 = time.perf_counter()
    step()
    ts.append((time.perf_counter() - t0) * 1e3)
med = statistics.median(ts)
print(f"torch {torch.__version__} train step {a.model} batch {a.batch} {a.img}px, {a.threads} threads: median "
      f"{med:.1f} ms (min {min(ts):.1f}, max {max(ts):.1f}) over {a.steps} steps after 3 warm-up -> "
      f"{a.batch * 1e3 / med:.1f} images/s")

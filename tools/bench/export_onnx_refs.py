"""Writes the ONNX files ONNX Runtime runs in the DynChan-vs-ORT comparison (BENCHMARKS.md), exported by PyTorch from
independent reference implementations, so the baseline does not depend on DynChan's own exporter:

  resnet18, resnet50              torchvision (same as ../shared/tools/ort-bench/run.sh makes)
  resnet50_max, resnet50_hybrid   tools/fixtures/refmodels.py PfResNet
  PiXResNet50_cs                  refmodels.PiXResNet with PiX as plain reshape / amax / mean / where (inference form)

opset 13, dynamic batch, input 'x' [N,3,224,224], output 'y'. Usage: /usr/bin/python3 tools/bench/export_onnx_refs.py DIR
"""
import os
import sys

import torch
import torch.nn.functional as F
import torchvision

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "fixtures"))
import refmodels  # noqa: E402


def pix_inference(x, p, zeta, tau=0.5):
    n, c, h, w = x.shape
    g = x.reshape(n, c // zeta, zeta, h, w)
    return p * torch.where(p < tau, g.amax(dim=2), g.mean(dim=2))


def main(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    refmodels.pix = pix_inference  # the PixBottleneck forward calls the module-level pix
    models = {
        "resnet18": torchvision.models.resnet18(),
        "resnet50": torchvision.models.resnet50(),
        "resnet50_max": refmodels.PfResNet("max"),
        "resnet50_hybrid": refmodels.PfResNet("hybrid"),
        "PiXResNet50_cs": refmodels.PiXResNet(),
    }
    for name, m in models.items():
        path = os.path.join(out_dir, name + ".onnx")
        torch.onnx.export(m.eval(), torch.randn(1, 3, 224, 224), path, input_names=["x"], output_names=["y"],
                          dynamic_axes={"x": {0: "n"}, "y": {0: "n"}}, opset_version=13)
        print(path)


if __name__ == "__main__":
    main(sys.argv[1])

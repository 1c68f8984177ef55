"""Writes the ONNX files ONNX Runtime runs in the DynChan-vs-ORT comparison (BENCHMARKS.md), exported by PyTorch from
independent reference implementations, so the baseline does not depend on DynChan's own exporter:

  resnet18, resnet50              torchvision (same as ../shared/tools/ort-bench/run.sh makes)
  resnet50_max, resnet50_hybrid   tools/fixtures/refmodels.py PfResNet
  PiXResNet50_cs                  refmodels.PiXResNet with PiX as plain reshape / amax / mean / where (inference form)
  dsnet_uniform0..13, dsnet_largest  tools/fixtures/dsnet_ref.py: one static sub-network of DS-Net's supernet per
                                  file, rebuilt as plain layers holding its weight slices (checked against the supernet);
                                  the supernet's own state_dict as dsnet_supernet.pth

opset 13, dynamic batch, input 'x' [N,3,224,224], output 'y'.
Usage: /usr/bin/python3 tools/bench/export_onnx_refs.py DIR [NAME ...]   (no names: every model)
"""
import os
import sys

import torch
import torch.nn.functional as F
import torchvision

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "fixtures"))
import refmodels  # noqa: E402
import dsnet_ref  # noqa: E402


def _conv(w, stride=1, padding=0, groups=1, bias=None):
    c = torch.nn.Conv2d(w.shape[1] * groups, w.shape[0], w.shape[2], stride, padding, groups=groups,
                        bias=bias is not None)
    with torch.no_grad():
        c.weight.copy_(w)
        if bias is not None:
            c.bias.copy_(bias)
    return c


def _bn(ds, c):
    """Eval BN of width c: that width's statistics, the largest's gamma/beta prefix."""
    stats = ds.aux_bn[ds.widths.index(c)]
    big = ds.aux_bn[-1]
    b = torch.nn.BatchNorm2d(c, eps=big.eps)
    with torch.no_grad():
        b.weight.copy_(big.weight[:c])
        b.bias.copy_(big.bias[:c])
        b.running_mean.copy_(stats.running_mean)
        b.running_var.copy_(stats.running_var)
    return b.eval()


class StaticBlock(torch.nn.Module):
    def __init__(self, blk, cin, cout):
        super().__init__()
        self.dw = _conv(blk.conv_dw.weight[:cin], blk.stride, 1, cin)
        self.bn1 = _bn(blk.bn1, cin)
        self.reduce = _conv(blk.gate.conv_reduce.weight[:, :cin], bias=blk.gate.conv_reduce.bias)
        self.expand = _conv(blk.gate.conv_expand.weight[:cin], bias=blk.gate.conv_expand.bias[:cin])
        self.pw = _conv(blk.conv_pw.weight[:cout, :cin])
        self.bn2 = _bn(blk.bn2, cout)

    def forward(self, x):
        y = dsnet_ref.swish(self.bn1(self.dw(x)))
        a = torch.sigmoid(self.expand(torch.relu(self.reduce(y.mean((2, 3), keepdim=True)))))
        return dsnet_ref.swish(self.bn2(self.pw(y * a)))


class StaticSubNet(torch.nn.Module):
    """One DS-Net sub-network as plain layers with the sliced weights (a fixed width, so the export is static)."""

    def __init__(self, net, mode, c=0):
        super().__init__()
        w = net.stem_widths[net.pick(net.stem_widths, mode, 0)]
        self.stem = _conv(net.conv_stem.weight[:w], net.stem_stride, 1)
        self.bn = _bn(net.bn1, w)
        blocks = []
        for b in net.all_blocks():
            cout = b.out_widths[net.pick(b.out_widths, mode, c)]
            blocks.append(StaticBlock(b, w, cout))
            w = cout
        self.blocks = torch.nn.Sequential(*blocks)
        self.fc = torch.nn.Linear(w, net.classifier.out_features)
        with torch.no_grad():
            self.fc.weight.copy_(net.classifier.weight[:, :w])
            self.fc.bias.copy_(net.classifier.bias)

    def forward(self, x):
        y = self.blocks(dsnet_ref.swish(self.bn(self.stem(x))))
        return self.fc(y.mean((2, 3)))


def dsnet_models(out_dir=None):
    torch.manual_seed(0)  # the same files on every run: the static copies and the supernet's state_dict agree
    net = dsnet_ref.slimmable_mbnet_v1_bn_uniform()
    dsnet_ref.init_reference(net)
    net.eval()
    if out_dir is not None:
        # the supernet itself, so that DynChan times the same weights (`bench --model NAME:weights=FILE,width=...`)
        torch.save(net.state_dict(), os.path.join(out_dir, "dsnet_supernet.pth"))
    out = {f"dsnet_uniform{c}": StaticSubNet(net, "uniform", c).eval() for c in range(14)}
    out["dsnet_largest"] = StaticSubNet(net, "largest").eval()
    # the static copies compute what the supernet computes at their width
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        assert torch.allclose(out["dsnet_uniform5"](x), net(x, "uniform", 5), atol=1e-4)
    return out


def pix_inference(x, p, zeta, tau=0.5):
    n, c, h, w = x.shape
    g = x.reshape(n, c // zeta, zeta, h, w)
    return p * torch.where(p < tau, g.amax(dim=2), g.mean(dim=2))


def main(out_dir, names=()):
    os.makedirs(out_dir, exist_ok=True)
    refmodels.pix = pix_inference  # the PixBottleneck forward calls the module-level pix
    models = {
        "resnet18": torchvision.models.resnet18(),
        "resnet50": torchvision.models.resnet50(),
        "resnet50_max": refmodels.PfResNet("max"),
        "resnet50_hybrid": refmodels.PfResNet("hybrid"),
        "PiXResNet50_cs": refmodels.PiXResNet(),
        **dsnet_models(out_dir if not names or any(n.startswith("dsnet") for n in names) else None),
    }
    for name, m in models.items():
        if names and name not in names:
            continue
        path = os.path.join(out_dir, name + ".onnx")
        torch.onnx.export(m.eval(), torch.randn(1, 3, 224, 224), path, input_names=["x"], output_names=["y"],
                          dynamic_axes={"x": {0: "n"}, "y": {0: "n"}}, opset_version=13)
        print(path)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])

#!/usr/bin/python3
"""A PyTorch-native network exported to ONNX, for the ONNX converter's parity check: what
PyTorch models look like (symmetric padding at stride 2, BatchNorm2d with non-trivial running
statistics, ReLU6 as Clip, depthwise convolution, padded max pooling, average pooling, a Linear
layer over a flattened 4x4 map, so CHW versus HWC order matters). Weights are random with a
fixed seed: the check is about the conversion, not accuracy. Runs it on the pixels fer's model
runner wrote ((pixel / 255 - 0.5) * 2, as the other checks) and writes reference.f32.
usage: torch_onnx_reference.py RUN_DIR OUT.onnx
"""
import json
import os
import sys

import numpy as np
import torch
from torch import nn


def network(channels):
    torch.manual_seed(2013)
    net = nn.Sequential(
        nn.Conv2d(channels, 16, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(16),
        nn.ReLU6(),
        nn.Conv2d(16, 16, 3, padding=1, groups=16), nn.BatchNorm2d(16), nn.ReLU(),
        nn.Conv2d(16, 24, 1), nn.ReLU(),
        nn.MaxPool2d(3, stride=2, padding=1),
        nn.Conv2d(24, 32, 3, stride=2, padding=1), nn.ReLU(),
        nn.AvgPool2d(2, stride=2),
        nn.Flatten(), nn.Linear(32 * 4 * 4, 7), nn.Softmax(dim=1))
    net[-2].weight.data *= 40  # confident, face-dependent outputs rather than near-uniform ones
    for m in net.modules():  # running statistics that make folding matter
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.2, 0.2)
    return net.eval()


def main():
    run, onnx_path = sys.argv[1], sys.argv[2]
    meta = json.load(open(os.path.join(run, "meta.json")))
    pixels = np.fromfile(os.path.join(run, "pixels.f32"), np.float32).reshape(
        meta["n"], meta["height"], meta["width"], meta["channels"])
    x = torch.tensor((pixels / 255.0 - 0.5) * 2.0, dtype=torch.float32).permute(0, 3, 1, 2)
    net = network(meta["channels"])
    with torch.no_grad():
        net(x).numpy().astype(np.float32).tofile(os.path.join(run, "reference.f32"))
    torch.onnx.export(net, x[:1], onnx_path, opset_version=11, input_names=["input"],
                      output_names=["probabilities"])
    print("torch %s network: %d faces" % (torch.__version__, meta["n"]), file=sys.stderr)


if __name__ == "__main__":
    main()

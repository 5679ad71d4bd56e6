#!/usr/bin/python3
"""An independent PyTorch rebuild of a Keras HDF5 model from its model_config (TensorFlow is not
available here), run on the pixels fer's model runner wrote; writes reference.f32.

It shares nothing with tools/ferconvert: batch normalization runs as torch's own eval-mode
BatchNorm2d (not folded), TensorFlow's SAME padding is explicit asymmetric F.pad, max pooling
pads with -inf, NCHW layout. Keras preprocessing of oarriaga's models: (pixel / 255 - 0.5) * 2.
usage: keras_torch_reference.py MODEL.hdf5 RUN_DIR [--onnx OUT.onnx]
  --onnx also exports the rebuilt model with torch.onnx (input NCHW, already normalized).
"""
import json
import os
import sys
import warnings

import h5py
import numpy as np
import torch
import torch.nn.functional as F


def same_padding(size, kernel, stride):
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


class KerasGraph(torch.nn.Module):
    def __init__(self, path):
        super().__init__()
        f = h5py.File(path, "r")
        self.layers = json.loads(f.attrs["model_config"])["config"]["layers"]
        group = f["model_weights"]
        self.params = torch.nn.ParameterDict()
        for l in self.layers:
            if l["name"] not in group:
                continue
            g = group[l["name"]]
            for wn in g.attrs.get("weight_names", []):
                wn = wn.decode()
                key = l["name"] + "__" + wn.split("/")[-1].split(":")[0]
                self.params[key] = torch.nn.Parameter(torch.tensor(np.asarray(g[wn])),
                                                      requires_grad=False)

    def p(self, layer, name):
        return self.params[layer + "__" + name]

    def window(self, x, c, kernel):
        """Pads x (NCHW) for a Keras 'same' window; returns the padded tensor."""
        if c["padding"] == "valid":
            return x
        (kh, kw), (sh, sw) = kernel, c["strides"]
        top, bottom = same_padding(int(x.shape[2]), kh, sh)
        left, right = same_padding(int(x.shape[3]), kw, sw)
        return F.pad(x, (left, right, top, bottom))

    def forward(self, x):
        values = {}
        for l in self.layers:
            kind, name, c = l["class_name"], l["name"], l["config"]
            ins = [values[n[0]] for n in l["inbound_nodes"][0]] if l["inbound_nodes"] else [x]
            y = ins[0]
            if kind == "InputLayer":
                pass
            elif kind == "Conv2D":
                k = self.p(name, "kernel").permute(3, 2, 0, 1)  # HWIO -> OIHW
                y = F.conv2d(self.window(y, c, c["kernel_size"]), k,
                             self.p(name, "bias") if c["use_bias"] else None, c["strides"])
            elif kind == "SeparableConv2D":
                dw = self.p(name, "depthwise_kernel").permute(2, 3, 0, 1)  # H W C 1 -> C 1 H W
                y = F.conv2d(self.window(y, c, c["kernel_size"]), dw, None, c["strides"],
                             groups=y.shape[1])
                pw = self.p(name, "pointwise_kernel").permute(3, 2, 0, 1)
                y = F.conv2d(y, pw, self.p(name, "bias") if c["use_bias"] else None)
            elif kind == "BatchNormalization":
                y = F.batch_norm(y, self.p(name, "moving_mean"), self.p(name, "moving_variance"),
                                 self.p(name, "gamma"), self.p(name, "beta"), False, 0.0,
                                 c["epsilon"])
            elif kind == "Activation":
                y = {"relu": F.relu, "softmax": lambda t: F.softmax(t, dim=1),
                     "linear": lambda t: t}[c["activation"]](y)
            elif kind == "MaxPooling2D":
                if c["padding"] == "same":
                    (kh, kw), (sh, sw) = c["pool_size"], c["strides"]
                    top, bottom = same_padding(int(y.shape[2]), kh, sh)
                    left, right = same_padding(int(y.shape[3]), kw, sw)
                    y = F.pad(y, (left, right, top, bottom), value=float("-inf"))
                y = F.max_pool2d(y, c["pool_size"], c["strides"])
            elif kind == "Add":
                y = ins[0]
                for t in ins[1:]:
                    y = y + t
            elif kind == "GlobalAveragePooling2D":
                y = y.mean(dim=(2, 3))
            else:
                raise SystemExit("keras_torch_reference: layer %s not rebuilt" % kind)
            values[name] = y
        return y


def main():
    model_path, run = sys.argv[1], sys.argv[2]
    meta = json.load(open(os.path.join(run, "meta.json")))
    pixels = np.fromfile(os.path.join(run, "pixels.f32"), np.float32).reshape(
        meta["n"], meta["height"], meta["width"], meta["channels"])
    net = KerasGraph(model_path).eval()
    x = torch.tensor((pixels / 255.0 - 0.5) * 2.0, dtype=torch.float32).permute(0, 3, 1, 2)
    with torch.no_grad():
        out = net(x).numpy().astype(np.float32)
    out.tofile(os.path.join(run, "reference.f32"))
    if "--onnx" in sys.argv:
        # Sizes are fixed, so the traced pads are constants; torch warns about exactly that.
        warnings.filterwarnings("ignore")
        torch.onnx.export(net, x[:1], sys.argv[sys.argv.index("--onnx") + 1], opset_version=11,
                          input_names=["input"], output_names=["probabilities"])
    print("torch %s rebuild of %s: %d faces" % (torch.__version__, os.path.basename(model_path),
                                                meta["n"]), file=sys.stderr)


if __name__ == "__main__":
    main()

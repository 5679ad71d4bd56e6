"""A Model as a trainable PyTorch module, and back: what the training recipe (tools/train.py)
fine-tunes. The module computes exactly what fer's Network computes (TensorFlow's SAME padding,
asymmetric when the total is odd; max pooling that ignores padded taps; average pooling that
divides by the real taps; dense layers over the HWC-flattened map), in PyTorch's NCHW layout.
Its input is the normalized tensor (pixel * scale + offset already applied), as
Network::forward takes it; its output is the logits before the model's final softmax.
"""
import copy

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .graph import ConversionError


def _window_pads(layer, h, w):
    """(left, right, top, bottom) for F.pad, of a windowed layer on an h x w input."""
    (kh, kw), (sh, sw) = layer.kernel, layer.stride
    if layer.padding == "valid":
        return (0, 0, 0, 0)
    if layer.padding == "explicit":
        top, bottom, left, right = layer.pads
        return (left, right, top, bottom)
    total_h = max((-(-h // sh) - 1) * sh + kh - h, 0)
    total_w = max((-(-w // sw) - 1) * sw + kw - w, 0)
    return (total_w // 2, total_w - total_w // 2, total_h // 2, total_h - total_h // 2)


def _activate(x, activation):
    if activation == "relu":
        return F.relu(x)
    if activation == "relu6":
        return F.relu6(x)
    return x


class FerNet(nn.Module):
    """The layers of a Model as PyTorch modules, run in the Model's order."""

    def __init__(self, model):
        super().__init__()
        if not model.layers or model.layers[-1].type != "softmax":
            raise ConversionError("training needs a classifier: the last layer must be softmax")
        self.spec = copy.deepcopy(model)  # hyperparameters; weights live in the modules
        for layer in self.spec.layers:
            layer.weight = layer.bias = None
        shapes = model.shapes()
        in_shape = lambda i: (model.height, model.width, model.channels) if i < 0 else shapes[i]
        self.ops = nn.ModuleList()
        self.pads = []
        for n, layer in enumerate(model.layers):
            h, w, c = in_shape(layer.inputs[0])
            module = nn.Identity()
            pads = (0, 0, 0, 0)
            if layer.type == "conv2d":
                module = nn.Conv2d(c, layer.weight.shape[3], layer.kernel, layer.stride)
                module.weight.data = torch.from_numpy(
                    np.ascontiguousarray(layer.weight.transpose(3, 2, 0, 1)))
            elif layer.type == "depthwise_conv2d":
                module = nn.Conv2d(c, c, layer.kernel, layer.stride, groups=c)
                module.weight.data = torch.from_numpy(
                    np.ascontiguousarray(layer.weight.transpose(2, 0, 1)[:, None]))
            elif layer.type == "dense":
                module = nn.Linear(layer.weight.shape[0], layer.weight.shape[1])
                module.weight.data = torch.from_numpy(np.ascontiguousarray(layer.weight.T))
            if layer.type in ("conv2d", "depthwise_conv2d", "dense"):
                module.bias.data = torch.from_numpy(np.asarray(layer.bias, np.float32).copy())
            if layer.type in ("conv2d", "depthwise_conv2d", "max_pool2d", "average_pool2d"):
                pads = _window_pads(layer, h, w)
            if layer.type == "average_pool2d":
                # Real taps under each window, so that padded zeros do not count.
                ones = F.pad(torch.ones(1, 1, h, w), pads)
                taps = F.avg_pool2d(ones, layer.kernel, layer.stride) * np.prod(layer.kernel)
                self.register_buffer("taps%d" % n, taps)
            self.ops.append(module)
            self.pads.append(pads)

    @property
    def classes(self):
        return len(self.spec.labels)

    def forward(self, x):
        """Logits (the input of the final softmax) of a batch of normalized NCHW inputs."""
        outputs = []
        source = lambda i: x if i < 0 else outputs[i]
        layers = self.spec.layers
        for n, (layer, op, pads) in enumerate(zip(layers, self.ops, self.pads)):
            if n == len(layers) - 1:
                return source(layer.inputs[0]).flatten(1)
            y = source(layer.inputs[0])
            if layer.type in ("conv2d", "depthwise_conv2d"):
                y = _activate(op(F.pad(y, pads)), layer.activation)
            elif layer.type == "max_pool2d":
                y = F.max_pool2d(F.pad(y, pads, value=float("-inf")), layer.kernel, layer.stride)
            elif layer.type == "average_pool2d":
                summed = F.avg_pool2d(F.pad(y, pads), layer.kernel, layer.stride)
                y = summed * (float(np.prod(layer.kernel)) / getattr(self, "taps%d" % n))
            elif layer.type == "global_average_pool":
                y = y.mean(dim=(2, 3), keepdim=True)
            elif layer.type == "dense":
                flat = y.permute(0, 2, 3, 1).reshape(y.shape[0], -1)  # fer flattens HWC
                y = _activate(op(flat), layer.activation)[:, :, None, None]
            elif layer.type == "add":
                y = sum(source(i) for i in layer.inputs)
                y = _activate(y, layer.activation)
            elif layer.type == "activation":
                y = _activate(y, layer.activation)
            elif layer.type == "channel_pad":
                y = F.pad(y, (0, 0, 0, 0, 0, layer.added))  # NCHW: zeros after the channels
            else:
                raise ConversionError("layer %d: %s inside the network" % (n, layer.type))
            outputs.append(y)

    def to_model(self):
        """The Model with this module's current weights (fer's layouts)."""
        model = copy.deepcopy(self.spec)
        for layer, op in zip(model.layers, self.ops):
            if layer.type not in ("conv2d", "depthwise_conv2d", "dense"):
                continue
            weight = op.weight.detach().cpu().numpy().astype(np.float32)
            if layer.type == "conv2d":
                weight = weight.transpose(2, 3, 1, 0)  # OIHW -> HWIO
            elif layer.type == "depthwise_conv2d":
                weight = weight[:, 0].transpose(1, 2, 0)  # C1HW -> HWC
            else:
                weight = weight.T
            layer.weight = np.ascontiguousarray(weight)
            layer.bias = op.bias.detach().cpu().numpy().astype(np.float32).copy()
        return model


def classifier_layer(model):
    """Index of the layer whose output channels are the classes: the last convolution or dense
    layer, provided only shape-keeping, per-channel layers follow it."""
    for n in range(len(model.layers) - 1, -1, -1):
        layer = model.layers[n]
        if layer.type in ("conv2d", "dense"):
            return n
        if layer.type not in ("global_average_pool", "softmax", "activation", "max_pool2d",
                              "average_pool2d"):
            break
    raise ConversionError("cannot find the classifier layer: the last convolution or dense "
                          "layer must feed the softmax through pooling only")


def adapt_classes(model, labels, seed=0):
    """The model with `labels` as its classes: outputs reordered when the names are the same
    set, a freshly initialized classifier layer otherwise. Returns (model, how) where `how`
    says which of the two (or "kept")."""
    model = copy.deepcopy(model)
    if list(model.labels) == list(labels):
        return model, "kept"
    n = classifier_layer(model)
    layer = model.layers[n]
    if sorted(model.labels) == sorted(labels):
        order = [model.labels.index(name) for name in labels]
        layer.weight = np.ascontiguousarray(layer.weight[..., order])
        layer.bias = layer.bias[order].copy()
        model.labels = list(labels)
        return model, "reordered"
    rng = np.random.default_rng(seed)
    fan_in = int(np.prod(layer.weight.shape[:-1]))
    shape = layer.weight.shape[:-1] + (len(labels),)
    layer.weight = (rng.standard_normal(shape) * np.sqrt(1.0 / fan_in)).astype(np.float32)
    layer.bias = np.zeros(len(labels), np.float32)
    model.labels = list(labels)
    return model, "new classifier"

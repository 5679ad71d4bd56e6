"""TensorFlow.js graph models (model.json + weight shards) to a Model.

Reads the frozen graph the tfjs converter writes: Const weights (float32, optionally uint8 or
uint16 affine-quantized), one Placeholder input of shape [-1, H, W, C], and the operations below.
Anything else is refused by name. Batch normalization arrives already folded into _FusedConv2D's
BiasAdd by the tfjs converter.

A graph with several outputs (nodes nothing reads, taken in the order of their names: Identity,
Identity_1, ...) becomes a model with several outputs and no labels, as BlazeFace's scores and
boxes. A Reshape just before an output that keeps the values in their order (an H x W x C map
read as [1, H*W*C/d, d]) is left out: fer's tensors are HWC in memory, so the output holds those
values already, and its user reads them in that layout.
"""
import base64
import json
import os

import numpy as np

from .graph import ConversionError, Layer, Model

_DTYPES = {"float32": np.float32, "int32": np.int32}
_QUANTIZED = {"uint8": np.uint8, "uint16": np.uint16}


def read_weights(manifest, directory):
    """name -> numpy array, from a weightsManifest and the shard files beside it."""
    weights = {}
    for group in manifest:
        data = b"".join(open(os.path.join(directory, p), "rb").read() for p in group["paths"])
        offset = 0
        for spec in group["weights"]:
            shape = [int(d) for d in spec["shape"]]
            count = int(np.prod(shape)) if shape else 1
            q = spec.get("quantization")
            # Stored type: the quantized integers, or the weight's own dtype.
            stored = (_QUANTIZED if q else _DTYPES).get(q["dtype"] if q else spec["dtype"])
            if stored is None or (q and "scale" not in q):
                raise ConversionError("weight %s: %s not supported" %
                                      (spec["name"], q or "dtype " + spec["dtype"]))
            size = count * np.dtype(stored).itemsize
            if offset + size > len(data):
                raise ConversionError("weight %s: the shards %s end at byte %d, it needs %d" %
                                      (spec["name"], group["paths"], len(data), offset + size))
            values = np.frombuffer(data, stored, count, offset)
            offset += size
            if q:  # tfjs dequantizes as q * scale + min in double and stores float32
                values = (values.astype(np.float64) * q["scale"] + q["min"]).astype(np.float32)
            weights[spec["name"]] = values.reshape(shape)
        if offset != len(data):
            raise ConversionError("weight shards %s: %d bytes, manifest describes %d" %
                                  (group["paths"], len(data), offset))
    return weights


def _attr_string(node, key, default=None):
    a = node.get("attr", {}).get(key)
    return base64.b64decode(a["s"]).decode() if a and "s" in a else default


def _attr_ints(node, key):
    a = node.get("attr", {}).get(key, {})
    return [int(i) for i in a.get("list", {}).get("i", [])]


def _window(node):
    strides = _attr_ints(node, "strides") or [1, 1, 1, 1]
    padding = _attr_string(node, "padding", "VALID")
    if _attr_string(node, "data_format", "NHWC") != "NHWC":
        raise ConversionError("%s: only NHWC graphs are supported" % node["name"])
    if any(d != 1 for d in _attr_ints(node, "dilations")):
        raise ConversionError("%s: dilated convolutions are not supported" % node["name"])
    if padding not in ("SAME", "VALID"):
        raise ConversionError("%s: padding %s" % (node["name"], padding))
    return (strides[1], strides[2]), padding.lower()


def convert(model_json_path, labels, scale, offset):
    """The Model of a tfjs graph model; labels and input normalization come from the caller,
    because the graph does not record them."""
    spec = json.load(open(model_json_path))
    if "modelTopology" not in spec or "node" not in spec["modelTopology"]:
        raise ConversionError("%s: not a tfjs graph model (no modelTopology.node)" %
                              model_json_path)
    weights = read_weights(spec["weightsManifest"], os.path.dirname(model_json_path))
    nodes = spec["modelTopology"]["node"]
    by_name = {n["name"]: n for n in nodes}

    def tensor(name):
        name = name.split(":")[0]
        if name not in weights:
            raise ConversionError("constant %s has no weights" % name)
        return weights[name].astype(np.float32)

    placeholders = [n for n in nodes if n["op"] == "Placeholder"]
    if len(placeholders) != 1:
        raise ConversionError("expected one input placeholder, found %d" % len(placeholders))
    dims = [int(d.get("size", -1)) for d in
            placeholders[0]["attr"]["shape"]["shape"]["dim"]]
    if len(dims) != 4 or min(dims[1:]) < 1:
        raise ConversionError("input shape %s: [-1, H, W, C] expected" % dims)
    if len(offset) == 1 and dims[3] > 1:
        offset = offset * dims[3]  # one offset for every channel
    model = Model(dims[1], dims[2], dims[3], scale, offset, labels)

    index = {placeholders[0]["name"]: -1}  # graph tensor name -> fer layer index
    consumers = {}
    for n in nodes:
        for i in n.get("input", []):
            consumers.setdefault(i.split(":")[0], []).append(n["name"])

    def source(n, k=0):
        name = n["input"][k].split(":")[0]
        if name not in index:
            raise ConversionError("%s reads %s, which is not computed before it" %
                                  (n["name"], name))
        return index[name]

    # The graph lists nodes in an order where inputs come first (the tfjs converter's order).
    for n in nodes:
        op, name = n["op"], n["name"]
        if op in ("Const", "Placeholder"):
            continue
        if op == "Identity":
            index[name] = source(n)
        elif op in ("_FusedConv2D", "Conv2D"):
            stride, padding = _window(n)
            fused = [base64.b64decode(s).decode() for s in
                     n.get("attr", {}).get("fused_ops", {}).get("list", {}).get("s", [])]
            w = tensor(n["input"][1])
            bias = tensor(n["input"][2]) if op == "_FusedConv2D" else np.zeros(w.shape[3], np.float32)
            activation = "none"
            if op == "_FusedConv2D":
                if fused[:1] != ["BiasAdd"] or len(fused) > 2:
                    raise ConversionError("%s: fused ops %s" % (name, fused))
                if len(fused) == 2:
                    activation = {"Relu": "relu", "Relu6": "relu6"}.get(fused[1])
                    if activation is None:
                        raise ConversionError("%s: fused activation %s" % (name, fused[1]))
            index[name] = model.add(Layer("conv2d", [source(n)], w.shape[:2], stride, padding,
                                          activation, w, bias, name))
        elif op == "DepthwiseConv2dNative":
            stride, padding = _window(n)
            w = tensor(n["input"][1])
            if w.shape[3] != 1:
                raise ConversionError("%s: depth multiplier %d" % (name, w.shape[3]))
            w = w[:, :, :, 0]
            index[name] = model.add(Layer("depthwise_conv2d", [source(n)], w.shape[:2], stride,
                                          padding, "none", w,
                                          np.zeros(w.shape[2], np.float32), name))
        elif op in ("MaxPool", "AvgPool"):
            stride, padding = _window(n)
            k = _attr_ints(n, "ksize")
            index[name] = model.add(Layer("max_pool2d" if op == "MaxPool" else "average_pool2d",
                                          [source(n)], (k[1], k[2]), stride, padding, name=name))
        elif op in ("Add", "AddV2", "AddN"):
            index[name] = model.add(Layer("add", [source(n, k) for k in range(len(n["input"]))],
                                          activation="none", name=name))
        elif op in ("Relu", "Relu6"):
            act = op.lower()
            src = source(n)
            producer = model.layers[src] if src >= 0 else None
            others = [c for c in consumers.get(n["input"][0].split(":")[0], []) if c != name]
            # Fuse into the layer that made the tensor when nothing else reads it unactivated.
            if producer is not None and not others and producer.activation == "none":
                producer.activation = act
                index[name] = src
            else:
                index[name] = model.add(Layer("activation", [src], activation=act, name=name))
        elif op == "Mean":
            axes = tensor(n["input"][1]).astype(int).tolist()
            if sorted(axes) != [1, 2]:
                raise ConversionError("%s: mean over axes %s (only 1, 2 supported)" % (name, axes))
            index[name] = model.add(Layer("global_average_pool", [source(n)], name=name))
        elif op == "Softmax":
            index[name] = model.add(Layer("softmax", [source(n)], name=name))
        elif op == "Reshape":
            readers = consumers.get(name, [])
            if not readers or any(by_name[r]["op"] != "Identity" or consumers.get(r)
                                  for r in readers):
                raise ConversionError("%s: a Reshape is only supported just before an output"
                                      % name)
            shape = weights.get(n["input"][1].split(":")[0])
            src = source(n)
            if shape is None or src < 0:
                raise ConversionError("%s: reshape of the input or to an unknown shape" % name)
            h, w, c = model.shapes()[src]
            if shape.ndim != 1 or shape[0] != 1 or int(np.prod(shape[1:])) != h * w * c:
                raise ConversionError("%s: reshape %s of %dx%dx%d" % (name, shape.tolist(),
                                                                      h, w, c))
            index[name] = src  # the same values in the same order
        elif op == "Pad":
            pads = weights.get(n["input"][1].split(":")[0])
            if (pads is None or pads.shape != (4, 2) or pads[:3].any() or pads[3][0] != 0 or
                    pads[3][1] < 1):
                raise ConversionError("%s: only zeros appended to the channels are supported, "
                                      "paddings %s" % (name, None if pads is None
                                                       else pads.tolist()))
            index[name] = model.add(Layer("channel_pad", [source(n)], added=int(pads[3][1]),
                                          name=name))
        else:
            raise ConversionError("%s: operation %s is not supported" % (name, op))
    terminal = sorted((n["name"] for n in nodes
                       if n["op"] not in ("Const", "Placeholder") and not consumers.get(n["name"])),
                      key=lambda s: (len(s), s))
    if len(terminal) > 1:
        model.outputs = [index[name] for name in terminal]
        model.labels = []
    model.shapes()
    return model

"""Keras HDF5 models (functional or sequential, as saved by model.save) to a Model.

The architecture comes from the file's model_config attribute, the weights from model_weights.
Batch normalization is folded into the convolution or dense layer before it, which must have no
activation and no other reader. Supported layers: InputLayer, Conv2D, SeparableConv2D,
DepthwiseConv2D (depth multiplier 1), BatchNormalization, Activation / ReLU (relu, relu6, linear,
softmax), MaxPooling2D, AveragePooling2D, GlobalAveragePooling2D, Add, Dense, Flatten, Dropout.
"""
import json

import numpy as np

from .graph import ConversionError, Layer, Model, fold_batchnorm_into

_PASS_THROUGH = ("Dropout", "Flatten", "SpatialDropout2D", "GaussianNoise")


def _activation(name, where):
    if name in ("linear", None):
        return "none"
    if name in ("relu", "relu6"):
        return name
    raise ConversionError("%s: activation %s is not supported" % (where, name))


def _layers(config):
    if config["class_name"] == "Sequential":
        layers = config["config"]
        layers = layers["layers"] if isinstance(layers, dict) else layers
        previous = None
        out = []
        for l in layers:  # a sequential model chains each layer to the one before
            l = dict(l)
            l["inbound_nodes"] = [[[previous, 0, 0, {}]]] if previous else []
            if previous is None and l["class_name"] != "InputLayer":
                shape = l["config"].get("batch_input_shape")
                out.append({"class_name": "InputLayer", "name": "input",
                            "config": {"batch_input_shape": shape}, "inbound_nodes": []})
                l["inbound_nodes"] = [[["input", 0, 0, {}]]]
            out.append(l)
            previous = l["config"]["name"] if "name" in l["config"] else l["name"]
            l.setdefault("name", previous)
        return out
    return config["config"]["layers"]


def convert(path, labels, scale, offset):
    import h5py  # Debian's python3-h5py

    f = h5py.File(path, "r")
    if "model_config" not in f.attrs:
        raise ConversionError("no model_config attribute: not a whole Keras model file")
    config = json.loads(f.attrs["model_config"])
    group = f["model_weights"] if "model_weights" in f else f

    def weights(layer_name):
        """suffix ('kernel', 'gamma', ...) -> array, for one layer."""
        if layer_name not in group:
            return {}
        g = group[layer_name]
        out = {}
        for wn in g.attrs.get("weight_names", []):
            wn = wn.decode() if isinstance(wn, bytes) else wn
            out[wn.split("/")[-1].split(":")[0]] = np.asarray(g[wn], dtype=np.float32)
        return out

    layers = _layers(config)
    consumers = {}
    for l in layers:
        for node in l["inbound_nodes"]:
            for inbound in node:
                consumers[inbound[0]] = consumers.get(inbound[0], 0) + 1

    model = None
    index = {}
    for l in layers:
        kind, name, c = l["class_name"], l["name"], l["config"]
        if len(l["inbound_nodes"]) > 1:
            raise ConversionError("%s: shared layers are not supported" % name)
        sources = [index[n[0]] for n in l["inbound_nodes"][0]] if l["inbound_nodes"] else []
        w = weights(name)
        if kind == "InputLayer":
            shape = c["batch_input_shape"]
            if len(shape) != 4 or None in shape[1:]:
                raise ConversionError("%s: input shape %s, expected [None, H, W, C]" %
                                      (name, shape))
            model = Model(shape[1], shape[2], shape[3], scale, offset, labels)
            index[name] = -1
            continue
        if model is None:
            raise ConversionError("%s comes before the model input" % name)
        if kind not in ("Add",) and len(sources) != 1:
            raise ConversionError("%s: one input expected, found %d" % (name, len(sources)))
        if kind in ("Conv2D", "SeparableConv2D", "DepthwiseConv2D", "MaxPooling2D",
                    "AveragePooling2D"):
            if c.get("data_format", "channels_last") != "channels_last":
                raise ConversionError("%s: data_format %s" % (name, c["data_format"]))
            if any(d != 1 for d in c.get("dilation_rate", [1, 1])):
                raise ConversionError("%s: dilated convolutions are not supported" % name)
            stride, padding = tuple(c["strides"]), c["padding"]
            if padding not in ("same", "valid"):
                raise ConversionError("%s: padding %s" % (name, padding))
        if kind == "Conv2D":
            kernel = w["kernel"]
            bias = w.get("bias", np.zeros(kernel.shape[3], np.float32))
            index[name] = model.add(Layer("conv2d", sources, kernel.shape[:2], stride, padding,
                                          _activation(c.get("activation"), name), kernel, bias,
                                          name))
        elif kind in ("SeparableConv2D", "DepthwiseConv2D"):
            dw = w["depthwise_kernel"]
            if dw.shape[3] != 1:
                raise ConversionError("%s: depth multiplier %d" % (name, dw.shape[3]))
            dw = dw[:, :, :, 0]
            activation = _activation(c.get("activation"), name)
            if kind == "DepthwiseConv2D":
                bias = w.get("bias", np.zeros(dw.shape[2], np.float32))
                index[name] = model.add(Layer("depthwise_conv2d", sources, dw.shape[:2], stride,
                                              padding, activation, dw, bias, name))
            else:
                d = model.add(Layer("depthwise_conv2d", sources, dw.shape[:2], stride, padding,
                                    "none", dw, np.zeros(dw.shape[2], np.float32),
                                    name + "/depthwise"))
                pw = w["pointwise_kernel"]
                bias = w.get("bias", np.zeros(pw.shape[3], np.float32))
                index[name] = model.add(Layer("conv2d", [d], (1, 1), (1, 1), "same", activation,
                                              pw, bias, name + "/pointwise"))
        elif kind == "BatchNormalization":
            before = l["inbound_nodes"][0][0][0]
            producer = model.layers[sources[0]] if sources[0] >= 0 else None
            channels = producer.bias.shape[0] if producer is not None and producer.bias is not None else 0
            fold_batchnorm_into(model, sources[0], consumers.get(before, 0) == 1,
                                w.get("gamma", np.ones(channels, np.float32)),
                                w.get("beta", np.zeros(channels, np.float32)),
                                w["moving_mean"], w["moving_variance"],
                                np.float32(c["epsilon"]), name)
            index[name] = sources[0]
        elif kind in ("Activation", "ReLU"):
            act = c.get("activation", "relu")
            if kind == "ReLU":
                act = "relu6" if c.get("max_value") == 6 else "relu"
                if c.get("max_value") not in (None, 6) or c.get("negative_slope", 0) != 0:
                    raise ConversionError("%s: only ReLU and ReLU6 are supported" % name)
            if act == "softmax":
                index[name] = model.add(Layer("softmax", sources, name=name))
                continue
            act = _activation(act, name)
            producer = model.layers[sources[0]] if sources[0] >= 0 else None
            before = l["inbound_nodes"][0][0][0]
            if act == "none":
                index[name] = sources[0]
            elif (producer is not None and producer.activation == "none" and
                  consumers.get(before, 0) == 1):
                producer.activation = act
                index[name] = sources[0]
            else:
                index[name] = model.add(Layer("activation", sources, activation=act, name=name))
        elif kind in ("MaxPooling2D", "AveragePooling2D"):
            index[name] = model.add(Layer("max_pool2d" if kind == "MaxPooling2D"
                                          else "average_pool2d", sources,
                                          tuple(c["pool_size"]), stride, padding, name=name))
        elif kind == "GlobalAveragePooling2D":
            index[name] = model.add(Layer("global_average_pool", sources, name=name))
        elif kind == "Add":
            index[name] = model.add(Layer("add", sources, activation="none", name=name))
        elif kind == "Dense":
            kernel = w["kernel"]
            bias = w.get("bias", np.zeros(kernel.shape[1], np.float32))
            act = c.get("activation")
            index[name] = model.add(Layer("dense", sources, activation=(
                "none" if act == "softmax" else _activation(act, name)), weight=kernel,
                bias=bias, name=name))
            if act == "softmax":
                index[name] = model.add(Layer("softmax", [index[name]], name=name + "/softmax"))
        elif kind in _PASS_THROUGH:
            index[name] = sources[0]
        else:
            raise ConversionError("%s: layer type %s is not supported" % (name, kind))
    model.shapes()
    return model

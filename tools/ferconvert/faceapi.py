"""face-api.js's face expression net (weights manifest + .bin) to a Model.

The architecture is not in the files; it is fixed in face-api's code (src/faceFeatureExtractor
and src/faceExpressionNet in @vladmandic/face-api 1.7.15): four dense blocks of four convolutions
each (the very first one a regular 3x3 convolution, all others depthwise-separable), every block
but none of its inner convolutions halving the size, sums of all earlier outputs of the block
feeding the next convolution; a 7x7 average pool, a fully connected layer, softmax. Input: 112x112
RGB, (pixel - channel mean) / 255.
"""
import json
import os

import numpy as np

from .graph import ConversionError, Layer, Model
from .tfjs import read_weights

BLOCKS = 4
INPUT_SIZE = 112


def convert(manifest_path, labels, scale, offset):
    manifest = json.load(open(manifest_path))
    weights = read_weights(manifest, os.path.dirname(manifest_path))
    used = set()

    def w(name, shape):
        if name not in weights:
            raise ConversionError("weight %s is missing from the manifest" % name)
        value = weights[name].astype(np.float32)
        if tuple(value.shape) != tuple(shape):
            raise ConversionError("weight %s: shape %s, expected %s" % (name, value.shape, shape))
        used.add(name)
        return value

    model = Model(INPUT_SIZE, INPUT_SIZE, 3, scale, offset, labels)
    x, channels = -1, 3

    def separable(source, prefix, cin, stride, activation):
        cout = weights.get(prefix + "/pointwise_filter", np.zeros((1, 1, 1, 0))).shape[3]
        dw = w(prefix + "/depthwise_filter", (3, 3, cin, 1))[:, :, :, 0]
        d = model.add(Layer("depthwise_conv2d", [source], (3, 3), (stride, stride), "same",
                            "none", dw, np.zeros(cin, np.float32), prefix + "/depthwise"))
        pw = w(prefix + "/pointwise_filter", (1, 1, cin, cout))
        return model.add(Layer("conv2d", [d], (1, 1), (1, 1), "same", activation, pw,
                               w(prefix + "/bias", (cout,)), prefix + "/pointwise")), cout

    for b in range(BLOCKS):
        prefix = "dense%d" % b
        if b == 0:
            filters = weights.get(prefix + "/conv0/filters")
            if filters is None:
                raise ConversionError("weight dense0/conv0/filters is missing from the manifest")
            cout = filters.shape[3]
            out1 = model.add(Layer("conv2d", [x], (3, 3), (2, 2), "same", "relu",
                                   w(prefix + "/conv0/filters", (3, 3, channels, cout)),
                                   w(prefix + "/conv0/bias", (cout,)), prefix + "/conv0"))
        else:
            out1, cout = separable(x, prefix + "/conv0", channels, 2, "relu")
        outs = [out1]
        for j in (1, 2, 3):
            source = outs[0] if j == 1 else model.add(
                Layer("add", list(outs), activation="relu", name="%s/in%d" % (prefix, j + 1)))
            out, _ = separable(source, "%s/conv%d" % (prefix, j), cout, 1, "none")
            outs.append(out)
        x = model.add(Layer("add", outs, activation="relu", name=prefix + "/out"))
        channels = cout

    x = model.add(Layer("average_pool2d", [x], (7, 7), (2, 2), "valid", name="avgpool"))
    fc = w("fc/weights", (channels, len(labels)))
    x = model.add(Layer("dense", [x], activation="none", weight=fc,
                        bias=w("fc/bias", (len(labels),)), name="fc"))
    model.add(Layer("softmax", [x], name="softmax"))
    unused = sorted(set(weights) - used)
    if unused:
        raise ConversionError("weights not used by the expression net: %s" % ", ".join(unused))
    model.shapes()
    return model

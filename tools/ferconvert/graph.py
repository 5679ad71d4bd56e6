"""The converters' common model description, written out as a fer GGUF model file.

A Model is what fer's Network is (include/fer/nn/network.hpp): an input spec, layers in order, each
reading earlier layers (index -1 is the network input), and labels. Weights use fer's layouts,
which are TensorFlow's: conv [kh][kw][in][out], depthwise [kh][kw][channels], dense [in][out].
Batch normalization is folded into the convolution before it by the source readers, so it never
appears here.
"""
from dataclasses import dataclass, field
from typing import Callable, List, Optional, Tuple

import numpy as np

from . import gguf

ACTIVATIONS = ("none", "relu", "relu6")
FER2013_LABELS = ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]


class ConversionError(Exception):
    """A source model fer cannot represent, or an inconsistent one; the message says which."""


@dataclass
class Layer:
    type: str
    inputs: List[int]
    kernel: Optional[Tuple[int, int]] = None
    stride: Optional[Tuple[int, int]] = None
    padding: Optional[str] = None  # "same" (TensorFlow's), "valid" or "explicit"
    activation: Optional[str] = None
    weight: Optional[np.ndarray] = None
    bias: Optional[np.ndarray] = None
    name: str = ""  # where it came from, for messages
    pads: Optional[Tuple[int, int, int, int]] = None  # top, bottom, left, right ("explicit")
    added: Optional[int] = None  # channel_pad: zero channels appended to each pixel


def _window_shape(l, inputs, where):
    """Output (h, w) of a windowed layer, and the input shape."""
    h, w, c = inputs[0]
    (kh, kw), (sh, sw) = l.kernel, l.stride
    if l.padding == "same":
        oh, ow = -(-h // sh), -(-w // sw)
    elif l.padding == "explicit":
        top, bottom, left, right = l.pads
        if max(top, bottom) >= kh or max(left, right) >= kw or min(l.pads) < 0:
            raise ConversionError("%s: pads %s for kernel %s" % (where, l.pads, l.kernel))
        oh = (h + top + bottom - kh) // sh + 1
        ow = (w + left + right - kw) // sw + 1
    elif l.padding == "valid":
        oh, ow = (h - kh) // sh + 1, (w - kw) // sw + 1
    else:
        raise ConversionError("%s: padding %s" % (where, l.padding))
    if oh < 1 or ow < 1:
        raise ConversionError("%s: input %dx%d smaller than kernel" % (where, h, w))
    return oh, ow, c


def _conv_shape(l, inputs, where):
    oh, ow, c = _window_shape(l, inputs, where)
    if l.weight.shape[:3] != tuple(l.kernel) + (c,):
        raise ConversionError("%s: weight %s for input channels %d" % (where, l.weight.shape, c))
    return oh, ow, l.weight.shape[3]


def _depthwise_shape(l, inputs, where):
    oh, ow, c = _window_shape(l, inputs, where)
    if l.weight.shape != tuple(l.kernel) + (c,):
        raise ConversionError("%s: weight %s for %d channels" % (where, l.weight.shape, c))
    return oh, ow, c


def _dense_shape(l, inputs, where):
    h, w, c = inputs[0]
    if l.weight.shape[0] != h * w * c:
        raise ConversionError("%s: weight %s for %d inputs" % (where, l.weight.shape, h * w * c))
    return 1, 1, l.weight.shape[1]


def _add_shape(l, inputs, where):
    if len(inputs) < 2 or any(s != inputs[0] for s in inputs):
        raise ConversionError("%s: needs two or more inputs of one shape" % where)
    return inputs[0]


def _channel_pad_shape(l, inputs, where):
    if not (isinstance(l.added, int) and 1 <= l.added <= 4096):
        raise ConversionError("%s: %r added channels" % (where, l.added))
    h, w, c = inputs[0]
    return h, w, c + l.added


@dataclass(frozen=True)
class LayerKind:
    """What a layer type has in the model file, and its output shape from its inputs' shapes."""
    window: bool = False  # kernel, stride, padding (and pads)
    activation: bool = False  # an activation key
    outputs: bool = False  # an outputs key: the weight's last axis
    weights: bool = False  # weight and bias tensors
    shape: Callable = lambda l, inputs, where: inputs[0]


# Every layer type of fer's model files, as registered in include/fer/nn/layers.hpp (a test
# checks that the two lists agree).
LAYER_KINDS = {
    "conv2d": LayerKind(window=True, activation=True, outputs=True, weights=True,
                        shape=_conv_shape),
    "depthwise_conv2d": LayerKind(window=True, activation=True, weights=True,
                                  shape=_depthwise_shape),
    "max_pool2d": LayerKind(window=True, shape=_window_shape),
    "average_pool2d": LayerKind(window=True, shape=_window_shape),
    "global_average_pool": LayerKind(shape=lambda l, inputs, where: (1, 1, inputs[0][2])),
    "dense": LayerKind(activation=True, outputs=True, weights=True, shape=_dense_shape),
    "add": LayerKind(activation=True, shape=_add_shape),
    "activation": LayerKind(activation=True),
    "softmax": LayerKind(),
    "channel_pad": LayerKind(shape=_channel_pad_shape),
}
LAYER_TYPES = tuple(LAYER_KINDS)


@dataclass
class Model:
    height: int
    width: int
    channels: int  # 1 gray, 3 RGB
    scale: float  # the network sees pixel * scale + offset[channel]
    offset: List[float]
    labels: List[str]
    layers: List[Layer] = field(default_factory=list)
    info: dict = field(default_factory=dict)  # provenance strings, stored as fer.info.*
    # Layers whose outputs are the answer, in order (a detector's heads); None: the last layer,
    # whose values the labels name. A model with several outputs has no labels.
    outputs: Optional[List[int]] = None

    def add(self, layer):
        """Appends a layer and returns its index."""
        self.layers.append(layer)
        return len(self.layers) - 1

    def shapes(self):
        """Output shape (h, w, c) of every layer, checking each layer as fer's loader would."""
        shapes = []
        source = lambda i: (self.height, self.width, self.channels) if i < 0 else shapes[i]
        for n, l in enumerate(self.layers):
            where = "layer %d (%s %s)" % (n, l.type, l.name)
            kind = LAYER_KINDS.get(l.type)
            if kind is None:
                raise ConversionError("%s: unknown type" % where)
            if not l.inputs or any(i < -1 or i >= n for i in l.inputs):
                raise ConversionError("%s: inputs %s must be earlier layers" % (where, l.inputs))
            if l.activation is not None and l.activation not in ACTIVATIONS:
                raise ConversionError("%s: activation %s" % (where, l.activation))
            shapes.append(kind.shape(l, [source(i) for i in l.inputs], where))
            if l.bias is not None and l.bias.shape != (shapes[-1][2],):
                raise ConversionError("%s: bias %s" % (where, l.bias.shape))
        return shapes

    def multiply_accumulates(self):
        """Multiply-accumulates of one forward pass (convolutions and dense layers)."""
        total = 0
        for l, (h, w, c) in zip(self.layers, self.shapes()):
            if LAYER_KINDS[l.type].weights:
                total += h * w * l.weight.size
        return total

    def parameter_count(self):
        return sum(x.size for l in self.layers for x in (l.weight, l.bias) if x is not None)

    def to_gguf(self):
        """The model file (fp32 weights), as bytes."""
        shapes = self.shapes()
        if self.outputs is not None:
            if (not self.outputs or len(set(self.outputs)) != len(self.outputs) or
                    not all(0 <= i < len(self.layers) for i in self.outputs)):
                raise ConversionError("outputs %s: distinct layer indices expected" %
                                      self.outputs)
            if len(self.outputs) > 1 and self.labels:
                raise ConversionError("a model with several outputs has no labels")
        if (self.outputs is None or len(self.outputs) == 1) and len(self.labels) != int(
                np.prod(shapes[(self.outputs or [-1])[0]])):
            raise ConversionError("%d labels for %s outputs" % (len(self.labels), shapes[-1]))
        if len(self.offset) != self.channels:
            raise ConversionError("%d input offsets for %d channels" %
                                  (len(self.offset), self.channels))
        w = gguf.Writer()
        w.string("general.architecture", "fer")
        w.uint32("fer.input.height", self.height)
        w.uint32("fer.input.width", self.width)
        w.uint32("fer.input.channels", self.channels)
        w.float32("fer.input.scale", self.scale)
        w.float32s("fer.input.offset", self.offset)
        w.strings("fer.labels", self.labels)
        w.uint32("fer.layer_count", len(self.layers))
        for n, l in enumerate(self.layers):
            key = "fer.layer.%d." % n
            w.int32s(key + "inputs", l.inputs)
            w.string(key + "type", l.type)
            if l.kernel is not None:
                w.int32s(key + "kernel", list(l.kernel))
                w.int32s(key + "stride", list(l.stride))
                w.string(key + "padding", l.padding)
                if l.padding == "explicit":
                    w.int32s(key + "pads", list(l.pads))
            kind = LAYER_KINDS[l.type]
            if kind.activation:
                w.string(key + "activation", l.activation or "none")
            if kind.outputs:
                w.uint32(key + "outputs", int(l.weight.shape[-1]))
            if l.type == "channel_pad":
                w.uint32(key + "added", l.added)
            if kind.weights:
                w.tensor("layer.%d.weight" % n, np.asarray(l.weight, dtype=np.float32))
                w.tensor("layer.%d.bias" % n, np.asarray(l.bias, dtype=np.float32))
        if self.outputs is not None and self.outputs != [len(self.layers) - 1]:
            w.int32s("fer.outputs", self.outputs)
        for k in sorted(self.info):
            w.string("fer.info." + k, str(self.info[k]))
        return w.bytes()


def fold_batchnorm(weight, bias, gamma, beta, mean, variance, epsilon):
    """Folds y = gamma * (x - mean) / sqrt(variance + epsilon) + beta into the convolution (or
    dense layer) before it, whose output channel is the weight's last axis."""
    factor = gamma / np.sqrt(variance + epsilon)
    if bias is None:
        bias = np.zeros_like(mean)
    return ((weight * factor).astype(np.float32),
            ((bias - mean) * factor + beta).astype(np.float32))


def fold_batchnorm_into(model, index, sole_reader, gamma, beta, mean, variance, epsilon, where):
    """Folds a batch normalization into layer `index` of `model`, which must be a convolution or
    dense layer without activation whose output only the normalization reads (`sole_reader`)."""
    producer = model.layers[index] if index >= 0 else None
    if (producer is None or producer.type not in ("conv2d", "depthwise_conv2d", "dense")
            or producer.activation != "none" or not sole_reader):
        raise ConversionError("%s: batch normalization must follow a convolution or dense layer "
                              "without activation that nothing else reads" % where)
    producer.weight, producer.bias = fold_batchnorm(producer.weight, producer.bias, gamma, beta,
                                                    mean, variance, epsilon)

"""ONNX models (NCHW, as PyTorch and most tools export them) to a Model.

Supported operators: Conv (regular, or depthwise with group == channels), BatchNormalization
(folded into the convolution or dense layer before it), Relu, Clip (0..6 as ReLU6), Pad (constant
padding merged into the next convolution or pooling), MaxPool, AveragePool, GlobalAveragePool,
ReduceMean over H and W, Add / Sum, Flatten / Reshape / Squeeze before a dense layer, Gemm,
MatMul (+ Add of a constant), Softmax, Identity, Dropout. Weights become fer's HWC layouts; a
dense layer after flattening an HxW map (H*W > 1) gets its rows reordered from CHW to HWC.
"""
import numpy as np

from .graph import ConversionError, Layer, Model, fold_batchnorm_into


def _attrs(node):
    import onnx

    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _fold_constant(op, a, x):
    """The value of a node whose inputs `x` are all constants (exporters compute pads and shapes
    with such subgraphs), or None when `op` is not one of these shape-arithmetic operators."""
    from onnx import numpy_helper

    if op == "ConstantOfShape":
        fill = numpy_helper.to_array(a["value"]) if "value" in a else np.zeros(1, np.float32)
        return np.full(x[0].astype(np.int64), fill.reshape(-1)[0], fill.dtype)
    if op == "Concat":
        return np.concatenate(x, axis=a.get("axis", 0))
    if op == "Reshape":
        return x[0].reshape(x[1].astype(np.int64))
    if op == "Transpose":
        return x[0].transpose(a.get("perm"))
    if op == "Cast":
        from onnx import mapping  # the type table of onnx 1.12 (Debian 12)

        return x[0].astype(mapping.TENSOR_TYPE_TO_NP_TYPE[a["to"]])
    if op == "Unsqueeze":
        axes = a.get("axes", x[1].tolist() if len(x) > 1 else None)
        return np.expand_dims(x[0], tuple(axes))
    if op == "Squeeze":
        axes = a.get("axes", x[1].tolist() if len(x) > 1 else None)
        return np.squeeze(x[0], tuple(axes) if axes is not None else None)
    if op == "Gather":
        return np.take(x[0], x[1], axis=a.get("axis", 0))
    if op == "Slice":
        starts, ends = x[1].tolist(), x[2].tolist()
        axes = x[3].tolist() if len(x) > 3 else list(range(len(starts)))
        steps = x[4].tolist() if len(x) > 4 else [1] * len(starts)
        index = [slice(None)] * x[0].ndim
        for start, end, axis, step in zip(starts, ends, axes, steps):
            size = x[0].shape[axis]
            # ONNX clamps huge ends (INT64_MAX or MIN as "to the end"); Python slices do too
            # once the values fit.
            end = max(min(end, size), -size - 1)
            index[axis] = slice(start, end if end >= 0 or step > 0 else None, step)
        return x[0][tuple(index)]
    ops = {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Div": np.divide,
           "Neg": np.negative}
    if op in ops:
        return ops[op](*x)
    return None


def convert(path, labels, scale, offset):
    import onnx  # Debian's python3-onnx
    from onnx import numpy_helper

    proto = onnx.load(path)
    graph = proto.graph
    const = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    inputs = [i for i in graph.input if i.name not in const]
    if len(inputs) != 1:
        raise ConversionError("expected one graph input, found %d" % len(inputs))
    dims = [d.dim_value for d in inputs[0].type.tensor_type.shape.dim]
    if len(dims) != 4 or min(dims[1:]) < 1:
        raise ConversionError("input shape %s: [N, C, H, W] with known C, H, W expected" % dims)
    channels = dims[1]
    if offset is None:
        offset = [0.0] * channels
    model = Model(dims[2], dims[3], channels, scale, offset, labels)

    consumers = {}
    for n in graph.node:
        for i in n.input:
            consumers[i] = consumers.get(i, 0) + 1
    index = {inputs[0].name: -1}  # tensor name -> fer layer index
    pending_pad = {}  # tensor name -> (source index, [top, bottom, left, right], value)
    flattened = {}  # tensor name -> (h, w, c) of a flattened map

    def shapes():
        return model.shapes()

    def source(name, node):
        if name in pending_pad:
            raise ConversionError("%s: reads a Pad output it cannot absorb" % node.name)
        if name not in index:
            raise ConversionError("%s: input %s is not computed before it (or is a constant)" %
                                  (node.name or node.op_type, name))
        return index[name]

    def window(node, a, kernel):
        """padding mode and pads of a Conv or pool node, with an absorbed Pad before it."""
        name = node.input[0]
        extra = [0, 0, 0, 0]
        if name in pending_pad:
            src, extra, value = pending_pad.pop(name)
            want = float("-inf") if node.op_type == "MaxPool" else 0.0
            if value != want:
                raise ConversionError("%s: padding value %s before %s" %
                                      (node.name, value, node.op_type))
        else:
            src = source(name, node)
        auto = a.get("auto_pad", b"NOTSET")
        auto = auto.decode() if isinstance(auto, bytes) else auto
        p = list(a.get("pads", [0, 0, 0, 0]))
        pads = [p[0] + extra[0], p[2] + extra[1], p[1] + extra[2], p[3] + extra[3]]
        if auto in ("SAME_UPPER",) and extra == [0, 0, 0, 0]:
            return src, "same", None
        if auto not in ("NOTSET", "VALID"):
            raise ConversionError("%s: auto_pad %s" % (node.name, auto))
        if any(d != 1 for d in a.get("dilations", [1, 1])):
            raise ConversionError("%s: dilated convolutions are not supported" % node.name)
        if pads == [0, 0, 0, 0]:
            return src, "valid", None
        if max(pads[0], pads[1]) >= kernel[0] or max(pads[2], pads[3]) >= kernel[1]:
            raise ConversionError("%s: padding %s not smaller than the kernel %s" %
                                  (node.name, pads, kernel))
        return src, "explicit", tuple(pads)

    def fuse_activation(node, act):
        src = source(node.input[0], node)
        producer = model.layers[src] if src >= 0 else None
        if producer is not None and producer.activation == "none" and \
                consumers.get(node.input[0], 0) == 1:
            producer.activation = act
            index[node.output[0]] = src
        else:
            index[node.output[0]] = model.add(Layer("activation", [src], activation=act,
                                                    name=node.name))

    def constant(name, node):
        if name not in const:
            raise ConversionError("%s: input %s must be a constant" % (node.name, name))
        return const[name]

    def dense(node, weight, bias, a_name):
        src = source(a_name, node)
        if a_name in flattened:
            h, w, c = flattened[a_name]
            if h * w > 1:  # rows in CHW order -> HWC order
                weight = weight.reshape(c, h, w, -1).transpose(1, 2, 0, 3).reshape(h * w * c, -1)
        index[node.output[0]] = model.add(Layer(
            "dense", [src], activation="none", weight=weight.astype(np.float32),
            bias=bias.astype(np.float32), name=node.name))

    for node in graph.node:
        op, a = node.op_type, _attrs(node)
        out = node.output[0] if node.output else None
        present = [i for i in node.input if i]
        if op != "Constant" and present and all(i in const for i in present):
            value = _fold_constant(op, a, [const[i] for i in node.input if i])
            if value is not None:
                const[out] = value
                continue
        if op == "Constant":
            const[out] = numpy_helper.to_array(a["value"])
        elif op in ("Identity", "Dropout"):
            if node.input[0] in const:
                const[out] = const[node.input[0]]
            else:
                index[out] = source(node.input[0], node)
        elif op == "Pad":
            mode = a.get("mode", b"constant")
            if (mode.decode() if isinstance(mode, bytes) else mode) != "constant":
                raise ConversionError("%s: pad mode %s" % (node.name, mode))
            pads = list(a["pads"]) if "pads" in a else constant(node.input[1], node).tolist()
            value = a.get("value", 0.0)
            if len(node.input) > 2 and node.input[2]:
                value = float(constant(node.input[2], node))
            if len(pads) != 8 or pads[0] or pads[1] or pads[4] or pads[5]:
                raise ConversionError("%s: only height and width padding is supported" %
                                      node.name)
            if consumers.get(out, 0) != 1:
                raise ConversionError("%s: a Pad must feed exactly one convolution or pool" %
                                      node.name)
            pending_pad[out] = (source(node.input[0], node), [pads[2], pads[6], pads[3],
                                                               pads[7]], float(value))
        elif op == "Conv":
            w = constant(node.input[1], node).astype(np.float32)
            kernel = tuple(w.shape[2:])
            src, padding, pads = window(node, a, kernel)
            group = a.get("group", 1)
            cin = model.channels if src < 0 else shapes()[src][2]
            bias = (constant(node.input[2], node).astype(np.float32) if len(node.input) > 2 and
                    node.input[2] else np.zeros(w.shape[0], np.float32))
            stride = tuple(a.get("strides", [1, 1]))
            if group == 1:
                layer = Layer("conv2d", [src], kernel, stride, padding, "none",
                              w.transpose(2, 3, 1, 0), bias, node.name)
            elif group == cin and w.shape[0] == cin and w.shape[1] == 1:
                layer = Layer("depthwise_conv2d", [src], kernel, stride, padding, "none",
                              w[:, 0].transpose(1, 2, 0), bias, node.name)
            else:
                raise ConversionError("%s: grouped convolution (group %d) is not supported" %
                                      (node.name, group))
            layer.pads = pads
            index[out] = model.add(layer)
        elif op == "BatchNormalization":
            src = source(node.input[0], node)
            gamma, beta, mean, var = (constant(i, node).astype(np.float64)
                                      for i in node.input[1:5])
            fold_batchnorm_into(model, src, consumers.get(node.input[0], 0) == 1, gamma, beta,
                                mean, var, np.float64(a.get("epsilon", 1e-5)), node.name)
            index[out] = src
        elif op == "Relu":
            fuse_activation(node, "relu")
        elif op == "Clip":
            lo = a.get("min", float(constant(node.input[1], node)) if len(node.input) > 1
                       and node.input[1] else None)
            hi = a.get("max", float(constant(node.input[2], node)) if len(node.input) > 2
                       and node.input[2] else None)
            if lo != 0 or hi not in (6, None):
                raise ConversionError("%s: Clip(%s, %s) is not ReLU or ReLU6" % (node.name, lo, hi))
            fuse_activation(node, "relu6" if hi == 6 else "relu")
        elif op in ("MaxPool", "AveragePool"):
            if a.get("ceil_mode", 0):
                raise ConversionError("%s: ceil_mode is not supported" % node.name)
            kernel = tuple(a["kernel_shape"])
            src, padding, pads = window(node, a, kernel)
            if op == "AveragePool" and a.get("count_include_pad", 0) and padding != "valid":
                raise ConversionError("%s: count_include_pad is not supported" % node.name)
            layer = Layer("max_pool2d" if op == "MaxPool" else "average_pool2d", [src], kernel,
                          tuple(a.get("strides", [1, 1])), padding, name=node.name)
            layer.pads = pads
            index[out] = model.add(layer)
        elif op == "GlobalAveragePool" or op == "ReduceMean":
            axes = a.get("axes", [2, 3])
            if len(node.input) > 1 and node.input[1]:
                axes = constant(node.input[1], node).tolist()
            if sorted(axes) != [2, 3]:
                raise ConversionError("%s: mean over axes %s (only 2, 3)" % (node.name, axes))
            index[out] = model.add(Layer("global_average_pool", [source(node.input[0], node)],
                                         name=node.name))
        elif op in ("Flatten", "Reshape", "Squeeze"):
            src = source(node.input[0], node)
            h, w, c = (model.height, model.width, model.channels) if src < 0 else shapes()[src]
            if op == "Flatten" and a.get("axis", 1) != 1:
                raise ConversionError("%s: Flatten axis %s" % (node.name, a["axis"]))
            if op == "Reshape":
                target = constant(node.input[1], node).tolist()
                if len(target) != 2 or target[1] not in (-1, h * w * c):
                    raise ConversionError("%s: reshape to %s (only [N, -1])" % (node.name, target))
            index[out] = src
            flattened[out] = (h, w, c)
        elif op == "Gemm":
            if a.get("alpha", 1.0) != 1.0 or a.get("beta", 1.0) != 1.0 or a.get("transA", 0):
                raise ConversionError("%s: only Gemm(A, B, C) with alpha = beta = 1" % node.name)
            b = constant(node.input[1], node)
            weight = b.T if a.get("transB", 0) else b
            bias = (constant(node.input[2], node).reshape(-1) if len(node.input) > 2 and
                    node.input[2] else np.zeros(weight.shape[1]))
            dense(node, weight, bias, node.input[0])
        elif op == "MatMul":
            weight = constant(node.input[1], node)
            dense(node, weight, np.zeros(weight.shape[1]), node.input[0])
        elif op in ("Add", "Sum"):
            constants = [i for i in node.input if i in const]
            if constants:  # a bias after MatMul
                tensors = [i for i in node.input if i not in const]
                src = source(tensors[0], node) if len(tensors) == 1 else None
                producer = model.layers[src] if src is not None and src >= 0 else None
                if (producer is None or producer.type != "dense" or len(constants) != 1 or
                        consumers.get(tensors[0], 0) != 1):
                    raise ConversionError("%s: adding a constant is supported only as a dense "
                                          "layer's bias" % node.name)
                producer.bias = (producer.bias + const[constants[0]].reshape(-1)).astype(
                    np.float32)
                index[out] = src
            else:
                index[out] = model.add(Layer("add", [source(i, node) for i in node.input],
                                             activation="none", name=node.name))
        elif op == "Softmax":
            src = source(node.input[0], node)
            if a.get("axis", -1) not in (1, -1) or (src >= 0 and shapes()[src][:2] != (1, 1)):
                raise ConversionError("%s: softmax only over the class vector" % node.name)
            index[out] = model.add(Layer("softmax", [src], name=node.name))
        else:
            raise ConversionError("%s: operator %s is not supported" % (node.name, op))
    if pending_pad:
        raise ConversionError("Pad outputs not absorbed: %s" % ", ".join(pending_pad))
    outputs = [o.name for o in graph.output]
    if len(outputs) != 1 or index.get(outputs[0]) != len(model.layers) - 1:
        raise ConversionError("the graph output must be its last computed layer")
    model.shapes()
    return model

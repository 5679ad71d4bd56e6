"""A Model written as ONNX (opset 11, NCHW, batch 1), so that other runtimes (OpenCV's DNN module
in fer's benchmarks) can run exactly the network fer runs. The input is the normalized tensor
(pixel * scale + offset already applied), as fer's Network::forward takes it.
"""
import numpy as np

from .graph import ConversionError


def _pads(layer, h, w):
    """ONNX pads [top, left, bottom, right] of a windowed layer on an h x w input."""
    (kh, kw), (sh, sw) = layer.kernel, layer.stride
    if layer.padding == "valid":
        return [0, 0, 0, 0]
    if layer.padding == "explicit":
        top, bottom, left, right = layer.pads
        return [top, left, bottom, right]
    total_h = max((-(-h // sh) - 1) * sh + kh - h, 0)
    total_w = max((-(-w // sw) - 1) * sw + kw - w, 0)
    return [total_h // 2, total_w // 2, total_h - total_h // 2, total_w - total_w // 2]


def build(model):
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    shapes = model.shapes()
    nodes, inits = [], []
    source = lambda i: "input" if i < 0 else "t%d" % i
    in_shape = lambda i: (model.height, model.width, model.channels) if i < 0 else shapes[i]

    def const(name, array, dtype=np.float32):
        inits.append(numpy_helper.from_array(np.ascontiguousarray(array, dtype), name))
        return name

    def activation(out, act, n):
        if act in (None, "none"):
            return
        raw = out + "_pre"
        nodes[-1].output[0] = raw
        if act == "relu":
            nodes.append(helper.make_node("Relu", [raw], [out], name="relu%d" % n))
        else:
            nodes.append(helper.make_node("Clip", [raw, const("zero%d" % n, np.float32(0)),
                                                   const("six%d" % n, np.float32(6))], [out],
                                          name="relu6_%d" % n))

    for n, l in enumerate(model.layers):
        out = "t%d" % n
        x = source(l.inputs[0])
        h, w, c = in_shape(l.inputs[0])
        if l.type == "conv2d":
            weight = l.weight.transpose(3, 2, 0, 1)  # HWIO -> OIHW
            nodes.append(helper.make_node(
                "Conv", [x, const("w%d" % n, weight), const("b%d" % n, l.bias)], [out],
                kernel_shape=list(l.kernel), strides=list(l.stride), pads=_pads(l, h, w),
                name="conv%d" % n))
            activation(out, l.activation, n)
        elif l.type == "depthwise_conv2d":
            weight = l.weight.transpose(2, 0, 1)[:, None]  # HWC -> C 1 H W
            nodes.append(helper.make_node(
                "Conv", [x, const("w%d" % n, weight), const("b%d" % n, l.bias)], [out],
                kernel_shape=list(l.kernel), strides=list(l.stride), pads=_pads(l, h, w),
                group=c, name="dwconv%d" % n))
            activation(out, l.activation, n)
        elif l.type in ("max_pool2d", "average_pool2d"):
            op = "MaxPool" if l.type == "max_pool2d" else "AveragePool"
            extra = {} if op == "MaxPool" else {"count_include_pad": 0}
            nodes.append(helper.make_node(op, [x], [out], kernel_shape=list(l.kernel),
                                          strides=list(l.stride), pads=_pads(l, h, w),
                                          name="pool%d" % n, **extra))
        elif l.type == "global_average_pool":
            nodes.append(helper.make_node("GlobalAveragePool", [x], [out], name="gap%d" % n))
        elif l.type == "dense":
            flat = out + "_flat"
            if h * w > 1:  # fer flattens HWC; ONNX flattens CHW
                x_hwc = out + "_hwc"
                nodes.append(helper.make_node("Transpose", [x], [x_hwc], perm=[0, 2, 3, 1]))
                x = x_hwc
            nodes.append(helper.make_node("Flatten", [x], [flat], axis=1, name="flat%d" % n))
            # B as [out][in] with transB: the form OpenCV's importer accepts.
            nodes.append(helper.make_node("Gemm", [flat, const("w%d" % n, l.weight.T),
                                                   const("b%d" % n, l.bias)], [out], transB=1,
                                          name="dense%d" % n))
            activation(out, l.activation, n)
        elif l.type == "add":
            acc = source(l.inputs[0])
            for k, i in enumerate(l.inputs[1:]):
                target = out if k == len(l.inputs) - 2 else "%s_sum%d" % (out, k)
                nodes.append(helper.make_node("Add", [acc, source(i)], [target],
                                              name="add%d_%d" % (n, k)))
                acc = target
            activation(out, l.activation, n)
        elif l.type == "activation":
            nodes.append(helper.make_node("Identity", [x], [out], name="id%d" % n))
            activation(out, l.activation, n)
        elif l.type == "channel_pad":  # NCHW begins then ends: zeros after the channels
            pads = [0, 0, 0, 0, 0, l.added, 0, 0]
            nodes.append(helper.make_node("Pad", [x, const("pads%d" % n, pads, np.int64)], [out],
                                          mode="constant", name="pad%d" % n))
        elif l.type == "softmax":
            flat = out + "_flat"
            nodes.append(helper.make_node("Flatten", [x], [flat], axis=1, name="flat%d" % n))
            nodes.append(helper.make_node("Softmax", [flat], [out], axis=1, name="softmax%d" % n))
        else:
            raise ConversionError("layer %d: %s cannot be exported" % (n, l.type))
    outputs = []
    for i in model.outputs or [len(model.layers) - 1]:  # a detector's heads, in order
        h, w, c = shapes[i]
        flat = model.layers[i].type in ("softmax", "dense")
        outputs.append(helper.make_tensor_value_info("t%d" % i, TensorProto.FLOAT,
                                                     [1, c] if flat else [1, c, h, w]))
    graph = helper.make_graph(
        nodes, "fer", [helper.make_tensor_value_info(
            "input", TensorProto.FLOAT, [1, model.channels, model.height, model.width])],
        outputs, inits)
    proto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 11)],
                              producer_name="fer tools/convert.py")
    proto.ir_version = 7
    onnx.checker.check_model(proto)
    return proto


def write(model, path):
    import onnx

    onnx.save(build(model), path)

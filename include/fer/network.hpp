// fer/network.hpp - a CNN as an ordered list of layers with named inputs, loaded from and saved
// to GGUF model files.
//
// Each node reads the outputs of earlier nodes (or the network input) and writes one tensor;
// residual connections are Add nodes reading several earlier outputs. Shapes are inferred and
// checked once, when the network is built or loaded. forward() is const: several threads may run
// one network at once, each with its own Workspace, which is allocated on first use and reused,
// so repeated calls do not allocate.
//
// Model file (GGUF v3) keys, all under "fer.":
//   input.height, input.width, input.channels (uint32: 1 is gray, 3 is RGB); input.scale
//   (float32) and input.offset (float32 array, one per channel: the network sees
//   pixel * scale + offset[channel]); labels (string array, one per output);
//   layer_count (uint32); per layer N: layer.N.type (string: conv2d, depthwise_conv2d,
//   max_pool2d, average_pool2d, global_average_pool, dense, add, activation, softmax),
//   layer.N.inputs (int32
//   array: indices of earlier layers, -1 for the network input), and as the type needs
//   layer.N.kernel and layer.N.stride (int32 [h, w]), layer.N.padding ("same", "valid" or
//   "explicit" with layer.N.pads, int32 [top, bottom, left, right]), layer.N.activation ("none",
//   "relu", "relu6"; conv, dense, add and activation layers), layer.N.outputs (uint32, conv and
//   dense); info.* (strings, optional: provenance).
// Tensors: layer.N.weight in the layer's layout with GGUF dimensions innermost first, either F32,
// or I8 with layer.N.weight_scale (F32, one per output channel, see fer/quant.hpp), which is
// dequantized on load (a conv2d's I8 weights are also kept as they are, for int8 arithmetic);
// layer.N.bias (F32). Files written before int8 arithmetic took its scales per row also hold
// layer.N.input_scale (float32); it is ignored.
#pragma once

#include <cmath>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "error.hpp"
#include "gguf.hpp"
#include "layers/conv2d.hpp"
#include "layers/conv2d_int8.hpp"
#include "layers/conv2d_packed.hpp"
#include "layers/dense.hpp"
#include "layers/depthwise_conv2d.hpp"
#include "layers/pool2d.hpp"
#include "quant.hpp"
#include "tensor.hpp"

namespace fer {

struct AddLayer {
    Activation activation = Activation::none;
};
// A standalone activation, for a tensor that is read both before and after it (a ReLU whose input
// also feeds a residual branch cannot be fused into the layer that produced it).
struct ActivationLayer {
    Activation activation = Activation::relu;
};
struct SoftmaxLayer {};

using Layer = std::variant<Conv2D, DepthwiseConv2D, Pool2D, GlobalAveragePool, Dense, AddLayer,
                           ActivationLayer, SoftmaxLayer>;

// The arithmetic of forward(): fp32 everywhere, or int8 convolutions (fer/quant.hpp) with the
// rest in fp32. int8 runs the convolutions that have an int8 form (those with int8 weights, from
// fer quantize); the others stay fp32.
enum class Precision : std::uint8_t { fp32, int8 };

// What the network reads: shape.channels 1 means gray, 3 means RGB; each 0-255 pixel value v of
// channel c is fed as v * scale + offset[c].
struct NetworkInput {
    Shape shape;
    float scale = 1.0f / 255.0f;
    std::vector<float> offset = std::vector<float>(1, 0.0f);  // one per channel
};

class Network {
  public:
    struct Node {
        Layer layer;
        std::vector<int> inputs;  // earlier node indices; -1 is the network input
        Shape output;
        std::shared_ptr<const Int8Conv2D> int8;  // a Conv2D's int8 form, where it has int8 weights
        // A Conv2D's weights packed for the AVX2 GEMM, where the CPU has it (add, set_layer).
        std::shared_ptr<const PackedConv2D> packed;
    };

    // Per-thread working memory for forward().
    struct Workspace {
        std::vector<Tensor> outputs;
        std::vector<float> scratch;
        std::vector<TensorView> add_inputs;
        Int8Conv2D::Scratch int8;
    };

    // Adds a node reading `inputs`; checks the layer and infers its output shape.
    // Throws: fer::error for invalid parameters, inputs or shapes.
    void add(Layer layer, std::vector<int> inputs) {
        const int index = int(nodes_.size());
        if (inputs.empty())
            detail::fail(detail::concat("layer ", index, " inputs"), "at least one", "none");
        std::vector<Shape> shapes;
        for (int i : inputs) {
            if (i < -1 || i >= index)
                detail::fail(detail::concat("layer ", index, " input"),
                             detail::concat("-1 to ", index - 1), i);
            shapes.push_back(i < 0 ? input_.shape : nodes_[std::size_t(i)].output);
        }
        Node node{std::move(layer), std::move(inputs), Shape{}, nullptr, nullptr};
        node.output = std::visit([&](auto& l) { return infer(l, shapes, index); }, node.layer);
        node.packed = packed_form(node.layer);
        nodes_.push_back(std::move(node));
    }

    // Throws: fer::error after the first layer, for a bad shape, a channel count other than 1 or
    // 3, an offset count other than the channel count, or a non-finite scale or offset.
    void set_input(const NetworkInput& input) {
        if (!nodes_.empty())
            detail::fail("network input", "set before the first layer", "set later");
        detail::check_shape(input.shape);
        if (input.shape.channels != 1 && input.shape.channels != 3)
            detail::fail("network input channels", "1 (gray) or 3 (RGB)", input.shape.channels);
        if (input.offset.size() != std::size_t(input.shape.channels))
            detail::fail("network input offsets", "one per channel", input.offset.size());
        bool finite = std::isfinite(input.scale) && input.scale != 0.0f;
        for (float o : input.offset) finite = finite && std::isfinite(o);
        if (!finite)
            detail::fail("network input scale and offsets", "finite, non-zero scale",
                         "NaN, infinity or zero");
        input_ = input;
    }

    // Replaces node `index`'s layer by one with the same kind and output shape (new weights).
    // Throws: fer::error if the index, kind or shape differs.
    void set_layer(std::size_t index, Layer layer) {
        if (index >= nodes_.size() || layer.index() != nodes_[index].layer.index())
            detail::fail("replacement layer", "the same kind of layer at an existing node",
                         detail::concat("node ", index));
        std::vector<Shape> shapes;
        for (int i : nodes_[index].inputs)
            shapes.push_back(i < 0 ? input_.shape : nodes_[std::size_t(i)].output);
        const Shape out = std::visit([&](auto& l) { return infer(l, shapes, int(index)); }, layer);
        if (out != nodes_[index].output)
            detail::fail("replacement layer output", detail::describe(nodes_[index].output),
                         detail::describe(out));
        nodes_[index].layer = std::move(layer);
        nodes_[index].packed = packed_form(nodes_[index].layer);
    }

    // Gives convolution node `index` its int8 form. Throws: fer::error if it is not a Conv2D.
    void set_int8(std::size_t index, std::shared_ptr<const Int8Conv2D> int8) {
        if (index >= nodes_.size() || !std::holds_alternative<Conv2D>(nodes_[index].layer))
            detail::fail("int8 form", "a convolution node", detail::concat("node ", index));
        nodes_[index].int8 = std::move(int8);
    }

    // Whether some convolution has an int8 form, so that forward can run Precision::int8 (the
    // convolutions without one stay fp32: those with fewer than min_int8_depth taps).
    bool supports_int8() const {
        for (const Node& n : nodes_)
            if (n.int8) return true;
        return false;
    }

    const NetworkInput& input() const { return input_; }
    const std::vector<Node>& nodes() const { return nodes_; }
    Shape output_shape() const { return nodes_.empty() ? input_.shape : nodes_.back().output; }
    std::vector<std::string> labels;
    // Provenance strings kept with the model (file keys fer.info.*): name, source, licence...
    std::map<std::string, std::string> info;

    // Runs the network on an already normalized input; returns the last node's output, which
    // lives in the workspace until its next use.
    // Throws: fer::error if the network is empty, the input shape differs from input().shape,
    // or int8 is asked of a network without int8 forms (supports_int8()).
    const Tensor& forward(const TensorView& input, Workspace& ws,
                          Precision precision = Precision::fp32) const {
        if (nodes_.empty()) detail::fail("network", "at least one layer", "none");
        if (precision == Precision::int8 && !supports_int8())
            detail::fail("int8 arithmetic", "int8 weights for its convolutions (fer quantize)",
                         "a model without them");
        if (input.shape != input_.shape)
            detail::fail("network input shape", detail::describe(input_.shape),
                         detail::describe(input.shape));
        ws.outputs.resize(nodes_.size());
        for (std::size_t n = 0; n < nodes_.size(); ++n) {
            const Node& node = nodes_[n];
            Tensor& out = ws.outputs[n];
            out.reset(node.output);
            auto source = [&](int i) -> TensorView {
                return i < 0 ? input : ws.outputs[std::size_t(i)].view();
            };
            const TensorView first = source(node.inputs[0]);
            if (node.int8 && precision == Precision::int8)
                node.int8->forward(first, out.mutable_view(), ws.int8);
            else if (node.packed)
                node.packed->forward(first, out.mutable_view(), ws.scratch);
            else if (const auto* l = std::get_if<Conv2D>(&node.layer))
                l->forward(first, out.mutable_view(), ws.scratch);
            else if (const auto* d = std::get_if<DepthwiseConv2D>(&node.layer))
                d->forward(first, out.mutable_view());
            else if (const auto* p = std::get_if<Pool2D>(&node.layer))
                p->forward(first, out.mutable_view());
            else if (const auto* g = std::get_if<GlobalAveragePool>(&node.layer))
                g->forward(first, out.mutable_view());
            else if (const auto* f = std::get_if<Dense>(&node.layer))
                f->forward(first, out.mutable_view());
            else if (const auto* a = std::get_if<AddLayer>(&node.layer)) {
                ws.add_inputs.clear();
                for (int i : node.inputs) ws.add_inputs.push_back(source(i));
                fer::add(ws.add_inputs, out.mutable_view(), a->activation);
            } else if (const auto* act = std::get_if<ActivationLayer>(&node.layer)) {
                for (std::int64_t i = 0; i < first.size(); ++i)
                    out.data()[i] = detail::activate(first.data[i], act->activation);
            } else {
                std::copy(first.data, first.data + first.size(), out.data());
                softmax(out.mutable_view());
            }
        }
        return ws.outputs.back();
    }

  private:
    NetworkInput input_{Shape{64, 64, 1}, 1.0f / 255.0f, {0.0f}};
    std::vector<Node> nodes_;

    static std::shared_ptr<const PackedConv2D> packed_form(const Layer& layer) {
        const auto* conv = std::get_if<Conv2D>(&layer);
        if (!conv || !PackedConv2D::worthwhile(*conv)) return nullptr;
        return std::make_shared<const PackedConv2D>(*conv);
    }

    static void single_input(const std::vector<Shape>& shapes, int index, const char* type) {
        if (shapes.size() != 1)
            detail::fail(detail::concat("layer ", index, " (", type, ") inputs"), 1, shapes.size());
    }
    Shape infer(const Conv2D& l, const std::vector<Shape>& s, int i) const {
        single_input(s, i, "conv2d");
        l.validate();
        return l.output_shape(s[0]);
    }
    Shape infer(const DepthwiseConv2D& l, const std::vector<Shape>& s, int i) const {
        single_input(s, i, "depthwise_conv2d");
        l.validate();
        return l.output_shape(s[0]);
    }
    Shape infer(const Pool2D& l, const std::vector<Shape>& s, int i) const {
        single_input(s, i, "pool2d");
        l.validate();
        return l.output_shape(s[0]);
    }
    Shape infer(const GlobalAveragePool& l, const std::vector<Shape>& s, int i) const {
        single_input(s, i, "global_average_pool");
        return l.output_shape(s[0]);
    }
    Shape infer(const Dense& l, const std::vector<Shape>& s, int i) const {
        single_input(s, i, "dense");
        l.validate();
        return l.output_shape(s[0]);
    }
    Shape infer(const AddLayer&, const std::vector<Shape>& s, int i) const {
        if (s.size() < 2)
            detail::fail(detail::concat("layer ", i, " (add) inputs"), "at least 2", s.size());
        for (const Shape& x : s)
            if (x != s[0])
                detail::fail(detail::concat("layer ", i, " (add) input shapes"),
                             detail::describe(s[0]), detail::describe(x));
        return s[0];
    }
    Shape infer(const ActivationLayer&, const std::vector<Shape>& s, int i) const {
        single_input(s, i, "activation");
        return s[0];
    }
    Shape infer(const SoftmaxLayer&, const std::vector<Shape>& s, int i) const {
        single_input(s, i, "softmax");
        return s[0];
    }
};

}  // namespace fer

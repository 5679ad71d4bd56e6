// fer/model_file.hpp - networks to and from GGUF model files (format: see fer/network.hpp).
//
// load_network validates everything against the layer list before it builds anything: every key
// present with the right type, every tensor present with the dimensions the layer's parameters
// imply, every input index earlier than its layer. save_network writes fp32 weights, or int8
// weights with per-channel scales (fer/quant.hpp).
#pragma once

#include <cmath>
#include <cstring>
#include <string>
#include <tuple>
#include <vector>

#include "gguf.hpp"
#include "network.hpp"
#include "quant.hpp"

namespace fer {

namespace detail {

inline std::string layer_key(std::size_t n, const char* name) {
    return concat("fer.layer.", n, ".", name);
}

inline const char* activation_name(Activation a) {
    return a == Activation::relu ? "relu" : a == Activation::relu6 ? "relu6" : "none";
}

class ModelReader {
  public:
    explicit ModelReader(const GgufFile& file) : f_(file) {}

    Network read() {
        const std::string architecture = f_.get_string("general.architecture");
        if (architecture != "fer")
            fail(f_.source() + " general.architecture", "'fer'", "'" + architecture + "'");
        NetworkInput input;
        input.shape = Shape{int(integer("fer.input.height", 1, 4096)),
                            int(integer("fer.input.width", 1, 4096)),
                            int(integer("fer.input.channels", 1, 4))};
        input.scale = float(f_.get_float("fer.input.scale"));
        input.offset.clear();
        for (const GgufValue& v : f_.get_array("fer.input.offset")) {
            const auto* d = std::get_if<double>(&v.value);
            if (d == nullptr)
                fail(f_.source() + " fer.input.offset", "float32 values", "another type");
            input.offset.push_back(float(*d));
        }
        Network net;
        try {
            net.set_input(input);
        } catch (const error& e) {
            throw error(f_.source() + ": " + e.what());
        }
        for (const GgufValue& label : f_.get_array("fer.labels")) {
            const auto* s = std::get_if<std::string>(&label.value);
            if (s == nullptr) fail(f_.source() + " fer.labels", "strings", "another type");
            net.labels.push_back(*s);
        }
        const std::size_t count = std::size_t(integer("fer.layer_count", 1, 1000));
        for (std::size_t n = 0; n < count; ++n) {
            std::vector<int> inputs;
            for (const GgufValue& v : f_.get_array(layer_key(n, "inputs"))) {
                const auto* i = std::get_if<std::int64_t>(&v.value);
                if (i == nullptr || *i < -1 || *i >= std::int64_t(n))
                    fail(f_.source() + " " + layer_key(n, "inputs"),
                         concat("integers from -1 to ", std::int64_t(n) - 1), "another value");
                inputs.push_back(int(*i));
            }
            net.add(layer(n, inputs.empty()
                                 ? Shape{}
                                 : (inputs[0] < 0 ? input.shape
                                                  : net.nodes()[std::size_t(inputs[0])].output)),
                    inputs);
            if (std::holds_alternative<Conv2D>(net.nodes()[n].layer) &&
                f_.tensor(concat("layer.", n, ".weight")).type == GgufTensorType::i8)
                int8_form(n, net);
        }
        for (const auto& [key, value] : f_.metadata())
            if (key.rfind("fer.info.", 0) == 0)
                if (const auto* text = std::get_if<std::string>(&value.value))
                    net.info[key.substr(9)] = *text;
        if (net.labels.size() != std::size_t(net.output_shape().size()))
            fail(f_.source() + " fer.labels",
                 concat(net.output_shape().size(), " labels (one per output)"), net.labels.size());
        return net;
    }

  private:
    const GgufFile& f_;

    std::int64_t integer(const std::string& key, std::int64_t lo, std::int64_t hi) const {
        const std::int64_t v = f_.get_integer(key);
        if (v < lo || v > hi) fail(f_.source() + " " + key, concat(lo, " to ", hi), v);
        return v;
    }

    std::pair<int, int> pair(std::size_t n, const char* name) const {
        const std::vector<GgufValue>& a = f_.get_array(layer_key(n, name));
        const auto* h = a.size() == 2 ? std::get_if<std::int64_t>(&a[0].value) : nullptr;
        const auto* w = a.size() == 2 ? std::get_if<std::int64_t>(&a[1].value) : nullptr;
        if (h == nullptr || w == nullptr || *h < 1 || *w < 1 || *h > 64 || *w > 64)
            fail(f_.source() + " " + layer_key(n, name), "two integers [h, w] from 1 to 64",
                 "something else");
        return {int(*h), int(*w)};
    }

    // A windowed layer's kernel, stride and padding (with "explicit", the pads [top, bottom,
    // left, right]).
    template <class Layer>
    void window(std::size_t n, Layer& l) const {
        std::tie(l.kernel_h, l.kernel_w) = pair(n, "kernel");
        std::tie(l.stride_h, l.stride_w) = pair(n, "stride");
        const std::string p = f_.get_string(layer_key(n, "padding"));
        if (p == "same" || p == "valid") {
            l.padding = p == "same" ? Padding::same : Padding::valid;
            return;
        }
        if (p != "explicit")
            fail(f_.source() + " " + layer_key(n, "padding"), "'same', 'valid' or 'explicit'",
                 "'" + p + "'");
        l.padding = Padding::explicit_pads;
        const std::vector<GgufValue>& a = f_.get_array(layer_key(n, "pads"));
        int pads[4];
        for (std::size_t i = 0; i < 4; ++i) {
            const auto* v = a.size() == 4 ? std::get_if<std::int64_t>(&a[i].value) : nullptr;
            if (v == nullptr || *v < 0 || *v > 64)
                fail(f_.source() + " " + layer_key(n, "pads"),
                     "four integers [top, bottom, left, right] from 0 to 64", "something else");
            pads[i] = int(*v);
        }
        l.pads = Pads{pads[0], pads[1], pads[2], pads[3]};
    }

    Activation activation(std::size_t n) const {
        const std::string a = f_.get_string(layer_key(n, "activation"));
        if (a == "none") return Activation::none;
        if (a == "relu") return Activation::relu;
        if (a == "relu6") return Activation::relu6;
        fail(f_.source() + " " + layer_key(n, "activation"), "'none', 'relu' or 'relu6'",
             "'" + a + "'");
    }

    // A float tensor with exactly `dims` (innermost first): F32 as it is, or I8 with per-channel
    // scales over the innermost dimension, dequantized.
    std::vector<float> weights(std::size_t n, const char* name,
                               const std::vector<std::int64_t>& dims) const {
        const std::string tensor_name = concat("layer.", n, ".", name);
        const GgufTensor& t = f_.tensor(tensor_name);
        if (t.dims != dims) {
            std::string want, got;
            for (auto d : dims) want += concat(want.empty() ? "" : "x", d);
            for (auto d : t.dims) got += concat(got.empty() ? "" : "x", d);
            fail(f_.source() + " tensor " + tensor_name + " dimensions", want, got);
        }
        std::vector<float> out(std::size_t(t.elements()));
        if (t.type == GgufTensorType::f32) {
            std::memcpy(out.data(), t.data, t.bytes);
        } else if (t.type == GgufTensorType::i8) {
            const std::vector<float> scales = weights(n, "weight_scale", {dims[0]});
            QuantizedWeights q;
            q.channels = int(dims[0]);
            q.scales = scales;
            q.values.assign(reinterpret_cast<const std::int8_t*>(t.data),
                            reinterpret_cast<const std::int8_t*>(t.data) + t.bytes);
            out = dequantize(q);
        } else {
            fail(f_.source() + " tensor " + tensor_name + " type", "F32 or I8", to_string(t.type));
        }
        for (float v : out)
            if (!std::isfinite(v))
                fail(f_.source() + " tensor " + tensor_name, "finite values", "NaN or infinity");
        return out;
    }

    // A convolution's int8 form: its I8 weights as stored (the layer is built and checked).
    void int8_form(std::size_t n, Network& net) const {
        const Conv2D* conv = &std::get<Conv2D>(net.nodes()[n].layer);
        const GgufTensor& t = f_.tensor(concat("layer.", n, ".weight"));
        QuantizedWeights q;
        q.channels = conv->out_channels;
        q.values.assign(reinterpret_cast<const std::int8_t*>(t.data),
                        reinterpret_cast<const std::int8_t*>(t.data) + t.bytes);
        q.scales = weights(n, "weight_scale", {conv->out_channels});
        try {
            net.set_int8(n, std::make_shared<const Int8Conv2D>(*conv, q));
        } catch (const error& e) {
            throw error(f_.source() + " layer " + std::to_string(n) + ": " + e.what());
        }
    }

    Layer layer(std::size_t n, const Shape& in) const {
        const std::string type = f_.get_string(layer_key(n, "type"));
        if (type == "conv2d") {
            Conv2D l;
            window(n, l);
            l.activation = activation(n);
            l.in_channels = in.channels;
            l.out_channels = int(integer(layer_key(n, "outputs"), 1, 4096));
            l.weights =
                weights(n, "weight", {l.out_channels, l.in_channels, l.kernel_w, l.kernel_h});
            l.bias = weights(n, "bias", {l.out_channels});
            return l;
        }
        if (type == "depthwise_conv2d") {
            DepthwiseConv2D l;
            window(n, l);
            l.activation = activation(n);
            l.channels = in.channels;
            l.weights = weights(n, "weight", {l.channels, l.kernel_w, l.kernel_h});
            l.bias = weights(n, "bias", {l.channels});
            return l;
        }
        if (type == "max_pool2d" || type == "average_pool2d") {
            Pool2D l;
            l.kind = type == "max_pool2d" ? Pool2D::Kind::max : Pool2D::Kind::average;
            window(n, l);
            return l;
        }
        if (type == "global_average_pool") return GlobalAveragePool{};
        if (type == "dense") {
            Dense l;
            l.inputs = int(in.size());
            l.outputs = int(integer(layer_key(n, "outputs"), 1, 4096));
            l.activation = activation(n);
            l.weights = weights(n, "weight", {l.outputs, l.inputs});
            l.bias = weights(n, "bias", {l.outputs});
            return l;
        }
        if (type == "add") return AddLayer{activation(n)};
        if (type == "activation") return ActivationLayer{activation(n)};
        if (type == "softmax") return SoftmaxLayer{};
        fail(f_.source() + " " + layer_key(n, "type"),
             "conv2d, depthwise_conv2d, max_pool2d, average_pool2d, global_average_pool, dense, "
             "add, activation or softmax",
             "'" + type + "'");
    }
};

}  // namespace detail

// Throws: fer::error naming the key, tensor or value that is missing, mistyped or inconsistent.
inline Network load_network(const GgufFile& file) {
    return detail::ModelReader(file).read();
}
inline Network load_network(const std::string& path) {
    return load_network(GgufFile::load(path));
}

// The model file of `net`: fp32 weights, or int8 per-channel weights when `int8_weights` (with
// each convolution's int8 form, where it has one: its weights as quantized; layers with fewer
// than min_int8_depth multiply-adds per output keep fp32 weights).
inline std::vector<std::uint8_t> save_network(const Network& net, bool int8_weights = false) {
    GgufWriter w;
    w.add_string("general.architecture", "fer");
    w.add_uint32("fer.input.height", std::uint32_t(net.input().shape.height));
    w.add_uint32("fer.input.width", std::uint32_t(net.input().shape.width));
    w.add_uint32("fer.input.channels", std::uint32_t(net.input().shape.channels));
    w.add_float32("fer.input.scale", net.input().scale);
    w.add_float32s("fer.input.offset", net.input().offset);
    w.add_strings("fer.labels", net.labels);
    w.add_uint32("fer.layer_count", std::uint32_t(net.nodes().size()));
    auto add_f32 = [&](std::size_t n, const char* name, const std::vector<float>& v,
                       const std::vector<std::int64_t>& dims) {
        w.add_tensor(detail::concat("layer.", n, ".", name), dims, GgufTensorType::f32, v.data(),
                     v.size() * 4);
    };
    auto add_i8 = [&](std::size_t n, const std::vector<std::int64_t>& dims,
                      const std::vector<std::int8_t>& values, const std::vector<float>& scales) {
        w.add_tensor(detail::concat("layer.", n, ".weight"), dims, GgufTensorType::i8,
                     values.data(), values.size());
        add_f32(n, "weight_scale", scales, {dims[0]});
    };
    // The weights of a layer with `depth` multiply-adds per output: int8 when asked for and the
    // layer is deep enough (min_int8_depth), fp32 otherwise.
    auto add_weights = [&](std::size_t n, const std::vector<float>& v,
                           const std::vector<std::int64_t>& dims, int depth) {
        if (!int8_weights || depth < min_int8_depth) return add_f32(n, "weight", v, dims);
        const QuantizedWeights q = quantize_per_channel(v, int(dims[0]));
        add_i8(n, dims, q.values, q.scales);
    };
    for (std::size_t n = 0; n < net.nodes().size(); ++n) {
        const Network::Node& node = net.nodes()[n];
        w.add_int32s(detail::layer_key(n, "inputs"), node.inputs);
        auto window = [&](const auto& l) {
            w.add_int32s(detail::layer_key(n, "kernel"), {l.kernel_h, l.kernel_w});
            w.add_int32s(detail::layer_key(n, "stride"), {l.stride_h, l.stride_w});
            w.add_string(detail::layer_key(n, "padding"), l.padding == Padding::same ? "same"
                                                          : l.padding == Padding::valid
                                                              ? "valid"
                                                              : "explicit");
            if (l.padding == Padding::explicit_pads)
                w.add_int32s(detail::layer_key(n, "pads"),
                             {l.pads.top, l.pads.bottom, l.pads.left, l.pads.right});
        };
        if (const auto* c = std::get_if<Conv2D>(&node.layer)) {
            w.add_string(detail::layer_key(n, "type"), "conv2d");
            window(*c);
            w.add_string(detail::layer_key(n, "activation"),
                         detail::activation_name(c->activation));
            w.add_uint32(detail::layer_key(n, "outputs"), std::uint32_t(c->out_channels));
            const std::vector<std::int64_t> dims{c->out_channels, c->in_channels, c->kernel_w,
                                                 c->kernel_h};
            if (int8_weights && node.int8) {  // the int8 form's weights, exactly as it computes
                add_i8(n, dims, node.int8->weights(), node.int8->weight_scales());
            } else {
                add_weights(n, c->weights, dims, c->kernel_h * c->kernel_w * c->in_channels);
            }
            add_f32(n, "bias", c->bias, {c->out_channels});
        } else if (const auto* d = std::get_if<DepthwiseConv2D>(&node.layer)) {
            w.add_string(detail::layer_key(n, "type"), "depthwise_conv2d");
            window(*d);
            w.add_string(detail::layer_key(n, "activation"),
                         detail::activation_name(d->activation));
            add_weights(n, d->weights, {d->channels, d->kernel_w, d->kernel_h},
                        d->kernel_h * d->kernel_w);
            add_f32(n, "bias", d->bias, {d->channels});
        } else if (const auto* p = std::get_if<Pool2D>(&node.layer)) {
            w.add_string(detail::layer_key(n, "type"),
                         p->kind == Pool2D::Kind::max ? "max_pool2d" : "average_pool2d");
            window(*p);
        } else if (std::holds_alternative<GlobalAveragePool>(node.layer)) {
            w.add_string(detail::layer_key(n, "type"), "global_average_pool");
        } else if (const auto* f = std::get_if<Dense>(&node.layer)) {
            w.add_string(detail::layer_key(n, "type"), "dense");
            w.add_string(detail::layer_key(n, "activation"),
                         detail::activation_name(f->activation));
            w.add_uint32(detail::layer_key(n, "outputs"), std::uint32_t(f->outputs));
            add_weights(n, f->weights, {f->outputs, f->inputs}, f->inputs);
            add_f32(n, "bias", f->bias, {f->outputs});
        } else if (const auto* a = std::get_if<AddLayer>(&node.layer)) {
            w.add_string(detail::layer_key(n, "type"), "add");
            w.add_string(detail::layer_key(n, "activation"),
                         detail::activation_name(a->activation));
        } else if (const auto* act = std::get_if<ActivationLayer>(&node.layer)) {
            w.add_string(detail::layer_key(n, "type"), "activation");
            w.add_string(detail::layer_key(n, "activation"),
                         detail::activation_name(act->activation));
        } else {
            w.add_string(detail::layer_key(n, "type"), "softmax");
        }
    }
    for (const auto& [key, value] : net.info) w.add_string("fer.info." + key, value);
    return w.bytes();
}

}  // namespace fer

// fer/model/model_file.hpp - networks to and from GGUF model files.
//
// Model file (GGUF v3) keys, all under "fer.":
//   input.height, input.width (uint32, 1 to limits::max_network_input_side), input.channels
//   (uint32: 1 is gray, 3 is RGB); input.scale (float32) and input.offset (float32 array, one per
//   channel: the network sees pixel * scale + offset[channel]); labels (string array, one per
//   output value; empty for a network with several outputs); layer_count (uint32); per layer N:
//   layer.N.type (string, one of layer_file_types()), layer.N.inputs (int32 array: indices of
//   earlier layers, -1 for the network input), and the keys of the layer's kind (its read() and
//   write(), fer/nn/layers/); outputs (int32 array, optional: the layers whose outputs are the
//   answer, in order; absent: the last layer); info.* (strings, optional: provenance).
// Tensors: layer.N.weight in the layer's layout with GGUF dimensions innermost first, either F32,
// or I8 with layer.N.weight_scale (F32, one per output channel, see fer/nn/quant.hpp), which is
// dequantized on load (a conv2d's I8 weights are also kept as they are, for int8 arithmetic);
// layer.N.bias (F32). A layer.N.input_scale key (float32: a per-tensor activation scale that
// older files hold) is ignored.
//
// load_network validates everything before it builds anything: every key present with the right
// type, every tensor present with the dimensions the layer's parameters imply, every input index
// earlier than its layer, an unknown layer type named as such.
#pragma once

#include <string>
#include <vector>

#include "../limits.hpp"
#include "../nn/network.hpp"
#include "gguf.hpp"
#include "layer_io.hpp"

namespace fer {

namespace detail {

class ModelReader {
  public:
    explicit ModelReader(const GgufFile& file) : f_(file) {}

    Network read() {
        const std::string architecture = f_.get_string("general.architecture");
        if (architecture != "fer")
            fail(f_.source() + " general.architecture", "'fer'", "'" + architecture + "'");
        const int side = limits::max_network_input_side;
        NetworkInput input;
        input.shape = Shape{int(integer("fer.input.height", 1, side)),
                            int(integer("fer.input.width", 1, side)),
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
        const std::size_t count =
            std::size_t(integer("fer.layer_count", 1, limits::max_network_layers));
        for (std::size_t n = 0; n < count; ++n) {
            const std::string inputs_key = layer_key(n, "inputs");
            std::vector<int> inputs;
            for (const GgufValue& v : f_.get_array(inputs_key)) {
                const auto* i = std::get_if<std::int64_t>(&v.value);
                if (i == nullptr || *i < -1 || *i >= std::int64_t(n))
                    fail(f_.source() + " " + inputs_key,
                         concat("integers from -1 to ", std::int64_t(n) - 1), "another value");
                inputs.push_back(int(*i));
            }
            if (inputs.empty()) fail(f_.source() + " " + inputs_key, "at least one input", "none");
            const Shape& first =
                inputs[0] < 0 ? input.shape : net.nodes()[std::size_t(inputs[0])].output;
            Layer layer = read_layer(LayerReader(f_, n, first));
            try {
                net.add(std::move(layer), inputs);
            } catch (const error& e) {
                throw error(f_.source() + " " + e.what());
            }
        }
        for (const auto& [key, value] : f_.metadata())
            if (key.rfind("fer.info.", 0) == 0)
                if (const auto* text = std::get_if<std::string>(&value.value))
                    net.info[key.substr(9)] = *text;
        if (f_.find("fer.outputs") != nullptr) {
            std::vector<int> outputs;
            for (const GgufValue& v : f_.get_array("fer.outputs")) {
                const auto* i = std::get_if<std::int64_t>(&v.value);
                if (i == nullptr || *i < 0 || *i >= std::int64_t(count))
                    fail(f_.source() + " fer.outputs",
                         concat("layer indices from 0 to ", count - 1), "another value");
                outputs.push_back(int(*i));
            }
            try {
                net.set_outputs(outputs);
            } catch (const error& e) {
                throw error(f_.source() + " fer.outputs: " + e.what());
            }
        }
        const std::size_t labels_expected =
            net.output_nodes().size() > 1 ? 0 : std::size_t(net.output_shape().size());
        if (net.labels.size() != labels_expected)
            fail(f_.source() + " fer.labels",
                 concat(labels_expected,
                        " labels (one per output value; none for several "
                        "outputs)"),
                 net.labels.size());
        return net;
    }

  private:
    const GgufFile& f_;

    std::int64_t integer(const std::string& key, std::int64_t lo, std::int64_t hi) const {
        const std::int64_t v = f_.get_integer(key);
        if (v < lo || v > hi) fail(f_.source() + " " + key, concat(lo, " to ", hi), v);
        return v;
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
    for (std::size_t n = 0; n < net.nodes().size(); ++n) {
        const Network::Node& node = net.nodes()[n];
        w.add_int32s(detail::layer_key(n, "inputs"), node.inputs);
        LayerWriter layer_writer(w, n, int8_weights);
        write_layer(node.layer, layer_writer);
    }
    const std::vector<int> outputs = net.output_nodes();
    if (outputs.size() != 1 || std::size_t(outputs[0]) + 1 != net.nodes().size())
        w.add_int32s("fer.outputs", outputs);
    for (const auto& [key, value] : net.info) w.add_string("fer.info." + key, value);
    return w.bytes();
}

}  // namespace fer

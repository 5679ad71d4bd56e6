// fer/nn/layers.hpp - the layer kinds a Network runs and a model file names, registered in one
// place: the Layer variant below. A new kind is one header under fer/nn/layers/ keeping the
// contract of fer/nn/layer.hpp, plus its line here and its entry in the converter's table
// (tools/ferconvert/graph.py; a test checks that the two lists agree).
#pragma once

#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "layers/activation.hpp"
#include "layers/add.hpp"
#include "layers/channel_pad.hpp"
#include "layers/conv2d.hpp"
#include "layers/dense.hpp"
#include "layers/depthwise_conv2d.hpp"
#include "layers/global_average_pool.hpp"
#include "layers/pool2d.hpp"
#include "layers/softmax.hpp"

namespace fer {

using Layer = std::variant<Conv2D, DepthwiseConv2D, Pool2D, GlobalAveragePool, Dense, AddLayer,
                           ActivationLayer, SoftmaxLayer, ChannelPad>;

namespace detail {

template <std::size_t... I>
std::vector<std::string> file_types_of(std::index_sequence<I...>) {
    std::vector<std::string> names;
    (..., names.insert(names.end(), std::variant_alternative_t<I, Layer>::file_types.begin(),
                       std::variant_alternative_t<I, Layer>::file_types.end()));
    return names;
}

template <std::size_t I = 0>
bool read_kind(const LayerReader& reader, const std::string& type, Layer& out) {
    if constexpr (I == std::variant_size_v<Layer>) {
        return false;
    } else {
        using Kind = std::variant_alternative_t<I, Layer>;
        for (const char* name : Kind::file_types)
            if (type == name) {
                out = Kind::read(reader);
                return true;
            }
        return read_kind<I + 1>(reader, type, out);
    }
}

}  // namespace detail

// Every fer.layer.N.type value a model file may hold, in registration order.
inline std::vector<std::string> layer_file_types() {
    return detail::file_types_of(std::make_index_sequence<std::variant_size_v<Layer>>{});
}

// The layer of the reader's fer.layer.N.type. Throws: fer::error naming an unknown type (with
// the known ones), or whatever the kind's read() throws.
inline Layer read_layer(const LayerReader& reader) {
    const std::string& type = reader.type();
    Layer layer;
    if (detail::read_kind(reader, type, layer)) return layer;
    std::string known;
    for (const std::string& name : layer_file_types()) known += (known.empty() ? "" : ", ") + name;
    reader.fail("type", "one of " + known, "'" + type + "'");
}

// Writes the layer's type and its keys and tensors.
inline void write_layer(const Layer& layer, LayerWriter& writer) {
    std::visit(
        [&](const auto& l) {
            writer.text("type", l.file_type());
            l.write(writer);
        },
        layer);
}

}  // namespace fer

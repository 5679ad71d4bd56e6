// fer/nn/layers/channel_pad.hpp - zero channels appended to every pixel.
//
// What TensorFlow's Pad does when it pads only the channel axis at its end: BlazeFace's residual
// blocks widen their shortcut this way (max pooling, then zeros up to the wider branch) before
// the add.
#pragma once

#include <algorithm>
#include <array>

#include "../../model/layer_io.hpp"
#include "../layer.hpp"

namespace fer {

// H x W x C to H x W x (C + added): each pixel's C values, then `added` zeros.
struct ChannelPad {
    static constexpr std::array<const char*, 1> file_types{"channel_pad"};
    static constexpr int input_count = 1;
    const char* file_type() const { return file_types[0]; }

    int added = 1;

    void validate() const {
        if (added < 1 || added > limits::max_layer_channels)
            detail::fail("channel_pad added channels",
                         detail::concat("1 to ", limits::max_layer_channels), added);
    }

    Shape output_shape(const Shape& input) const {
        if (input.channels + added > limits::max_layer_channels)
            detail::fail("channel_pad output channels",
                         detail::concat("at most ", limits::max_layer_channels),
                         input.channels + added);
        return Shape{input.height, input.width, input.channels + added};
    }

    // Requires: out.shape == output_shape(in.shape).
    void forward(const TensorView& in, const MutableTensorView& out, LayerContext&) const {
        const int channels = in.shape.channels, wide = out.shape.channels;
        const std::int64_t pixels = std::int64_t{in.shape.height} * in.shape.width;
        for (std::int64_t p = 0; p < pixels; ++p) {
            float* o = out.data + p * wide;
            std::copy_n(in.data + p * channels, channels, o);
            std::fill(o + channels, o + wide, 0.0f);
        }
    }

    // Key: added (the number of zero channels).
    static ChannelPad read(const LayerReader& r) {
        ChannelPad l;
        l.added = r.channels("added");
        return l;
    }

    void write(LayerWriter& w) const { w.uint32("added", std::uint32_t(added)); }
};

}  // namespace fer

// fer/nn/layers/global_average_pool.hpp - the mean of each channel over all pixels.
#pragma once

#include <algorithm>
#include <array>

#include "../../model/layer_io.hpp"
#include "../layer.hpp"

namespace fer {

// The mean of each channel over all pixels: H x W x C to 1 x 1 x C.
struct GlobalAveragePool {
    static constexpr std::array<const char*, 1> file_types{"global_average_pool"};
    static constexpr int input_count = 1;
    const char* file_type() const { return file_types[0]; }

    void validate() const {}
    Shape output_shape(const Shape& input) const { return Shape{1, 1, input.channels}; }

    void forward(const TensorView& in, const MutableTensorView& out, LayerContext&) const {
        const int channels = in.shape.channels;
        std::fill(out.data, out.data + channels, 0.0f);
        const std::int64_t pixels = std::int64_t{in.shape.height} * in.shape.width;
        for (std::int64_t p = 0; p < pixels; ++p)
            for (int c = 0; c < channels; ++c) out.data[c] += in.data[p * channels + c];
        const float inverse = 1.0f / float(pixels);
        for (int c = 0; c < channels; ++c) out.data[c] *= inverse;
    }

    static GlobalAveragePool read(const LayerReader&) { return {}; }
    void write(LayerWriter&) const {}
};

}  // namespace fer

// fer/nn/layers/softmax.hpp - probabilities from scores.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>

#include "../../model/layer_io.hpp"
#include "../layer.hpp"

namespace fer {

// Probabilities from scores, in place: exp(v - max) / sum, stable for large scores.
inline void softmax(const MutableTensorView& v) {
    const std::int64_t n = v.size();
    const float top = *std::max_element(v.data, v.data + n);
    float total = 0.0f;
    for (std::int64_t i = 0; i < n; ++i) total += v.data[i] = std::exp(v.data[i] - top);
    for (std::int64_t i = 0; i < n; ++i) v.data[i] /= total;
}

struct SoftmaxLayer {
    static constexpr std::array<const char*, 1> file_types{"softmax"};
    static constexpr int input_count = 1;
    const char* file_type() const { return file_types[0]; }

    void validate() const {}
    Shape output_shape(const Shape& input) const { return input; }

    void forward(const TensorView& in, const MutableTensorView& out, LayerContext&) const {
        std::copy(in.data, in.data + in.size(), out.data);
        softmax(out);
    }

    static SoftmaxLayer read(const LayerReader&) { return {}; }
    void write(LayerWriter&) const {}
};

}  // namespace fer

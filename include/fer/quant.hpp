// fer/quant.hpp - int8 quantization semantics, in one place.
//
// Weights are quantized symmetrically with one scale per output channel:
//     scale[c] = max |w| over channel c / 127       (1 for an all-zero channel)
//     q        = clamp(round(w / scale[c]), -127, 127)   (ties away from zero; -128 unused)
//     w'       = q * scale[c]
// so |w - w'| <= scale[c] / 2 for every weight. In the layouts fer uses (conv HWIO, depthwise
// HWC, dense [in][out]) the output channel varies fastest, so the channel of element i is
// i % channels.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "error.hpp"

namespace fer {

// The largest quantization error of a weight, in units of its channel's scale.
inline constexpr double max_weight_error_in_scales = 0.5;

struct QuantizedWeights {
    int channels = 0;
    std::vector<std::int8_t> values;
    std::vector<float> scales;  // [channels]
};

// Throws: fer::error if channels < 1, the count is not a multiple of it, or a weight is not finite.
inline QuantizedWeights quantize_per_channel(const std::vector<float>& weights, int channels) {
    if (channels < 1 || weights.empty() || weights.size() % std::size_t(channels) != 0)
        detail::fail("quantization channels",
                     detail::concat("a divisor of the weight count ", weights.size()), channels);
    QuantizedWeights q;
    q.channels = channels;
    q.scales.assign(std::size_t(channels), 0.0f);
    for (std::size_t i = 0; i < weights.size(); ++i) {
        if (!std::isfinite(weights[i]))
            detail::fail("weight to quantize", "a finite number", weights[i]);
        float& s = q.scales[i % std::size_t(channels)];
        s = std::max(s, std::abs(weights[i]));
    }
    for (float& s : q.scales) s = s > 0.0f ? s / 127.0f : 1.0f;
    q.values.resize(weights.size());
    for (std::size_t i = 0; i < weights.size(); ++i) {
        const float v = std::round(weights[i] / q.scales[i % std::size_t(channels)]);
        q.values[i] = std::int8_t(std::clamp(v, -127.0f, 127.0f));
    }
    return q;
}

// w' = q * scale, the weights an int8 model computes with when run in float.
inline std::vector<float> dequantize(const QuantizedWeights& q) {
    std::vector<float> w(q.values.size());
    for (std::size_t i = 0; i < w.size(); ++i)
        w[i] = float(q.values[i]) * q.scales[i % std::size_t(q.channels)];
    return w;
}

}  // namespace fer

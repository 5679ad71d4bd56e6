// fer/nn/quant.hpp - int8 quantization semantics, in one place.
//
// Weights are quantized symmetrically with one scale per output channel:
//     scale[c] = max |w| over channel c / 127       (1 for an all-zero channel)
//     q        = clamp(round(w / scale[c]), -127, 127)   (ties away from zero; -128 unused)
//     w'       = q * scale[c]
// so |w - w'| <= scale[c] / 2 for every weight. In the layouts fer uses (conv HWIO, depthwise
// HWC, dense [in][out]) the output channel varies fastest, so the channel of element i is
// i % channels.
//
// Activations (the input of a convolution computed in int8) are quantized symmetrically with one
// scale per row of the convolution's patch matrix, taken when the row is read: for a 1x1
// convolution a row is one pixel's channels, otherwise the k x k window of channels that one
// output pixel sees:
//     scale = max |x| over the row / 127           (1 for an all-zero row)
//     q     = clamp(nearbyint(x * (1 / scale)), -127, 127)   (ties to even, as the vector
//                                                            conversion instructions round)
// A scale per row rather than one per tensor: faces light up different channels at different
// places, and one scale sized for the loudest pixel of any face leaves the quiet pixels a few
// steps (the agreement with fp32 of both choices: weights/README.md). Nothing is clipped,
// so no calibration is needed, and the scale factors out of each row's sum.
// An int8 convolution then sums q_x * q_w exactly in int32 and turns the sum back into a float
// in one rounding: y = fma(float(sum), scale_row * scale_w[c], bias[c]), then the activation.
// -128 is never produced, which keeps |q| * |q| pair sums inside int16 for the AVX2 kernels.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "../error.hpp"

namespace fer {

// Layers with fewer multiply-adds per output than this keep fp32 weights and arithmetic in int8
// models: 9-tap depthwise filters, a first convolution over the image, and 1x1 convolutions
// over 32 channels (face-api's first blocks). Rounding 9 weights per channel to 8 bits moves
// answers for little file size saved, and over so short a row the row quantization and the
// epilogue weigh as much as the products, so int8 gains nothing there (weights/README.md).
inline constexpr int min_int8_depth = 64;

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

// The scale of a row whose largest magnitude is `max_abs` (1 for an all-zero row, or one with a
// value that is not finite: such a row quantizes to +-127 and 0, never to undefined values).
inline float activation_scale(float max_abs) {
    return max_abs > 0.0f && std::isfinite(max_abs) ? max_abs / 127.0f : 1.0f;
}

// Clamped before rounding, with the comparisons of the vector max/min instructions, so that the
// scalar and AVX2 kernels agree on every input (NaN becomes -127).
inline std::int8_t quantize_activation(float x, float inverse_scale) {
    float v = x * inverse_scale;
    v = v > -127.0f ? v : -127.0f;
    v = v < 127.0f ? v : 127.0f;
    return std::int8_t(std::nearbyint(v));
}

// The largest |x| of a row, skipping NaN, in the order-free way the vector kernel takes it.
inline float row_max_abs(const float* x, std::size_t n) {
    float m = 0.0f;
    for (std::size_t i = 0; i < n; ++i) {
        const float a = std::abs(x[i]);
        m = a > m ? a : m;
    }
    return m;
}

// Quantizes one row of n activations into q; returns the row's scale.
inline float quantize_row(const float* x, std::size_t n, std::int8_t* q) {
    const float scale = activation_scale(row_max_abs(x, n));
    const float inverse = 1.0f / scale;
    for (std::size_t i = 0; i < n; ++i) q[i] = quantize_activation(x[i], inverse);
    return scale;
}

// A bound on |sum x*w - sum x'*w'| for one output of an int8 dot product of length k (inputs
// are never clipped: |x| <= 127 scale_x by the choice of scale_x): each x' is within scale_x / 2 of
// x and each w' within scale_w / 2 of w, so the error is at most
//     scale_x / 2 * sum |w'| + scale_w / 2 * sum |x| + k * scale_x * scale_w / 4.
inline double int8_dot_error_bound(double sum_abs_x, double sum_abs_w_quantized, int k,
                                   double scale_x, double scale_w) {
    return scale_x / 2 * sum_abs_w_quantized + scale_w / 2 * sum_abs_x + k * scale_x * scale_w / 4;
}

// w' = q * scale, the weights an int8 model computes with when run in float.
inline std::vector<float> dequantize(const QuantizedWeights& q) {
    std::vector<float> w(q.values.size());
    for (std::size_t i = 0; i < w.size(); ++i)
        w[i] = float(q.values[i]) * q.scales[i % std::size_t(q.channels)];
    return w;
}

}  // namespace fer

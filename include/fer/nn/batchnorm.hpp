// fer/nn/batchnorm.hpp - inference batch normalization, and folding it into the
// convolution before it, which is how models are loaded: the folded convolution computes the same
// values with no batchnorm pass at all.
#pragma once

#include <cmath>
#include <vector>

#include "layers/conv2d.hpp"
#include "layers/depthwise_conv2d.hpp"
#include "window.hpp"

namespace fer {

struct BatchNorm {
    std::vector<float> gamma, beta, mean, variance;
    float epsilon = 1e-3f;  // Keras' default

    int channels() const { return int(gamma.size()); }

    void validate() const {
        const std::size_t n = gamma.size();
        if (n == 0 || beta.size() != n || mean.size() != n || variance.size() != n)
            detail::fail("batchnorm parameter counts", "four equal non-zero counts",
                         detail::concat(gamma.size(), ", ", beta.size(), ", ", mean.size(), ", ",
                                        variance.size()));
        for (float v : variance)
            if (!(v >= 0.0f)) detail::fail("batchnorm variance", "non-negative", v);
    }

    // y = (x - mean) / sqrt(variance + epsilon) * gamma + beta, as per-channel scale and shift.
    void scale_and_shift(std::vector<float>& scale, std::vector<float>& shift) const {
        scale.resize(gamma.size());
        shift.resize(gamma.size());
        for (std::size_t c = 0; c < gamma.size(); ++c) {
            scale[c] = gamma[c] / std::sqrt(variance[c] + epsilon);
            shift[c] = beta[c] - mean[c] * scale[c];
        }
    }

    // In place over an H x W x C tensor.
    void forward(const MutableTensorView& t) const {
        std::vector<float> scale, shift;
        scale_and_shift(scale, shift);
        const int c_count = t.shape.channels;
        for (std::int64_t p = 0; p < std::int64_t{t.shape.height} * t.shape.width; ++p)
            for (int c = 0; c < c_count; ++c)
                t.data[p * c_count + c] = t.data[p * c_count + c] * scale[c] + shift[c];
    }
};

namespace detail {

// Scales output channel c's weights (the fastest-varying index) by scale[c] and maps its bias
// to bias * scale[c] + shift[c].
inline void fold_into(std::vector<float>& weights, std::vector<float>& bias, int channels,
                      Activation activation, const BatchNorm& bn) {
    bn.validate();
    if (bn.channels() != channels) fail("batchnorm channels", channels, bn.channels());
    if (activation != Activation::none)
        fail("convolution before batchnorm activation", "none", "one");
    std::vector<float> scale, shift;
    bn.scale_and_shift(scale, shift);
    for (std::size_t i = 0; i < weights.size(); ++i) weights[i] *= scale[i % std::size_t(channels)];
    for (std::size_t c = 0; c < std::size_t(channels); ++c) bias[c] = bias[c] * scale[c] + shift[c];
}

}  // namespace detail

// A convolution followed by bn becomes one convolution computing the same values. Requires no
// activation on the convolution (it must come after bn).
// Throws: fer::error if the channel counts differ or the convolution has an activation.
inline void fold_batchnorm(Conv2D& conv, const BatchNorm& bn) {
    detail::fold_into(conv.weights, conv.bias, conv.out_channels, conv.activation, bn);
}
inline void fold_batchnorm(DepthwiseConv2D& conv, const BatchNorm& bn) {
    detail::fold_into(conv.weights, conv.bias, conv.channels, conv.activation, bn);
}

}  // namespace fer

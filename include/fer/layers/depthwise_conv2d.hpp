// fer/layers/depthwise_conv2d.hpp - depthwise 2-D convolution (one filter per channel, depth
// multiplier 1) with bias and a fused activation. Separable convolutions are this followed by a
// 1x1 Conv2D.
//
// Direct loops: for each output pixel and kernel tap, a multiply-add across the contiguous
// channels, which the compiler vectorizes.
#pragma once

#include <vector>

#include "common.hpp"

namespace fer {

struct DepthwiseConv2D {
    int kernel_h = 3, kernel_w = 3;
    int stride_h = 1, stride_w = 1;
    Padding padding = Padding::same;
    Pads pads;  // with Padding::explicit_pads
    Activation activation = Activation::none;
    int channels = 0;
    std::vector<float> weights;  // [kernel_h][kernel_w][channels]
    std::vector<float> bias;     // [channels]

    // Throws: fer::error naming the inconsistency.
    void validate() const {
        detail::check_window("depthwise conv2d", *this);
        if (channels < 1) detail::fail("depthwise conv2d channels", "at least 1", channels);
        const std::size_t expected = std::size_t(kernel_h) * kernel_w * channels;
        if (weights.size() != expected)
            detail::fail("depthwise conv2d weight count", expected, weights.size());
        if (bias.size() != std::size_t(channels))
            detail::fail("depthwise conv2d bias count", channels, bias.size());
    }

    Shape output_shape(const Shape& input) const {
        detail::check_input_channels("depthwise conv2d", input, channels);
        return detail::window_output("depthwise conv2d", *this, input, channels);
    }

    // Requires: validate() passed, out.shape == output_shape(in.shape).
    void forward(const TensorView& in, const MutableTensorView& out) const {
        const detail::AxisGeometry gy = detail::rows_geometry(*this, in.shape.height);
        const detail::AxisGeometry gx = detail::columns_geometry(*this, in.shape.width);
        const int c_count = channels;
        for (int oy = 0; oy < out.shape.height; ++oy)
            for (int ox = 0; ox < out.shape.width; ++ox) {
                float* acc = &out.at(oy, ox, 0);
                std::copy(bias.begin(), bias.end(), acc);
                for (int ky = 0; ky < kernel_h; ++ky) {
                    const int iy = oy * stride_h - gy.pad_before + ky;
                    if (iy < 0 || iy >= in.shape.height) continue;
                    for (int kx = 0; kx < kernel_w; ++kx) {
                        const int ix = ox * stride_w - gx.pad_before + kx;
                        if (ix < 0 || ix >= in.shape.width) continue;
                        const float* x = &in.at(iy, ix, 0);
                        const float* w =
                            weights.data() + (std::size_t(ky) * kernel_w + kx) * c_count;
                        for (int c = 0; c < c_count; ++c) acc[c] += x[c] * w[c];
                    }
                }
                if (activation != Activation::none)
                    for (int c = 0; c < c_count; ++c) acc[c] = detail::activate(acc[c], activation);
            }
    }
};

}  // namespace fer

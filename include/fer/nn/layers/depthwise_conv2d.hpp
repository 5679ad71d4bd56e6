// fer/nn/layers/depthwise_conv2d.hpp - depthwise 2-D convolution (one filter per channel, depth
// multiplier 1) with bias and a fused activation. Separable convolutions are this followed by a
// 1x1 Conv2D. Kernels: fer/nn/kernels/f32_dwconv.hpp.
#pragma once

#include <array>
#include <vector>

#include "../../model/layer_io.hpp"
#include "../kernels/f32_dwconv.hpp"
#include "../layer.hpp"
#include "../window.hpp"

namespace fer {

struct DepthwiseConv2D {
    static constexpr std::array<const char*, 1> file_types{"depthwise_conv2d"};
    static constexpr int input_count = 1;
    const char* file_type() const { return file_types[0]; }

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
        constexpr int most = limits::max_layer_channels;
        if (channels < 1 || channels > most)
            detail::fail("depthwise conv2d channels", detail::concat("1 to ", most), channels);
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

    void forward(const TensorView& in, const MutableTensorView& out, LayerContext&) const {
#if FER_HAS_AVX2 || FER_HAS_NEON
        if (detail::dwconv_vector_serves(channels))
            return detail::f32_dwconv_vector(*this, in, out);
#endif
        detail::f32_dwconv_scalar(*this, in, out);
    }

    // Keys: kernel, stride, padding (pads), activation; tensors weight and bias.
    static DepthwiseConv2D read(const LayerReader& r) {
        DepthwiseConv2D l;
        r.window(l);
        l.activation = r.activation();
        l.channels = r.input().channels;
        l.weights = r.weights("weight", {l.channels, l.kernel_w, l.kernel_h});
        l.bias = r.weights("bias", {l.channels});
        return l;
    }

    void write(LayerWriter& w) const {
        w.window(*this);
        w.activation(activation);
        w.weights(weights, {channels, kernel_w, kernel_h}, kernel_h * kernel_w);
        w.f32("bias", bias, {channels});
    }
};

}  // namespace fer

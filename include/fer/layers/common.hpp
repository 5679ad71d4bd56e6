// fer/layers/common.hpp - what the layers share: padding rules, activations, argument checks.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>

#include "../error.hpp"
#include "../tensor.hpp"

namespace fer {

// TensorFlow's padding modes. SAME keeps ceil(in / stride) outputs and pads with zeros, the
// extra pixel (when the total padding is odd) going after, at the bottom or right; VALID does
// not pad.
enum class Padding : std::uint8_t { same, valid };

enum class Activation : std::uint8_t { none, relu, relu6 };

namespace detail {

// Output length and the padding before the first input along one axis.
struct AxisGeometry {
    int output = 0;
    int pad_before = 0;
};

inline AxisGeometry axis_geometry(int input, int kernel, int stride, Padding padding) {
    AxisGeometry g;
    if (padding == Padding::same) {
        g.output = (input + stride - 1) / stride;
        const int total = std::max((g.output - 1) * stride + kernel - input, 0);
        g.pad_before = total / 2;
    } else {
        g.output = input >= kernel ? (input - kernel) / stride + 1 : 0;
    }
    return g;
}

inline float activate(float v, Activation a) {
    switch (a) {
        case Activation::none:
            return v;
        case Activation::relu:
            return v > 0.0f ? v : 0.0f;
        case Activation::relu6:
            return std::min(std::max(v, 0.0f), 6.0f);
    }
    return v;
}

inline void check_window(const char* layer, int kernel_h, int kernel_w, int stride_h,
                         int stride_w) {
    if (kernel_h < 1 || kernel_w < 1 || kernel_h > 64 || kernel_w > 64)
        fail(concat(layer, " kernel size"), "1 to 64", concat(kernel_h, "x", kernel_w));
    if (stride_h < 1 || stride_w < 1 || stride_h > 16 || stride_w > 16)
        fail(concat(layer, " stride"), "1 to 16", concat(stride_h, "x", stride_w));
}

inline void check_input_channels(const char* layer, const Shape& input, int channels) {
    if (input.channels != channels)
        fail(concat(layer, " input channels"), channels,
             concat(input.channels, " (input ", describe(input), ")"));
}

inline Shape window_output(const char* layer, const Shape& input, int kernel_h, int kernel_w,
                           int stride_h, int stride_w, Padding padding, int channels) {
    const AxisGeometry gy = axis_geometry(input.height, kernel_h, stride_h, padding);
    const AxisGeometry gx = axis_geometry(input.width, kernel_w, stride_w, padding);
    if (gy.output < 1 || gx.output < 1)
        fail(concat(layer, " input size"),
             concat("at least the ", kernel_h, "x", kernel_w, " kernel"), describe(input));
    return Shape{gy.output, gx.output, channels};
}

}  // namespace detail
}  // namespace fer

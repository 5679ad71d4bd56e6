// fer/nn/window.hpp - what windowed layers (convolutions, pooling) share: padding rules, output
// geometry, parameter checks, and walking a window's taps.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "../error.hpp"
#include "../limits.hpp"
#include "activation.hpp"
#include "tensor.hpp"

namespace fer {

// Padding of windowed layers. SAME (TensorFlow's) keeps ceil(in / stride) outputs and pads with
// zeros, the extra pixel (when the total padding is odd) going after, at the bottom or right;
// VALID does not pad; EXPLICIT pads by the layer's `pads` (ONNX and PyTorch models, whose
// symmetric padding differs from SAME at stride 2). Max pooling ignores padded taps, average
// pooling divides by the taps inside the input.
enum class Padding : std::uint8_t { same, valid, explicit_pads };

// Explicit padding in pixels; each side less than the kernel, so every window overlaps the input.
struct Pads {
    int top = 0, bottom = 0, left = 0, right = 0;
};

// A convolution without its weights: window, padding, activation and channel counts. Conv2D is
// one with weights; the packed and int8 kernels keep this much of the layer they were made from.
struct ConvGeometry {
    int kernel_h = 1, kernel_w = 1;
    int stride_h = 1, stride_w = 1;
    Padding padding = Padding::same;
    Pads pads;  // with Padding::explicit_pads
    Activation activation = Activation::none;
    int in_channels = 0, out_channels = 0;

    // A 1x1 stride-1 convolution: its patch rows are the input pixels themselves, so the float
    // and int8 kernels read the input without gathering patches.
    bool pointwise() const {
        return kernel_h == 1 && kernel_w == 1 && stride_h == 1 && stride_w == 1;
    }
    // Multiply-adds per output value (the length of a patch row).
    int depth() const { return kernel_h * kernel_w * in_channels; }
};

namespace detail {

// Output length and the padding before the first input along one axis.
struct AxisGeometry {
    int output = 0;
    int pad_before = 0;
};

inline AxisGeometry axis_geometry(int input, int kernel, int stride, Padding padding,
                                  int before = 0, int after = 0) {
    AxisGeometry g;
    if (padding == Padding::same) {
        g.output = (input + stride - 1) / stride;
        const int total = std::max((g.output - 1) * stride + kernel - input, 0);
        g.pad_before = total / 2;
    } else {
        const int padded = padding == Padding::explicit_pads ? input + before + after : input;
        g.output = padded >= kernel ? (padded - kernel) / stride + 1 : 0;
        g.pad_before = padding == Padding::explicit_pads ? before : 0;
    }
    return g;
}

// The row and column geometry of a windowed layer (anything with kernel_*, stride_*, padding
// and pads).
template <class Layer>
AxisGeometry rows_geometry(const Layer& l, int height) {
    return axis_geometry(height, l.kernel_h, l.stride_h, l.padding, l.pads.top, l.pads.bottom);
}
template <class Layer>
AxisGeometry columns_geometry(const Layer& l, int width) {
    return axis_geometry(width, l.kernel_w, l.stride_w, l.padding, l.pads.left, l.pads.right);
}

template <class Layer>
void check_window(const char* name, const Layer& l) {
    constexpr int k = limits::max_kernel_side, s = limits::max_stride;
    if (l.kernel_h < 1 || l.kernel_w < 1 || l.kernel_h > k || l.kernel_w > k)
        fail(concat(name, " kernel size"), concat("1 to ", k), concat(l.kernel_h, "x", l.kernel_w));
    if (l.stride_h < 1 || l.stride_w < 1 || l.stride_h > s || l.stride_w > s)
        fail(concat(name, " stride"), concat("1 to ", s), concat(l.stride_h, "x", l.stride_w));
    if (l.padding == Padding::explicit_pads) {
        const Pads& p = l.pads;
        auto fits = [](int pad, int kernel) { return pad >= 0 && pad < kernel; };
        if (!fits(p.top, l.kernel_h) || !fits(p.bottom, l.kernel_h) || !fits(p.left, l.kernel_w) ||
            !fits(p.right, l.kernel_w))
            fail(concat(name, " padding (top, bottom, left, right)"),
                 "0 to the kernel size minus 1",
                 concat(p.top, ", ", p.bottom, ", ", p.left, ", ", p.right));
    }
}

inline void check_input_channels(const char* layer, const Shape& input, int channels) {
    if (input.channels != channels)
        fail(concat(layer, " input channels"), channels,
             concat(input.channels, " (input ", describe(input), ")"));
}

template <class Layer>
Shape window_output(const char* name, const Layer& l, const Shape& input, int channels) {
    const AxisGeometry gy = rows_geometry(l, input.height);
    const AxisGeometry gx = columns_geometry(l, input.width);
    if (gy.output < 1 || gx.output < 1)
        fail(concat(name, " input size"),
             concat("at least the ", l.kernel_h, "x", l.kernel_w, " kernel"), describe(input));
    return Shape{gy.output, gx.output, channels};
}

// Calls tap(t, pixel) for each tap t = ky * kernel_w + kx of output pixel (oy, ox)'s window, in
// weight order, with the input pixel under it (iy * width + ix), or -1 where the tap falls
// outside the input. `gy`, `gx`: the layer's rows_geometry and columns_geometry for the input.
template <class Layer, class Tap>
void for_each_window_tap(const Layer& l, const Shape& in_shape, const AxisGeometry& gy,
                         const AxisGeometry& gx, int oy, int ox, Tap&& tap) {
    for (int ky = 0; ky < l.kernel_h; ++ky) {
        const int iy = oy * l.stride_h - gy.pad_before + ky;
        for (int kx = 0; kx < l.kernel_w; ++kx) {
            const int ix = ox * l.stride_w - gx.pad_before + kx;
            const bool inside = iy >= 0 && iy < in_shape.height && ix >= 0 && ix < in_shape.width;
            tap(ky * l.kernel_w + kx, inside ? std::ptrdiff_t{iy} * in_shape.width + ix : -1);
        }
    }
}

// Row p of the patch matrix (rows `row_stride` elements apart) is the receptive field of output
// pixel p in weight order (ky, kx, input channel); taps outside the input are zeros, and so is
// the tail of a row longer than the field. Shared by the float and int8 convolutions.
template <class Layer, class T>
void im2col(const Layer& l, const T* in, const Shape& in_shape, const Shape& o, T* dst,
            std::size_t row_stride) {
    const AxisGeometry gy = rows_geometry(l, in_shape.height);
    const AxisGeometry gx = columns_geometry(l, in_shape.width);
    const std::size_t run = std::size_t(in_shape.channels);
    const std::size_t field = std::size_t(l.kernel_h) * l.kernel_w * run;
    for (int oy = 0; oy < o.height; ++oy)
        for (int ox = 0; ox < o.width; ++ox, dst += row_stride) {
            for_each_window_tap(l, in_shape, gy, gx, oy, ox, [&](int t, std::ptrdiff_t pixel) {
                T* p = dst + std::size_t(t) * run;
                if (pixel < 0)
                    std::fill(p, p + run, T(0));
                else
                    std::copy_n(in + pixel * std::ptrdiff_t(run), run, p);
            });
            std::fill(dst + field, dst + row_stride, T(0));
        }
}

// The input as a kernel that reads windows in place sees it: `data` is the first window's
// top-left pixel and rows are `width` pixels apart. It is the input itself where the `height` x
// `width` pixels the windows span from there lie inside it, else a zero-padded copy in `scratch`
// (windows crossing the border, or a kernel's pixel groups rounded up past the last column).
struct WindowSource {
    const float* data = nullptr;
    int width = 0;
};

template <class Layer>
WindowSource window_source(const Layer& l, const TensorView& in, int height, int width,
                           std::vector<float>& scratch) {
    const AxisGeometry gy = rows_geometry(l, in.shape.height);
    const AxisGeometry gx = columns_geometry(l, in.shape.width);
    if (gy.pad_before == 0 && gx.pad_before == 0 && height <= in.shape.height &&
        width <= in.shape.width)
        return {in.data, in.shape.width};
    // Each float written once: rows outside the input zero, the others zero around a copy.
    const std::size_t C = std::size_t(in.shape.channels), row = std::size_t(width) * C;
    scratch.resize(std::size_t(height) * row);
    const int x_first = std::min(width, std::max(0, gx.pad_before));
    const int x_end = std::max(x_first, std::min(width, in.shape.width + gx.pad_before));
    for (int y = 0; y < height; ++y) {
        float* dst = scratch.data() + std::size_t(y) * row;
        const int iy = y - gy.pad_before;
        if (iy < 0 || iy >= in.shape.height || x_first == x_end) {
            std::fill(dst, dst + row, 0.0f);
            continue;
        }
        std::fill(dst, dst + std::size_t(x_first) * C, 0.0f);
        std::copy_n(&in.at(iy, x_first - gx.pad_before, 0), std::size_t(x_end - x_first) * C,
                    dst + std::size_t(x_first) * C);
        std::fill(dst + std::size_t(x_end) * C, dst + row, 0.0f);
    }
    return {scratch.data(), width};
}

}  // namespace detail
}  // namespace fer

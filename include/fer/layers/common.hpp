// fer/layers/common.hpp - what the layers share: padding rules, activations, argument checks.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>

#include "../error.hpp"
#include "../tensor.hpp"

// x86-64 kernels with AVX2/FMA (and AVX-512 VNNI for int8) are compiled with per-function
// target attributes and chosen at run time, so a portable build still uses them where the CPU
// has them; elsewhere the plain C++ kernels run.
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define FER_CONV_AVX2 1
#include <immintrin.h>
#endif

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

enum class Activation : std::uint8_t { none, relu, relu6 };

namespace detail {

#if FER_CONV_AVX2
inline bool cpu_has_avx2_fma() {
    static const bool has = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    return has;
}

__attribute__((target("avx2,fma"))) inline __m256 activate_avx2(__m256 v, Activation a) {
    if (a == Activation::relu) return _mm256_max_ps(v, _mm256_setzero_ps());
    if (a == Activation::relu6)
        return _mm256_min_ps(_mm256_max_ps(v, _mm256_setzero_ps()), _mm256_set1_ps(6.0f));
    return v;
}
#endif

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

template <class Layer>
void check_window(const char* name, const Layer& l) {
    if (l.kernel_h < 1 || l.kernel_w < 1 || l.kernel_h > 64 || l.kernel_w > 64)
        fail(concat(name, " kernel size"), "1 to 64", concat(l.kernel_h, "x", l.kernel_w));
    if (l.stride_h < 1 || l.stride_w < 1 || l.stride_h > 16 || l.stride_w > 16)
        fail(concat(name, " stride"), "1 to 16", concat(l.stride_h, "x", l.stride_w));
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

}  // namespace detail
}  // namespace fer

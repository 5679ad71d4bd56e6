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
#if FER_CONV_AVX2
        if (channels % 8 == 0 && detail::cpu_has_avx2_fma()) return forward_avx2(in, out);
#endif
        forward_plain(in, out);
    }

    // The portable kernel (and the reference for the vector one's border pixels).
    void forward_plain(const TensorView& in, const MutableTensorView& out) const {
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

#if FER_CONV_AVX2
    // Channels in blocks of 8, four output pixels at a time with their sums in registers: each
    // tap loads its weights once for four FMAs (the plain loop reloads and stores the sums at
    // every tap). Pixels whose window crosses the border take the per-tap checked path.
    __attribute__((target("avx2,fma"))) void forward_avx2(const TensorView& in,
                                                          const MutableTensorView& out) const {
        const detail::AxisGeometry gy = detail::rows_geometry(*this, in.shape.height);
        const detail::AxisGeometry gx = detail::columns_geometry(*this, in.shape.width);
        const int C = channels, W = in.shape.width;
        // Output columns [x_begin, x_end) have every horizontal tap inside the input.
        const int x_begin = std::min(out.shape.width, (gx.pad_before + stride_w - 1) / stride_w);
        int x_end = x_begin;
        while (x_end < out.shape.width && x_end * stride_w - gx.pad_before + kernel_w <= W) ++x_end;
        for (int oy = 0; oy < out.shape.height; ++oy) {
            const int y0 = oy * stride_h - gy.pad_before;
            const int ky_begin = std::max(0, -y0),
                      ky_end = std::min(kernel_h, in.shape.height - y0);
            for (int ox = 0; ox < x_begin; ++ox)
                pixel_avx2(in, out, oy, ox, ky_begin, ky_end, gy, gx);
            int ox = x_begin;
            for (; ox + 4 <= x_end; ox += 4) {
                const float* base = &in.at(0, ox * stride_w - gx.pad_before, 0);
                const std::ptrdiff_t step = std::ptrdiff_t{stride_w} * C;
                for (int c = 0; c < C; c += 8) {
                    __m256 a0 = _mm256_loadu_ps(bias.data() + c), a1 = a0, a2 = a0, a3 = a0;
                    for (int ky = ky_begin; ky < ky_end; ++ky) {
                        const float* row = base + std::ptrdiff_t{y0 + ky} * W * C + c;
                        const float* w = weights.data() + std::ptrdiff_t{ky} * kernel_w * C + c;
                        for (int kx = 0; kx < kernel_w; ++kx, row += C, w += C) {
                            const __m256 wv = _mm256_loadu_ps(w);
                            a0 = _mm256_fmadd_ps(_mm256_loadu_ps(row), wv, a0);
                            a1 = _mm256_fmadd_ps(_mm256_loadu_ps(row + step), wv, a1);
                            a2 = _mm256_fmadd_ps(_mm256_loadu_ps(row + 2 * step), wv, a2);
                            a3 = _mm256_fmadd_ps(_mm256_loadu_ps(row + 3 * step), wv, a3);
                        }
                    }
                    float* dst = &out.at(oy, ox, c);
                    _mm256_storeu_ps(dst, detail::activate_avx2(a0, activation));
                    _mm256_storeu_ps(dst + C, detail::activate_avx2(a1, activation));
                    _mm256_storeu_ps(dst + 2 * C, detail::activate_avx2(a2, activation));
                    _mm256_storeu_ps(dst + 3 * C, detail::activate_avx2(a3, activation));
                }
            }
            for (; ox < out.shape.width; ++ox)
                pixel_avx2(in, out, oy, ox, ky_begin, ky_end, gy, gx);
        }
    }

    // One output pixel, every tap checked against the input's borders.
    __attribute__((target("avx2,fma"))) void pixel_avx2(const TensorView& in,
                                                        const MutableTensorView& out, int oy,
                                                        int ox, int ky_begin, int ky_end,
                                                        const detail::AxisGeometry& gy,
                                                        const detail::AxisGeometry& gx) const {
        const int C = channels, W = in.shape.width;
        const int y0 = oy * stride_h - gy.pad_before, x0 = ox * stride_w - gx.pad_before;
        const int kx_begin = std::max(0, -x0), kx_end = std::min(kernel_w, W - x0);
        for (int c = 0; c < C; c += 8) {
            __m256 acc = _mm256_loadu_ps(bias.data() + c);
            for (int ky = ky_begin; ky < ky_end; ++ky)
                for (int kx = kx_begin; kx < kx_end; ++kx)
                    acc = _mm256_fmadd_ps(
                        _mm256_loadu_ps(&in.at(y0 + ky, x0 + kx, c)),
                        _mm256_loadu_ps(weights.data() + (ky * kernel_w + kx) * C + c), acc);
            _mm256_storeu_ps(&out.at(oy, ox, c), detail::activate_avx2(acc, activation));
        }
    }
#endif
};

}  // namespace fer

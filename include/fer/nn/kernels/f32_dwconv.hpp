// fer/nn/kernels/f32_dwconv.hpp - depthwise convolution kernels (one filter per channel).
//
// f32_dwconv_scalar: for each output pixel and kernel tap, a multiply-add across the contiguous
// channels (the compiler vectorizes it); the portable kernel and the reference for the vector
// one. f32_dwconv_4x8_avx2: channels in blocks of 8, four output pixels at a time with their sums
// in registers, so each tap loads its weights once for four FMAs (the plain loop reloads and
// stores the sums at every tap); pixels whose window crosses the border take the per-tap checked
// path. Requires channels a multiple of 8.
#pragma once

#include <algorithm>

#include "../window.hpp"

namespace fer::detail {

template <class Depthwise>
void f32_dwconv_scalar(const Depthwise& l, const TensorView& in, const MutableTensorView& out) {
    const AxisGeometry gy = rows_geometry(l, in.shape.height);
    const AxisGeometry gx = columns_geometry(l, in.shape.width);
    const int c_count = l.channels;
    for (int oy = 0; oy < out.shape.height; ++oy)
        for (int ox = 0; ox < out.shape.width; ++ox) {
            float* acc = &out.at(oy, ox, 0);
            std::copy(l.bias.begin(), l.bias.end(), acc);
            for (int ky = 0; ky < l.kernel_h; ++ky) {
                const int iy = oy * l.stride_h - gy.pad_before + ky;
                if (iy < 0 || iy >= in.shape.height) continue;
                for (int kx = 0; kx < l.kernel_w; ++kx) {
                    const int ix = ox * l.stride_w - gx.pad_before + kx;
                    if (ix < 0 || ix >= in.shape.width) continue;
                    const float* x = &in.at(iy, ix, 0);
                    const float* w =
                        l.weights.data() + (std::size_t(ky) * l.kernel_w + kx) * c_count;
                    for (int c = 0; c < c_count; ++c) acc[c] += x[c] * w[c];
                }
            }
            if (l.activation != Activation::none)
                for (int c = 0; c < c_count; ++c) acc[c] = activate(acc[c], l.activation);
        }
}

#if FER_HAS_AVX2
// One output pixel, every tap checked against the input's borders.
template <class Depthwise>
__attribute__((target("avx2,fma"))) void f32_dwconv_pixel_avx2(
    const Depthwise& l, const TensorView& in, const MutableTensorView& out, int oy, int ox,
    int ky_begin, int ky_end, const AxisGeometry& gy, const AxisGeometry& gx) {
    const int C = l.channels, W = in.shape.width;
    const int y0 = oy * l.stride_h - gy.pad_before, x0 = ox * l.stride_w - gx.pad_before;
    const int kx_begin = std::max(0, -x0), kx_end = std::min(l.kernel_w, W - x0);
    for (int c = 0; c < C; c += 8) {
        __m256 acc = _mm256_loadu_ps(l.bias.data() + c);
        for (int ky = ky_begin; ky < ky_end; ++ky)
            for (int kx = kx_begin; kx < kx_end; ++kx)
                acc = _mm256_fmadd_ps(
                    _mm256_loadu_ps(&in.at(y0 + ky, x0 + kx, c)),
                    _mm256_loadu_ps(l.weights.data() + (ky * l.kernel_w + kx) * C + c), acc);
        _mm256_storeu_ps(&out.at(oy, ox, c), activate_avx2(acc, l.activation));
    }
}

// Channels in blocks of 8, four output pixels at a time with their sums in registers: each
// tap loads its l.weights once for four FMAs (the plain loop reloads and stores the sums at
// every tap). Pixels whose window crosses the border take the per-tap checked path.
template <class Depthwise>
__attribute__((target("avx2,fma"))) void f32_dwconv_4x8_avx2(const Depthwise& l,
                                                             const TensorView& in,
                                                             const MutableTensorView& out) {
    const AxisGeometry gy = rows_geometry(l, in.shape.height);
    const AxisGeometry gx = columns_geometry(l, in.shape.width);
    const int C = l.channels, W = in.shape.width;
    // Output columns [x_begin, x_end) have every horizontal tap inside the input.
    const int x_begin = std::min(out.shape.width, (gx.pad_before + l.stride_w - 1) / l.stride_w);
    int x_end = x_begin;
    while (x_end < out.shape.width && x_end * l.stride_w - gx.pad_before + l.kernel_w <= W) ++x_end;
    for (int oy = 0; oy < out.shape.height; ++oy) {
        const int y0 = oy * l.stride_h - gy.pad_before;
        const int ky_begin = std::max(0, -y0), ky_end = std::min(l.kernel_h, in.shape.height - y0);
        for (int ox = 0; ox < x_begin; ++ox)
            f32_dwconv_pixel_avx2(l, in, out, oy, ox, ky_begin, ky_end, gy, gx);
        int ox = x_begin;
        for (; ox + 4 <= x_end; ox += 4) {
            const float* base = &in.at(0, ox * l.stride_w - gx.pad_before, 0);
            const std::ptrdiff_t step = std::ptrdiff_t{l.stride_w} * C;
            for (int c = 0; c < C; c += 8) {
                __m256 a0 = _mm256_loadu_ps(l.bias.data() + c), a1 = a0, a2 = a0, a3 = a0;
                for (int ky = ky_begin; ky < ky_end; ++ky) {
                    const float* row = base + std::ptrdiff_t{y0 + ky} * W * C + c;
                    const float* w = l.weights.data() + std::ptrdiff_t{ky} * l.kernel_w * C + c;
                    for (int kx = 0; kx < l.kernel_w; ++kx, row += C, w += C) {
                        const __m256 wv = _mm256_loadu_ps(w);
                        a0 = _mm256_fmadd_ps(_mm256_loadu_ps(row), wv, a0);
                        a1 = _mm256_fmadd_ps(_mm256_loadu_ps(row + step), wv, a1);
                        a2 = _mm256_fmadd_ps(_mm256_loadu_ps(row + 2 * step), wv, a2);
                        a3 = _mm256_fmadd_ps(_mm256_loadu_ps(row + 3 * step), wv, a3);
                    }
                }
                float* dst = &out.at(oy, ox, c);
                _mm256_storeu_ps(dst, activate_avx2(a0, l.activation));
                _mm256_storeu_ps(dst + C, activate_avx2(a1, l.activation));
                _mm256_storeu_ps(dst + 2 * C, activate_avx2(a2, l.activation));
                _mm256_storeu_ps(dst + 3 * C, activate_avx2(a3, l.activation));
            }
        }
        for (; ox < out.shape.width; ++ox)
            f32_dwconv_pixel_avx2(l, in, out, oy, ox, ky_begin, ky_end, gy, gx);
    }
}
#endif

}  // namespace fer::detail

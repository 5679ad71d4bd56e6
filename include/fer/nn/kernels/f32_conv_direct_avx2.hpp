// fer/nn/kernels/f32_conv_direct_avx2.hpp - direct convolution for a face model's first layers.
//
// Few input channels and 8, 16, 24 or 32 outputs: a GEMM with a tiny inner dimension spends its
// time gathering patches; broadcasting each input value into FMAs on the outputs is several times
// faster. The plain twin is Conv2D's Eigen path, which computes the same sums. Where the CPU has
// AVX-512, layers of 16 to 32 outputs run f32_conv_direct_avx512: the same walk with 16 outputs
// a register, the same products in the same order (so the same bits) at up to twice the speed.
#pragma once

#include <algorithm>

#include "../window.hpp"

namespace fer::detail {

#if FER_HAS_AVX2
// Where tap (iy, kx) of each output pixel ox0 + p of a group lies in the input: null where it
// falls outside, or where the pixel is past the group's `pixels`.
template <int Pixels, class Conv>
inline void tap_pixels(const Conv& l, const TensorView& in, const AxisGeometry& gx, int ox0,
                       int pixels, int iy, int kx, const float* (&x)[Pixels]) {
    for (int p = 0; p < Pixels; ++p) {
        const int ix = (ox0 + p) * l.stride_w - gx.pad_before + kx;
        x[p] = p < pixels && ix >= 0 && ix < in.shape.width ? &in.at(iy, ix, 0) : nullptr;
    }
}

// Output pixels `Pixels` at a time along x (independent FMA chains hide the FMA latency),
// each with Vectors x 8 outputs in registers (Pixels x Vectors <= 9 accumulators). Where every
// pixel's window lies inside the input's columns, a kernel row's taps and channels are one
// contiguous run in the input and in the weights ([ky][kx][ci][co]), walked in one loop (for
// BlazeFace's 5x5 over RGB, 15 steps instead of 5 taps of 3); elsewhere taps outside the input
// are skipped per pixel. Both walks add the products in the same order. Loops over the
// accumulators have constant trip counts, so that they stay in registers.
template <int Vectors, int Pixels, class Conv>
__attribute__((target("avx2,fma"))) void f32_conv_direct_avx2(const Conv& l, const TensorView& in,
                                                              const MutableTensorView& out) {
    const AxisGeometry gy = rows_geometry(l, in.shape.height);
    const AxisGeometry gx = columns_geometry(l, in.shape.width);
    const int cin = l.in_channels, cout = Vectors * 8;
    for (int oy = 0; oy < out.shape.height; ++oy)
        for (int ox0 = 0; ox0 < out.shape.width; ox0 += Pixels) {
            const int pixels = std::min(Pixels, out.shape.width - ox0);
            __m256 acc[Pixels][Vectors];
            for (int p = 0; p < Pixels; ++p)
                for (int v = 0; v < Vectors; ++v)
                    acc[p][v] = _mm256_loadu_ps(l.bias.data() + 8 * v);
            const int first_x = ox0 * l.stride_w - gx.pad_before;
            const bool columns_inside =
                pixels == Pixels && first_x >= 0 &&
                first_x + (Pixels - 1) * l.stride_w + l.kernel_w <= in.shape.width;
            const int run = l.kernel_w * cin;
            for (int ky = 0; ky < l.kernel_h; ++ky) {
                const int iy = oy * l.stride_h - gy.pad_before + ky;
                if (iy < 0 || iy >= in.shape.height) continue;
                if (columns_inside) {
                    const float* w = l.weights.data() + std::size_t(ky) * run * cout;
                    const float* x = &in.at(iy, first_x, 0);
                    const std::ptrdiff_t step = std::ptrdiff_t{l.stride_w} * cin;
                    // A local copy, so that the sums stay in registers in this loop (GCC keeps
                    // `acc` in memory, since the border walk below indexes it per pixel).
                    __m256 sums[Pixels][Vectors];
                    for (int p = 0; p < Pixels; ++p)
                        for (int v = 0; v < Vectors; ++v) sums[p][v] = acc[p][v];
                    for (int j = 0; j < run; ++j, w += cout) {
                        __m256 wv[Vectors];
                        for (int v = 0; v < Vectors; ++v) wv[v] = _mm256_loadu_ps(w + 8 * v);
                        for (int p = 0; p < Pixels; ++p) {
                            const __m256 xv = _mm256_broadcast_ss(x + p * step + j);
                            for (int v = 0; v < Vectors; ++v)
                                sums[p][v] = _mm256_fmadd_ps(xv, wv[v], sums[p][v]);
                        }
                    }
                    for (int p = 0; p < Pixels; ++p)
                        for (int v = 0; v < Vectors; ++v) acc[p][v] = sums[p][v];
                    continue;
                }
                for (int kx = 0; kx < l.kernel_w; ++kx) {
                    const float* w = l.weights.data() +
                                     (std::size_t(ky) * l.kernel_w + kx) * std::size_t(cin) * cout;
                    const float* x[Pixels];
                    tap_pixels(l, in, gx, ox0, pixels, iy, kx, x);
                    for (int ci = 0; ci < cin; ++ci) {
                        __m256 wv[Vectors];
                        for (int v = 0; v < Vectors; ++v)
                            wv[v] = _mm256_loadu_ps(w + ci * cout + 8 * v);
                        for (int p = 0; p < Pixels; ++p) {
                            if (!x[p]) continue;
                            const __m256 xv = _mm256_broadcast_ss(x[p] + ci);
                            for (int v = 0; v < Vectors; ++v)
                                acc[p][v] = _mm256_fmadd_ps(xv, wv[v], acc[p][v]);
                        }
                    }
                }
            }
            for (int p = 0; p < Pixels; ++p) {
                if (p >= pixels) break;
                float* o = &out.at(oy, ox0 + p, 0);
                for (int v = 0; v < Vectors; ++v) {
                    __m256 r = acc[p][v];
                    if (l.activation != Activation::none) r = _mm256_max_ps(r, _mm256_setzero_ps());
                    if (l.activation == Activation::relu6)
                        r = _mm256_min_ps(r, _mm256_set1_ps(6.0f));
                    _mm256_storeu_ps(o + 8 * v, r);
                }
            }
        }
}

// f32_conv_direct_avx2 with sixteen outputs a register: 16 * (Vectors - 1) < out_channels <=
// 16 * Vectors, the last register masked (24 outputs: 16 + 8). Written out again rather than
// shared: a kernel's target attribute cannot depend on its template arguments.
template <int Vectors, int Pixels, class Conv>
__attribute__((target("avx512f,avx2,fma"))) void f32_conv_direct_avx512(
    const Conv& l, const TensorView& in, const MutableTensorView& out) {
    const AxisGeometry gy = rows_geometry(l, in.shape.height);
    const AxisGeometry gx = columns_geometry(l, in.shape.width);
    const int cin = l.in_channels, cout = l.out_channels;
    __mmask16 lanes[Vectors];
    for (int v = 0; v < Vectors; ++v)
        lanes[v] = __mmask16((1u << std::min(16, cout - 16 * v)) - 1u);
    for (int oy = 0; oy < out.shape.height; ++oy)
        for (int ox0 = 0; ox0 < out.shape.width; ox0 += Pixels) {
            const int pixels = std::min(Pixels, out.shape.width - ox0);
            __m512 acc[Pixels][Vectors];
            for (int p = 0; p < Pixels; ++p)
                for (int v = 0; v < Vectors; ++v)
                    acc[p][v] = _mm512_maskz_loadu_ps(lanes[v], l.bias.data() + 16 * v);
            const int first_x = ox0 * l.stride_w - gx.pad_before;
            const bool columns_inside =
                pixels == Pixels && first_x >= 0 &&
                first_x + (Pixels - 1) * l.stride_w + l.kernel_w <= in.shape.width;
            const int run = l.kernel_w * cin;
            for (int ky = 0; ky < l.kernel_h; ++ky) {
                const int iy = oy * l.stride_h - gy.pad_before + ky;
                if (iy < 0 || iy >= in.shape.height) continue;
                if (columns_inside) {
                    const float* w = l.weights.data() + std::size_t(ky) * run * cout;
                    const float* x = &in.at(iy, first_x, 0);
                    const std::ptrdiff_t step = std::ptrdiff_t{l.stride_w} * cin;
                    __m512 sums[Pixels][Vectors];  // in registers (see the AVX2 kernel)
                    for (int p = 0; p < Pixels; ++p)
                        for (int v = 0; v < Vectors; ++v) sums[p][v] = acc[p][v];
                    for (int j = 0; j < run; ++j, w += cout) {
                        __m512 wv[Vectors];
                        for (int v = 0; v < Vectors; ++v)
                            wv[v] = _mm512_maskz_loadu_ps(lanes[v], w + 16 * v);
                        for (int p = 0; p < Pixels; ++p) {
                            const __m512 xv = _mm512_set1_ps(x[p * step + j]);
                            for (int v = 0; v < Vectors; ++v)
                                sums[p][v] = _mm512_fmadd_ps(xv, wv[v], sums[p][v]);
                        }
                    }
                    for (int p = 0; p < Pixels; ++p)
                        for (int v = 0; v < Vectors; ++v) acc[p][v] = sums[p][v];
                    continue;
                }
                for (int kx = 0; kx < l.kernel_w; ++kx) {
                    const float* w = l.weights.data() +
                                     (std::size_t(ky) * l.kernel_w + kx) * std::size_t(cin) * cout;
                    const float* x[Pixels];
                    tap_pixels(l, in, gx, ox0, pixels, iy, kx, x);
                    for (int ci = 0; ci < cin; ++ci) {
                        __m512 wv[Vectors];
                        for (int v = 0; v < Vectors; ++v)
                            wv[v] = _mm512_maskz_loadu_ps(lanes[v], w + ci * cout + 16 * v);
                        for (int p = 0; p < Pixels; ++p) {
                            if (!x[p]) continue;
                            const __m512 xv = _mm512_set1_ps(x[p][ci]);
                            for (int v = 0; v < Vectors; ++v)
                                acc[p][v] = _mm512_fmadd_ps(xv, wv[v], acc[p][v]);
                        }
                    }
                }
            }
            for (int p = 0; p < Pixels; ++p) {
                if (p >= pixels) break;
                float* o = &out.at(oy, ox0 + p, 0);
                for (int v = 0; v < Vectors; ++v)
                    _mm512_mask_storeu_ps(o + 16 * v, lanes[v],
                                          activate_avx512(acc[p][v], l.activation));
            }
        }
}

// Whether f32_conv_direct may run a layer of `outputs` outputs with AVX-512 here.
inline bool conv_direct_avx512_serves(int outputs) {
    return outputs >= 16 && cpu_has_avx512();
}

// The direct convolution of a layer of 8, 16, 24 or 32 outputs; `avx512` (requires
// conv_direct_avx512_serves(l.out_channels)) runs the AVX-512 kernel, otherwise the AVX2 one.
template <class Conv>
void f32_conv_direct(const Conv& l, const TensorView& in, const MutableTensorView& out,
                     bool avx512) {
    const int n = l.out_channels;
    if (avx512) {
        FER_ASSERT(conv_direct_avx512_serves(n));
        if (n == 16) return f32_conv_direct_avx512<1, 8>(l, in, out);
        return f32_conv_direct_avx512<2, 8>(l, in, out);
    }
    if (n == 8) return f32_conv_direct_avx2<1, 4>(l, in, out);
    if (n == 16) return f32_conv_direct_avx2<2, 4>(l, in, out);
    if (n == 24) return f32_conv_direct_avx2<3, 3>(l, in, out);
    f32_conv_direct_avx2<4, 2>(l, in, out);
}

// The same with AVX-512 wherever it serves.
template <class Conv>
void f32_conv_direct(const Conv& l, const TensorView& in, const MutableTensorView& out) {
    f32_conv_direct(l, in, out, conv_direct_avx512_serves(l.out_channels));
}
#endif

}  // namespace fer::detail

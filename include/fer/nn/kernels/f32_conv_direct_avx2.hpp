// fer/nn/kernels/f32_conv_direct_avx2.hpp - direct convolution for a face model's first layers.
//
// Few input channels and 8, 16, 24 or 32 outputs: a GEMM with a tiny inner dimension spends its
// time gathering patches; broadcasting each input value into FMAs on the outputs is several times
// faster. The plain twin is Conv2D's Eigen path, which computes the same sums. Where the CPU has
// AVX-512, layers of 16 to 32 outputs run f32_conv_direct_avx512: the same walk with 16 outputs
// a register, the same products in the same order (so the same bits) at up to twice the speed.
//
// Both read the windows in place (window_source): from the input, or from a zero-padded copy
// where windows cross the border or the last pixel group of a row runs past it. Then every
// pixel group's kernel row is one contiguous run of taps and channels in the input and in the
// weights ([ky][kx][ci][co]), walked in one loop with no per-tap checks (for BlazeFace's 5x5 over
// RGB, 15 steps instead of 5 taps of 3); a pixel outside the input adds zero products.
#pragma once

#include <algorithm>
#include <type_traits>

#include "../window.hpp"

namespace fer::detail {

#if FER_HAS_AVX2
// Output pixels `Pixels` at a time along x (independent FMA chains hide the FMA latency), each
// with the Vectors x 8 outputs from `first` in registers (a layer's outputs may take several
// calls). Loops over the accumulators have constant trip counts, so that they stay in registers;
// a row's last group computes all Pixels (the padded copy has their windows) and stores its real
// ones. Run: the kernel row's length if known at compile time (with_direct_run), else 0.
template <int Vectors, int Pixels, int Run, class Conv>
__attribute__((target("avx2,fma"))) void f32_conv_direct_avx2(const Conv& l,
                                                              const WindowSource& source,
                                                              const MutableTensorView& out,
                                                              int first = 0) {
    const int cin = l.in_channels, cout = l.out_channels, run = Run ? Run : l.kernel_w * cin;
    const std::ptrdiff_t step = std::ptrdiff_t{l.stride_w} * cin;
    for (int oy = 0; oy < out.shape.height; ++oy)
        for (int ox0 = 0; ox0 < out.shape.width; ox0 += Pixels) {
            __m256 acc[Pixels][Vectors];
            for (int p = 0; p < Pixels; ++p)
                for (int v = 0; v < Vectors; ++v)
                    acc[p][v] = _mm256_loadu_ps(l.bias.data() + first + 8 * v);
            for (int ky = 0; ky < l.kernel_h; ++ky) {
                const float* w = l.weights.data() + std::size_t(ky) * run * cout + first;
                const float* x = source.data +
                                 (std::ptrdiff_t{oy * l.stride_h + ky} * source.width) * cin +
                                 ox0 * step;
                // A local copy, so that the sums stay in registers in this loop (GCC keeps
                // `acc` in memory, since the stores below index it up to a run-time count; with
                // AVX2's 16 registers, whatever the store loop's form).
                __m256 sums[Pixels][Vectors];
                for (int p = 0; p < Pixels; ++p)
                    for (int v = 0; v < Vectors; ++v) sums[p][v] = acc[p][v];
#pragma GCC unroll 15
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
            }
            const int pixels = std::min(Pixels, out.shape.width - ox0);
            for (int p = 0; p < Pixels; ++p) {
                if (p >= pixels) break;
                float* o = &out.at(oy, ox0 + p, first);
                for (int v = 0; v < Vectors; ++v)
                    _mm256_storeu_ps(o + 8 * v, activate_avx2(acc[p][v], l.activation));
            }
        }
}

// f32_conv_direct_avx2 with sixteen outputs a register: 16 * (Vectors - 1) < out_channels <=
// 16 * Vectors, the last register masked (24 outputs: 16 + 8). Written out again rather than
// shared: a kernel's target attribute cannot depend on its template arguments.
template <int Vectors, int Pixels, int Run, class Conv>
__attribute__((target("avx512f,avx2,fma"))) void f32_conv_direct_avx512(
    const Conv& l, const WindowSource& source, const MutableTensorView& out) {
    const int cin = l.in_channels, cout = l.out_channels, run = Run ? Run : l.kernel_w * cin;
    const std::ptrdiff_t step = std::ptrdiff_t{l.stride_w} * cin;
    __mmask16 lanes[Vectors];
    for (int v = 0; v < Vectors; ++v)
        lanes[v] = __mmask16((1u << std::min(16, cout - 16 * v)) - 1u);
    for (int oy = 0; oy < out.shape.height; ++oy)
        for (int ox0 = 0; ox0 < out.shape.width; ox0 += Pixels) {
            __m512 acc[Pixels][Vectors];
            for (int p = 0; p < Pixels; ++p)
                for (int v = 0; v < Vectors; ++v)
                    acc[p][v] = _mm512_maskz_loadu_ps(lanes[v], l.bias.data() + 16 * v);
            for (int ky = 0; ky < l.kernel_h; ++ky) {
                const float* w = l.weights.data() + std::size_t(ky) * run * cout;
                const float* x = source.data +
                                 (std::ptrdiff_t{oy * l.stride_h + ky} * source.width) * cin +
                                 ox0 * step;
#pragma GCC unroll 15
                for (int j = 0; j < run; ++j, w += cout) {
                    __m512 wv[Vectors];
                    for (int v = 0; v < Vectors; ++v)
                        wv[v] = _mm512_maskz_loadu_ps(lanes[v], w + 16 * v);
                    for (int p = 0; p < Pixels; ++p) {
                        const __m512 xv = _mm512_set1_ps(x[p * step + j]);
                        for (int v = 0; v < Vectors; ++v)
                            acc[p][v] = _mm512_fmadd_ps(xv, wv[v], acc[p][v]);
                    }
                }
            }
            const int pixels = std::min(Pixels, out.shape.width - ox0);
            // A constant trip count with a condition, not a break at the pixel count: GCC then
            // keeps `acc` in AVX-512's 32 registers through the kernel rows, with no copy.
            for (int p = 0; p < Pixels; ++p) {
                if (p >= pixels) continue;
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

// Calls kernel(std::integral_constant<int, Run>) with Run the kernel row's run (kernel_w *
// in_channels) where it is one of the shipped models' first layers (3: 3x3 gray, 9: 3x3 RGB, 15:
// 5x5 RGB), else 0 for a run-time length. A run known at compile time unrolls fully, with no loop
// counter or exit per step: 1.2-1.3x on Human's and face-api's first layers with AVX-512. (The
// mini-Xception's 3x3 over 8 channels, 24 steps, measured 10% slower unrolled.)
template <class Kernel>
void with_direct_run(int run, Kernel&& kernel) {
    switch (run) {
        case 3:
            return kernel(std::integral_constant<int, 3>{});
        case 9:
            return kernel(std::integral_constant<int, 9>{});
        case 15:
            return kernel(std::integral_constant<int, 15>{});
        default:
            return kernel(std::integral_constant<int, 0>{});
    }
}

// The window source for groups of `pixels` output pixels: every group's windows inside it.
template <class Conv>
WindowSource direct_source(const Conv& l, const TensorView& in, const Shape& out, int pixels,
                           std::vector<float>& scratch) {
    const int groups = (out.width + pixels - 1) / pixels;
    const int height = (out.height - 1) * l.stride_h + l.kernel_h;
    const int width = (groups * pixels - 1) * l.stride_w + l.kernel_w;
    return window_source(l, in, height, width, scratch);
}

// The direct convolution of a layer of 8, 16, 24 or 32 outputs; `avx512` (requires
// conv_direct_avx512_serves(l.out_channels)) runs the AVX-512 kernel, otherwise the AVX2 one.
// `scratch` takes the zero-padded copy of the input where one is needed. With AVX2, 12
// accumulators next to the weights and a broadcast in the 16 registers: 16 outputs x 6 pixels or
// 8 x 12, 24 and 32 outputs in two such passes (1.15-1.4x faster than 24 x 4 or 32 x 2 in one
// pass, which load a weight vector for every 2 FMAs). With AVX-512, 12 accumulators for 16
// outputs and 16 for 24-32 (24 measured slower).
template <class Conv>
void f32_conv_direct(const Conv& l, const TensorView& in, const MutableTensorView& out,
                     std::vector<float>& scratch, bool avx512) {
    const int n = l.out_channels;
    auto source = [&](int pixels) { return direct_source(l, in, out.shape, pixels, scratch); };
    with_direct_run(l.kernel_w * l.in_channels, [&](auto run) {
        constexpr int Run = decltype(run)::value;
        if (avx512) {
            FER_ASSERT(conv_direct_avx512_serves(n));
            if (n == 16) return f32_conv_direct_avx512<1, 12, Run>(l, source(12), out);
            return f32_conv_direct_avx512<2, 8, Run>(l, source(8), out);
        }
        if (n == 8) return f32_conv_direct_avx2<1, 12, Run>(l, source(12), out);
        if (n == 16) return f32_conv_direct_avx2<2, 6, Run>(l, source(6), out);
        if (n == 24) {  // one copy serves both passes: groups of 12 span those of 6
            const WindowSource twelve = source(12);
            f32_conv_direct_avx2<2, 6, Run>(l, twelve, out, 0);
            return f32_conv_direct_avx2<1, 12, Run>(l, twelve, out, 16);
        }
        const WindowSource six = source(6);
        f32_conv_direct_avx2<2, 6, Run>(l, six, out, 0);
        f32_conv_direct_avx2<2, 6, Run>(l, six, out, 16);
    });
}

// The same with AVX-512 wherever it serves.
template <class Conv>
void f32_conv_direct(const Conv& l, const TensorView& in, const MutableTensorView& out,
                     std::vector<float>& scratch) {
    f32_conv_direct(l, in, out, scratch, conv_direct_avx512_serves(l.out_channels));
}
#endif

}  // namespace fer::detail

// fer/nn/kernels/f32_dwconv.hpp - depthwise convolution kernels (one filter per channel).
//
// f32_dwconv_scalar: for each output pixel and kernel tap, a multiply-add across the contiguous
// channels (the compiler vectorizes it); the portable kernel and the reference for the vector
// one. f32_dwconv_4_pixels: channels in vector blocks (ChannelLanes: 8 with AVX2, 4 with NEON;
// 16 in AVX-512 registers for the interior pixels where the CPU has it and the channels allow),
// four output pixels at a time with their sums in registers, so each tap loads its weights once for
// four FMAs (the plain loop reloads and stores the sums at every tap); pixels whose window crosses
// the border take the per-tap checked path. Requires channels a multiple of the block.
#pragma once

#include <algorithm>
#include <utility>

#include "../window.hpp"
#include "f32_channel_lanes.hpp"

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

// Output columns [first, second) whose every horizontal tap lies inside the input.
template <class Depthwise>
std::pair<int, int> interior_columns(const Depthwise& l, const AxisGeometry& gx, int in_width,
                                     int out_width) {
    const int begin = std::min(out_width, (gx.pad_before + l.stride_w - 1) / l.stride_w);
    int end = begin;
    while (end < out_width && end * l.stride_w - gx.pad_before + l.kernel_w <= in_width) ++end;
    return {begin, end};
}

#if FER_HAS_AVX2 || FER_HAS_NEON
// Whether f32_dwconv_4_pixels serves `channels` on this CPU.
inline bool dwconv_vector_serves(int channels) {
    return channels % ChannelLanes::width == 0 && cpu_has_vector_kernels();
}

// `Blocks` vector blocks of channels from `c` of one output pixel, over the kernel taps
// [ky_begin, ky_end) x [kx_begin, kx_end) (those inside the input): independent sums, so that
// the FMAs of the blocks overlap instead of waiting on one chain.
template <int Blocks, class Depthwise>
FER_CHANNEL_LANES_TARGET void f32_dwconv_pixel_blocks(const Depthwise& l, const TensorView& in,
                                                      float* out, int y0, int x0, int c,
                                                      int ky_begin, int ky_end, int kx_begin,
                                                      int kx_end) {
    using L = ChannelLanes;
    const int C = l.channels;
    L::Floats acc[Blocks];
    for (int b = 0; b < Blocks; ++b) acc[b] = L::load(l.bias.data() + c + b * L::width);
    for (int ky = ky_begin; ky < ky_end; ++ky)
        for (int kx = kx_begin; kx < kx_end; ++kx) {
            const float* x = &in.at(y0 + ky, x0 + kx, c);
            const float* w = l.weights.data() + (ky * l.kernel_w + kx) * C + c;
            for (int b = 0; b < Blocks; ++b)
                acc[b] =
                    L::multiply_add(L::load(x + b * L::width), L::load(w + b * L::width), acc[b]);
        }
    for (int b = 0; b < Blocks; ++b) L::store(out + c + b * L::width, acc[b], l.activation);
}

// One output pixel, every tap checked against the input's borders.
template <class Depthwise>
FER_CHANNEL_LANES_TARGET void f32_dwconv_pixel(const Depthwise& l, const TensorView& in,
                                               const MutableTensorView& out, int oy, int ox,
                                               int ky_begin, int ky_end, const AxisGeometry& gy,
                                               const AxisGeometry& gx) {
    constexpr int four_blocks = 4 * ChannelLanes::width;
    const int C = l.channels, W = in.shape.width;
    const int y0 = oy * l.stride_h - gy.pad_before, x0 = ox * l.stride_w - gx.pad_before;
    const int kx_begin = std::max(0, -x0), kx_end = std::min(l.kernel_w, W - x0);
    float* o = &out.at(oy, ox, 0);
    int c = 0;
    for (; c + four_blocks <= C; c += four_blocks)
        f32_dwconv_pixel_blocks<4>(l, in, o, y0, x0, c, ky_begin, ky_end, kx_begin, kx_end);
    switch ((C - c) / ChannelLanes::width) {
        case 3:
            f32_dwconv_pixel_blocks<3>(l, in, o, y0, x0, c, ky_begin, ky_end, kx_begin, kx_end);
            break;
        case 2:
            f32_dwconv_pixel_blocks<2>(l, in, o, y0, x0, c, ky_begin, ky_end, kx_begin, kx_end);
            break;
        case 1:
            f32_dwconv_pixel_blocks<1>(l, in, o, y0, x0, c, ky_begin, ky_end, kx_begin, kx_end);
            break;
        default:
            break;
    }
}

// Interior output pixels [ox, x_end) of row oy (every tap inside the input; taps [ky_begin,
// ky_end) of the rows), four at a time with their sums in registers: each tap loads its weights
// once for four multiply-adds (the plain loop reloads and stores the sums at every tap). Channels
// in blocks of ChannelLanes::width. Returns the first pixel not computed (fewer than four remain).
struct DwconvInteriorLanes {
    template <int KernelWidth, class Depthwise>
    FER_CHANNEL_LANES_TARGET static int run(const Depthwise& l, const TensorView& in,
                                            const MutableTensorView& out, int oy, int ox, int x_end,
                                            int y0, int ky_begin, int ky_end, int pad_left) {
        using L = ChannelLanes;
        const int C = l.channels, W = in.shape.width;
        const int kernel_w = KernelWidth > 0 ? KernelWidth : l.kernel_w;
        const std::ptrdiff_t step = std::ptrdiff_t{l.stride_w} * C;
        for (; ox + 4 <= x_end; ox += 4) {
            const float* base = &in.at(0, ox * l.stride_w - pad_left, 0);
            for (int c = 0; c < C; c += L::width) {
                L::Floats a0 = L::load(l.bias.data() + c), a1 = a0, a2 = a0, a3 = a0;
                for (int ky = ky_begin; ky < ky_end; ++ky) {
                    const float* row = base + std::ptrdiff_t{y0 + ky} * W * C + c;
                    const float* w = l.weights.data() + std::ptrdiff_t{ky} * l.kernel_w * C + c;
                    for (int kx = 0; kx < kernel_w; ++kx, row += C, w += C) {
                        const L::Floats wv = L::load(w);
                        a0 = L::multiply_add(L::load(row), wv, a0);
                        a1 = L::multiply_add(L::load(row + step), wv, a1);
                        a2 = L::multiply_add(L::load(row + 2 * step), wv, a2);
                        a3 = L::multiply_add(L::load(row + 3 * step), wv, a3);
                    }
                }
                float* dst = &out.at(oy, ox, c);
                L::store(dst, a0, l.activation);
                L::store(dst + C, a1, l.activation);
                L::store(dst + 2 * C, a2, l.activation);
                L::store(dst + 3 * C, a3, l.activation);
            }
        }
        return ox;
    }
};

#if FER_HAS_AVX2
// DwconvInteriorLanes with sixteen-channel blocks in AVX-512 registers, each lane doing what an
// AVX2 lane does in the same order (so the outputs are the same bits). Written out again rather
// than shared: a kernel's target attribute cannot depend on its template arguments. Requires
// channels a multiple of 16 and cpu_has_avx512().
struct DwconvInteriorAvx512 {
    template <int KernelWidth, class Depthwise>
    __attribute__((target("avx512f,avx2,fma"))) static int run(
        const Depthwise& l, const TensorView& in, const MutableTensorView& out, int oy, int ox,
        int x_end, int y0, int ky_begin, int ky_end, int pad_left) {
        const int C = l.channels, W = in.shape.width;
        const int kernel_w = KernelWidth > 0 ? KernelWidth : l.kernel_w;
        const std::ptrdiff_t step = std::ptrdiff_t{l.stride_w} * C;
        for (; ox + 4 <= x_end; ox += 4) {
            const float* base = &in.at(0, ox * l.stride_w - pad_left, 0);
            for (int c = 0; c < C; c += 16) {
                __m512 a0 = _mm512_loadu_ps(l.bias.data() + c), a1 = a0, a2 = a0, a3 = a0;
                for (int ky = ky_begin; ky < ky_end; ++ky) {
                    const float* row = base + std::ptrdiff_t{y0 + ky} * W * C + c;
                    const float* w = l.weights.data() + std::ptrdiff_t{ky} * l.kernel_w * C + c;
                    for (int kx = 0; kx < kernel_w; ++kx, row += C, w += C) {
                        const __m512 wv = _mm512_loadu_ps(w);
                        a0 = _mm512_fmadd_ps(_mm512_loadu_ps(row), wv, a0);
                        a1 = _mm512_fmadd_ps(_mm512_loadu_ps(row + step), wv, a1);
                        a2 = _mm512_fmadd_ps(_mm512_loadu_ps(row + 2 * step), wv, a2);
                        a3 = _mm512_fmadd_ps(_mm512_loadu_ps(row + 3 * step), wv, a3);
                    }
                }
                float* dst = &out.at(oy, ox, c);
                _mm512_storeu_ps(dst, activate_avx512(a0, l.activation));
                _mm512_storeu_ps(dst + C, activate_avx512(a1, l.activation));
                _mm512_storeu_ps(dst + 2 * C, activate_avx512(a2, l.activation));
                _mm512_storeu_ps(dst + 3 * C, activate_avx512(a3, l.activation));
            }
        }
        return ox;
    }
};

// Whether f32_dwconv_4_pixels may run its interior pixels with AVX-512 here.
inline bool dwconv_avx512_serves(int channels) {
    return channels % 16 == 0 && cpu_has_avx512();
}
#else
inline bool dwconv_avx512_serves(int) {
    return false;
}
#endif

// Every output pixel: the interior ones by `Interior` (DwconvInteriorLanes or its AVX-512
// twin), those whose window crosses the border by the per-tap checked path. Requires
// dwconv_vector_serves(l.channels).
template <int KernelWidth, class Interior, class Depthwise>
FER_CHANNEL_LANES_TARGET void f32_dwconv_4_pixels_kw(const Depthwise& l, const TensorView& in,
                                                     const MutableTensorView& out) {
    const AxisGeometry gy = rows_geometry(l, in.shape.height);
    const AxisGeometry gx = columns_geometry(l, in.shape.width);
    const auto [x_begin, x_end] = interior_columns(l, gx, in.shape.width, out.shape.width);
    for (int oy = 0; oy < out.shape.height; ++oy) {
        const int y0 = oy * l.stride_h - gy.pad_before;
        const int ky_begin = std::max(0, -y0), ky_end = std::min(l.kernel_h, in.shape.height - y0);
        for (int ox = 0; ox < x_begin; ++ox)
            f32_dwconv_pixel(l, in, out, oy, ox, ky_begin, ky_end, gy, gx);
        const int ox = Interior::template run<KernelWidth>(l, in, out, oy, x_begin, x_end, y0,
                                                           ky_begin, ky_end, gx.pad_before);
        for (int x = ox; x < out.shape.width; ++x)
            f32_dwconv_pixel(l, in, out, oy, x, ky_begin, ky_end, gy, gx);
    }
}

// 3-wide kernels (every shipped model's depthwise layers) get the tap loop's trip count known to
// the compiler, which unrolls it: 10-25% faster than the loop over l.kernel_w (fer_bench_layers
// --benchmark_filter=BM_depthwise, fastest of 8). `avx512`: the interior pixels in AVX-512
// registers (requires dwconv_avx512_serves(l.channels)).
template <class Depthwise>
FER_CHANNEL_LANES_TARGET void f32_dwconv_4_pixels(const Depthwise& l, const TensorView& in,
                                                  const MutableTensorView& out, bool avx512) {
#if FER_HAS_AVX2
    if (avx512) {
        FER_ASSERT(dwconv_avx512_serves(l.channels));
        if (l.kernel_w == 3) return f32_dwconv_4_pixels_kw<3, DwconvInteriorAvx512>(l, in, out);
        return f32_dwconv_4_pixels_kw<0, DwconvInteriorAvx512>(l, in, out);
    }
#else
    (void)avx512;
#endif
    if (l.kernel_w == 3) return f32_dwconv_4_pixels_kw<3, DwconvInteriorLanes>(l, in, out);
    f32_dwconv_4_pixels_kw<0, DwconvInteriorLanes>(l, in, out);
}

// The same with AVX-512 wherever it serves.
template <class Depthwise>
FER_CHANNEL_LANES_TARGET void f32_dwconv_4_pixels(const Depthwise& l, const TensorView& in,
                                                  const MutableTensorView& out) {
    f32_dwconv_4_pixels(l, in, out, dwconv_avx512_serves(l.channels));
}
#endif

}  // namespace fer::detail

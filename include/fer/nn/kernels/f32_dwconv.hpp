// fer/nn/kernels/f32_dwconv.hpp - depthwise convolution kernels (one filter per channel).
//
// f32_dwconv_scalar: for each output pixel and kernel tap, a multiply-add across the contiguous
// channels (the compiler vectorizes it); the portable kernel and the reference for the vector
// one. f32_dwconv_vector: channels in vector blocks (ChannelLanes: 8 with AVX2, 4 with NEON; for
// the interior pixels, where the CPU has AVX-512, 16 in its registers, the last block masked,
// with the block's weights held in registers across the row), eight, four, two or one output
// pixels of a row at a time with their sums in registers, each input pixel loaded once for every
// output it reaches; pixels whose window crosses the border take the per-tap checked path. Requires
// channels a multiple of the (AVX2 or NEON) block.
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
// Whether f32_dwconv_vector serves `channels` on this CPU.
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

// A tile of `Pixels` interior output pixels of one row (every tap inside the input; kernel rows
// [ky_begin, ky_end)) for a K-wide kernel with column stride S, with their sums in registers. Each
// input pixel of a kernel row is loaded once and multiplied into every output of the tile it
// reaches, and each weight once per tile row: 13 loads for 24 multiply-adds (3-wide, stride 1)
// where one load per multiply-add would leave the FMA units waiting on the load ports. Each output
// still adds its taps row by row, left to right, as the reference does. Channels in blocks of
// ChannelLanes::width. `in`: the tile's top-left input pixel on row y0 + ky_begin; `row_step`:
// floats per input row.
struct DwconvInteriorLanes {
    template <int K, int S, int Pixels, class Depthwise>
    FER_CHANNEL_LANES_TARGET static void tile(const Depthwise& l, const float* in, float* out,
                                              std::ptrdiff_t row_step, int ky_begin, int ky_end) {
        using L = ChannelLanes;
        constexpr int span = (Pixels - 1) * S + K;
        const int C = l.channels;
        const Activation activation = l.activation;  // read once: the stores might alias it
        for (int c = 0; c < C; c += L::width) {
            L::Floats sum[Pixels];
#pragma GCC unroll 8
            for (int p = 0; p < Pixels; ++p) sum[p] = L::load(l.bias.data() + c);
            for (int ky = ky_begin; ky < ky_end; ++ky) {
                const float* row = in + (ky - ky_begin) * row_step + c;
                L::Floats w[K];
#pragma GCC unroll 8
                for (int kx = 0; kx < K; ++kx)
                    w[kx] = L::load(l.weights.data() + (ky * K + kx) * C + c);
#pragma GCC unroll 32
                for (int j = 0; j < span; ++j) {
                    const L::Floats x = L::load(row + j * C);
#pragma GCC unroll 8
                    for (int kx = 0; kx < K; ++kx)
                        if (j >= kx && (j - kx) % S == 0 && (j - kx) / S < Pixels)
                            sum[(j - kx) / S] = L::multiply_add(x, w[kx], sum[(j - kx) / S]);
                }
            }
#pragma GCC unroll 8
            for (int p = 0; p < Pixels; ++p) L::store(out + p * C + c, sum[p], activation);
        }
    }
    // `count` interior pixels of one output row, tiles of eight, then four, two and one.
    template <int K, int S, class Depthwise>
    FER_CHANNEL_LANES_TARGET static void row(const Depthwise& l, const float* in, float* out,
                                             std::ptrdiff_t row_step, int ky_begin, int ky_end,
                                             int count) {
        const int C = l.channels;
        int p = 0;
        for (; p + 8 <= count; p += 8)
            tile<K, S, 8>(l, in + p * S * C, out + p * C, row_step, ky_begin, ky_end);
        if (p + 4 <= count) {
            tile<K, S, 4>(l, in + p * S * C, out + p * C, row_step, ky_begin, ky_end);
            p += 4;
        }
        if (p + 2 <= count) {
            tile<K, S, 2>(l, in + p * S * C, out + p * C, row_step, ky_begin, ky_end);
            p += 2;
        }
        if (p < count) tile<K, S, 1>(l, in + p * S * C, out + p * C, row_step, ky_begin, ky_end);
    }
};

#if FER_HAS_AVX2
// The interior pixels of a row with sixteen-channel blocks in AVX-512 registers (the last one
// masked where the channels are an odd multiple of 8), each lane doing what an AVX2 lane does in
// the same order (so the outputs are the same bits). One call per output row and channel block:
// the block's weights are loaded once and stay in registers across the row's tiles (9 for a 3x3
// kernel, beside 8 sums: 17 of 32 registers), where a call per tile spent as much on setting up
// and reloading them as on its 72 multiply-adds. Written out again rather than shared with
// DwconvInteriorLanes: a kernel's target attribute cannot depend on its template arguments.
// Requires channels a multiple of 8 and cpu_has_avx512().
struct DwconvInteriorAvx512 {
    // Sixteen floats, or only the lanes in `lanes` (zero elsewhere). Not a lambda: a lambda does
    // not take its enclosing function's target, and would not compile without -mavx512f.
    template <bool Masked>
    __attribute__((target("avx512f"), always_inline)) static inline __m512 load(const float* p,
                                                                                __mmask16 lanes) {
        return Masked ? _mm512_maskz_loadu_ps(lanes, p) : _mm512_loadu_ps(p);
    }

    // `Pixels` outputs from `in` (their first window's top-left input pixel) to `out`, kernel rows
    // [ky_begin, ky_end) of the weights `w` ([ky][kx]).
    template <int K, int S, int Pixels, bool Masked>
    __attribute__((target("avx512f,avx2,fma"), always_inline)) static inline void tile(
        const __m512* w, __m512 bias, const float* in, float* out, std::ptrdiff_t row_step,
        int channels, int ky_begin, int ky_end, __mmask16 lanes, Activation activation) {
        constexpr int span = (Pixels - 1) * S + K;
        __m512 sum[Pixels];
#pragma GCC unroll 8
        for (int p = 0; p < Pixels; ++p) sum[p] = bias;
#pragma GCC unroll 5
        for (int ky = ky_begin; ky < ky_end; ++ky) {
            const float* row = in + (ky - ky_begin) * row_step;
#pragma GCC unroll 32
            for (int j = 0; j < span; ++j) {
                const __m512 x = load<Masked>(row + j * channels, lanes);
#pragma GCC unroll 8
                for (int kx = 0; kx < K; ++kx)
                    if (j >= kx && (j - kx) % S == 0 && (j - kx) / S < Pixels)
                        sum[(j - kx) / S] = _mm512_fmadd_ps(x, w[ky * K + kx], sum[(j - kx) / S]);
            }
        }
#pragma GCC unroll 8
        for (int p = 0; p < Pixels; ++p) {
            const __m512 v = activate_avx512(sum[p], activation);
            if (Masked)
                _mm512_mask_storeu_ps(out + p * channels, lanes, v);
            else
                _mm512_storeu_ps(out + p * channels, v);
        }
    }

    // Channels [c, c + 16) of `count` pixels: tiles of eight, then four, two and one.
    template <int K, int S, bool Masked, class Depthwise>
    __attribute__((target("avx512f,avx2,fma"))) static void block(
        const Depthwise& l, const float* in, float* out, std::ptrdiff_t row_step, int ky_begin,
        int ky_end, int count, int c, __mmask16 lanes, Activation activation) {
        const int C = l.channels;
        __m512 w[K * K];
#pragma GCC unroll 25
        for (int t = 0; t < K * K; ++t) w[t] = load<Masked>(l.weights.data() + t * C + c, lanes);
        const __m512 bias = load<Masked>(l.bias.data() + c, lanes);
        in += c;
        out += c;
        int p = 0;
        for (; p + 8 <= count; p += 8)
            tile<K, S, 8, Masked>(w, bias, in + p * S * C, out + p * C, row_step, C, ky_begin,
                                  ky_end, lanes, activation);
        if (p + 4 <= count) {
            tile<K, S, 4, Masked>(w, bias, in + p * S * C, out + p * C, row_step, C, ky_begin,
                                  ky_end, lanes, activation);
            p += 4;
        }
        if (p + 2 <= count) {
            tile<K, S, 2, Masked>(w, bias, in + p * S * C, out + p * C, row_step, C, ky_begin,
                                  ky_end, lanes, activation);
            p += 2;
        }
        if (p < count)
            tile<K, S, 1, Masked>(w, bias, in + p * S * C, out + p * C, row_step, C, ky_begin,
                                  ky_end, lanes, activation);
    }

    // `count` interior pixels of one output row from `in` (the first one's top-left input pixel
    // on row y0 + ky_begin) to `out`; `row_step`: floats per input row.
    template <int K, int S, class Depthwise>
    __attribute__((target("avx512f,avx2,fma"))) static void row(const Depthwise& l, const float* in,
                                                                float* out, std::ptrdiff_t row_step,
                                                                int ky_begin, int ky_end,
                                                                int count) {
        const int C = l.channels;
        const Activation activation = l.activation;  // read once: the stores might alias it
        int c = 0;
        for (; c + 16 <= C; c += 16)
            block<K, S, false>(l, in, out, row_step, ky_begin, ky_end, count, c, 0xFFFF,
                               activation);
        if (c < C)
            block<K, S, true>(l, in, out, row_step, ky_begin, ky_end, count, c,
                              __mmask16((1u << (C - c)) - 1), activation);
    }
};

// Whether f32_dwconv_vector may run its interior pixels with AVX-512 here: at least 16 channels
// (8 would fill half of each register, no fewer instructions than AVX2's, and where 512-bit
// FMAs take two 256-bit steps, as on Zen 4, twice the time).
inline bool dwconv_avx512_serves(int channels) {
    return channels % 8 == 0 && channels >= 16 && cpu_has_avx512();
}
#else
inline bool dwconv_avx512_serves(int) {
    return false;
}
#endif

// Every output pixel: the interior ones in tiles of eight, then four, two and one, by `Interior`
// (DwconvInteriorLanes or its AVX-512 twin) for a K-wide kernel with column stride S, the rest
// (windows crossing the border, every pixel where K is 0) by the per-tap checked path. Requires
// dwconv_vector_serves(l.channels).
template <int K, int S, class Interior, class Depthwise>
FER_CHANNEL_LANES_TARGET void f32_dwconv_vector_rows(const Depthwise& l, const TensorView& in,
                                                     const MutableTensorView& out) {
    const AxisGeometry gy = rows_geometry(l, in.shape.height);
    const AxisGeometry gx = columns_geometry(l, in.shape.width);
    const auto [x_begin, x_end] = interior_columns(l, gx, in.shape.width, out.shape.width);
    const std::ptrdiff_t row_step = std::ptrdiff_t{in.shape.width} * l.channels;
    for (int oy = 0; oy < out.shape.height; ++oy) {
        const int y0 = oy * l.stride_h - gy.pad_before;
        const int ky_begin = std::max(0, -y0), ky_end = std::min(l.kernel_h, in.shape.height - y0);
        int ox = 0;
        if constexpr (K > 0) {
            for (; ox < x_begin; ++ox)
                f32_dwconv_pixel(l, in, out, oy, ox, ky_begin, ky_end, gy, gx);
            // The first window's top-left input pixel is on row y0 + ky_begin (y0 may lie above
            // the input).
            if (ox < x_end)
                Interior::template row<K, S>(l, &in.at(y0 + ky_begin, ox * S - gx.pad_before, 0),
                                             &out.at(oy, ox, 0), row_step, ky_begin, ky_end,
                                             x_end - ox);
            ox = std::max(ox, x_end);
        }
        for (; ox < out.shape.width; ++ox)
            f32_dwconv_pixel(l, in, out, oy, ox, ky_begin, ky_end, gy, gx);
    }
}

template <class Interior, class Depthwise>
FER_CHANNEL_LANES_TARGET void f32_dwconv_vector_with(const Depthwise& l, const TensorView& in,
                                                     const MutableTensorView& out) {
    const int k = l.kernel_w, s = l.stride_w;
    if (k == 3 && s == 1) return f32_dwconv_vector_rows<3, 1, Interior>(l, in, out);
    if (k == 3 && s == 2) return f32_dwconv_vector_rows<3, 2, Interior>(l, in, out);
    if (k == 5 && s == 1) return f32_dwconv_vector_rows<5, 1, Interior>(l, in, out);
    if (k == 5 && s == 2) return f32_dwconv_vector_rows<5, 2, Interior>(l, in, out);
    f32_dwconv_vector_rows<0, 0, Interior>(l, in, out);
}

// The vector kernel: tiles for 3- and 5-wide kernels with stride 1 or 2 (every shipped model's
// depthwise layers), the per-pixel path elsewhere. `avx512`: the interior pixels in AVX-512
// registers (requires dwconv_avx512_serves(l.channels)).
template <class Depthwise>
FER_CHANNEL_LANES_TARGET void f32_dwconv_vector(const Depthwise& l, const TensorView& in,
                                                const MutableTensorView& out, bool avx512) {
#if FER_HAS_AVX2
    if (avx512) {
        FER_ASSERT(dwconv_avx512_serves(l.channels));
        return f32_dwconv_vector_with<DwconvInteriorAvx512>(l, in, out);
    }
#else
    (void)avx512;
#endif
    f32_dwconv_vector_with<DwconvInteriorLanes>(l, in, out);
}

// The same with AVX-512 wherever it serves.
template <class Depthwise>
FER_CHANNEL_LANES_TARGET void f32_dwconv_vector(const Depthwise& l, const TensorView& in,
                                                const MutableTensorView& out) {
    f32_dwconv_vector(l, in, out, dwconv_avx512_serves(l.channels));
}
#endif

}  // namespace fer::detail

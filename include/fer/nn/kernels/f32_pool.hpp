// fer/nn/kernels/f32_pool.hpp - max and average pooling kernels.
//
// f32_pool_plain: for each output pixel, every tap inside the input folded into the output's
// channels; the portable kernel and the reference for the vector one. f32_max_pool_vector: max
// pooling with the channels in vector blocks (ChannelLanes) held in registers across a window's
// taps, up to four blocks at a time (the rest in one go); the plain loop reloads and stores its
// maxima at every tap, which for the 16-128 channels of a face model's pooling layers costs more
// than the maxima. Both give the same values (std::max per lane). Padded taps are skipped, as if
// minus infinity.
#pragma once

#include <algorithm>
#include <limits>

#include "../window.hpp"
#include "f32_channel_lanes.hpp"

namespace fer::detail {

// The taps of one output pixel's window that lie inside the input: [y0, y1) x [x0, x1).
struct PoolWindow {
    int y0 = 0, y1 = 0, x0 = 0, x1 = 0;
};

template <class Pool>
PoolWindow pool_window(const Pool& l, const AxisGeometry& gy, const AxisGeometry& gx,
                       const Shape& in, int oy, int ox) {
    PoolWindow w;
    w.y0 = std::max(oy * l.stride_h - gy.pad_before, 0);
    w.y1 = std::min(oy * l.stride_h - gy.pad_before + l.kernel_h, in.height);
    w.x0 = std::max(ox * l.stride_w - gx.pad_before, 0);
    w.x1 = std::min(ox * l.stride_w - gx.pad_before + l.kernel_w, in.width);
    return w;
}

// Max pooling if `max`, else average pooling (the mean of the taps inside the input).
template <class Pool>
void f32_pool_plain(const Pool& l, bool max, const TensorView& in, const MutableTensorView& out) {
    const AxisGeometry gy = rows_geometry(l, in.shape.height);
    const AxisGeometry gx = columns_geometry(l, in.shape.width);
    const int channels = in.shape.channels;
    for (int oy = 0; oy < out.shape.height; ++oy)
        for (int ox = 0; ox < out.shape.width; ++ox) {
            const PoolWindow w = pool_window(l, gy, gx, in.shape, oy, ox);
            float* acc = &out.at(oy, ox, 0);
            std::fill(acc, acc + channels, max ? -std::numeric_limits<float>::infinity() : 0.0f);
            for (int iy = w.y0; iy < w.y1; ++iy)
                for (int ix = w.x0; ix < w.x1; ++ix) {
                    const float* x = &in.at(iy, ix, 0);
                    if (max)
                        for (int c = 0; c < channels; ++c) acc[c] = std::max(acc[c], x[c]);
                    else
                        for (int c = 0; c < channels; ++c) acc[c] += x[c];
                }
            if (!max) {
                const float inverse = 1.0f / float((w.y1 - w.y0) * (w.x1 - w.x0));
                for (int c = 0; c < channels; ++c) acc[c] *= inverse;
            }
        }
}

#if FER_HAS_AVX2 || FER_HAS_NEON
// Whether f32_max_pool_vector serves `channels` on this CPU.
inline bool max_pool_vector_serves(int channels) {
    return channels % ChannelLanes::width == 0 && cpu_has_vector_kernels();
}

// The maxima of `Blocks` vector blocks of channels from `c` over one window, into `out`.
template <int Blocks>
FER_CHANNEL_LANES_TARGET void max_pool_blocks(const TensorView& in, const PoolWindow& w, int c,
                                              float* out) {
    using L = ChannelLanes;
    L::Floats acc[Blocks];
    for (int b = 0; b < Blocks; ++b) acc[b] = L::fill(-std::numeric_limits<float>::infinity());
    for (int iy = w.y0; iy < w.y1; ++iy)
        for (int ix = w.x0; ix < w.x1; ++ix) {
            const float* x = &in.at(iy, ix, c);
            for (int b = 0; b < Blocks; ++b) acc[b] = L::maximum(acc[b], L::load(x + b * L::width));
        }
    for (int b = 0; b < Blocks; ++b) L::store(out + b * L::width, acc[b], Activation::none);
}

// Requires max_pool_vector_serves(in.shape.channels).
template <class Pool>
FER_CHANNEL_LANES_TARGET void f32_max_pool_vector(const Pool& l, const TensorView& in,
                                                  const MutableTensorView& out) {
    constexpr int four_blocks = 4 * ChannelLanes::width;
    const AxisGeometry gy = rows_geometry(l, in.shape.height);
    const AxisGeometry gx = columns_geometry(l, in.shape.width);
    const int channels = in.shape.channels;
    for (int oy = 0; oy < out.shape.height; ++oy)
        for (int ox = 0; ox < out.shape.width; ++ox) {
            const PoolWindow w = pool_window(l, gy, gx, in.shape, oy, ox);
            float* o = &out.at(oy, ox, 0);
            int c = 0;
            for (; c + four_blocks <= channels; c += four_blocks)
                max_pool_blocks<4>(in, w, c, o + c);
            switch ((channels - c) / ChannelLanes::width) {
                case 3:
                    max_pool_blocks<3>(in, w, c, o + c);
                    break;
                case 2:
                    max_pool_blocks<2>(in, w, c, o + c);
                    break;
                case 1:
                    max_pool_blocks<1>(in, w, c, o + c);
                    break;
                default:
                    break;
            }
        }
}
#endif

}  // namespace fer::detail

// fer/nn/kernels/f32_channel_lanes.hpp - vector operations on a block of contiguous channels.
//
// The per-channel window kernels (depthwise convolution, max pooling) are written once over
// ChannelLanes: 8 floats in an AVX2 register, 4 in a NEON one. The AVX2 functions carry their own
// target attribute (FER_CHANNEL_LANES_TARGET, which the kernels using them carry too), so a
// portable build still compiles them; they run only where cpu_has_vector_kernels().
#pragma once

#include "../activation.hpp"

namespace fer::detail {

#if FER_HAS_AVX2
#define FER_CHANNEL_LANES_TARGET __attribute__((target("avx2,fma")))
struct ChannelLanes {
    static constexpr int width = 8;
    using Floats = __m256;
    FER_CHANNEL_LANES_TARGET static Floats load(const float* p) { return _mm256_loadu_ps(p); }
    FER_CHANNEL_LANES_TARGET static Floats fill(float v) { return _mm256_set1_ps(v); }
    FER_CHANNEL_LANES_TARGET static Floats multiply_add(Floats x, Floats w, Floats acc) {
        return _mm256_fmadd_ps(x, w, acc);
    }
    // std::max(acc, x) per lane: x where acc < x, else acc (so a NaN x leaves acc).
    FER_CHANNEL_LANES_TARGET static Floats maximum(Floats acc, Floats x) {
        return _mm256_max_ps(x, acc);
    }
    FER_CHANNEL_LANES_TARGET static void store(float* p, Floats v, Activation a) {
        _mm256_storeu_ps(p, activate_avx2(v, a));
    }
};
#elif FER_HAS_NEON
#define FER_CHANNEL_LANES_TARGET
struct ChannelLanes {
    static constexpr int width = 4;
    using Floats = float32x4_t;
    static Floats load(const float* p) { return vld1q_f32(p); }
    static Floats fill(float v) { return vdupq_n_f32(v); }
    static Floats multiply_add(Floats x, Floats w, Floats acc) { return vfmaq_f32(acc, x, w); }
    // std::max(acc, x) per lane: x where acc < x, else acc (so a NaN x leaves acc).
    static Floats maximum(Floats acc, Floats x) { return vbslq_f32(vcltq_f32(acc, x), x, acc); }
    static void store(float* p, Floats v, Activation a) { vst1q_f32(p, activate_neon(v, a)); }
};
#endif

}  // namespace fer::detail

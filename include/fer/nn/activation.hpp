// fer/nn/activation.hpp - the activations layers apply to their outputs.
#pragma once

#include <algorithm>
#include <cstdint>

#include "../cpu.hpp"

namespace fer {

enum class Activation : std::uint8_t { none, relu, relu6 };

namespace detail {

inline const char* activation_name(Activation a) {
    return a == Activation::relu ? "relu" : a == Activation::relu6 ? "relu6" : "none";
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

#if FER_HAS_AVX2
// As activate(), to the bit: max and min return their second operand where either is NaN or both
// are zero, so relu turns NaN and -0 into +0 and relu6 keeps NaN and -0, as the scalar forms do.
__attribute__((target("avx2,fma"))) inline __m256 activate_avx2(__m256 v, Activation a) {
    if (a == Activation::relu) return _mm256_max_ps(v, _mm256_setzero_ps());
    if (a == Activation::relu6)
        return _mm256_min_ps(_mm256_set1_ps(6.0f), _mm256_max_ps(_mm256_setzero_ps(), v));
    return v;
}

// The same on sixteen lanes (max and min treat NaN as the AVX2 forms do). The zero-masked forms
// with every lane kept: GCC 12's plain _mm512_max_ps draws a false "may be used uninitialized"
// warning in every program that includes this.
__attribute__((target("avx512f"))) inline __m512 activate_avx512(__m512 v, Activation a) {
    const __mmask16 all = 0xFFFF;
    const __m512 zero = _mm512_setzero_ps();
    if (a == Activation::relu) return _mm512_maskz_max_ps(all, v, zero);
    if (a == Activation::relu6)
        return _mm512_maskz_min_ps(all, _mm512_set1_ps(6.0f), _mm512_maskz_max_ps(all, zero, v));
    return v;
}
#endif

#if FER_HAS_NEON
// As activate(): relu keeps v where v > 0 (NaN becomes 0), relu6 lets NaN through.
inline float32x4_t activate_neon(float32x4_t v, Activation a) {
    if (a == Activation::relu)
        return vbslq_f32(vcgtq_f32(v, vdupq_n_f32(0.0f)), v, vdupq_n_f32(0.0f));
    if (a == Activation::relu6)
        return vminq_f32(vmaxq_f32(v, vdupq_n_f32(0.0f)), vdupq_n_f32(6.0f));
    return v;
}
#endif

#if FER_HAS_AVX2
__attribute__((target("avx2,fma"))) inline void activate_all_avx2(const float* in, float* out,
                                                                  std::int64_t n, Activation a) {
    std::int64_t i = 0;
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(out + i, activate_avx2(_mm256_loadu_ps(in + i), a));
    for (; i < n; ++i) out[i] = activate(in[i], a);
}
#endif

// out[i] = activate(in[i]) for n values. Explicit vectors where the CPU has AVX2: left to the
// compiler, the ReLU loop vectorized in some programs and in others compiled to a branch per
// element, mispredicted on about half of them (face-api's network 2.6x slower in a plain loop
// over forward(), Zen 5). Elsewhere one loop per activation, each with activate()'s activation a
// constant, so that the switch stays outside the loop.
inline void activate_all(const float* in, float* out, std::int64_t n, Activation a) {
    if (a == Activation::none) {
        std::copy(in, in + n, out);
        return;
    }
#if FER_HAS_AVX2
    if (cpu_has_avx2_fma()) return activate_all_avx2(in, out, n, a);
#endif
    if (a == Activation::relu)
        for (std::int64_t i = 0; i < n; ++i) out[i] = activate(in[i], Activation::relu);
    else
        for (std::int64_t i = 0; i < n; ++i) out[i] = activate(in[i], Activation::relu6);
}

}  // namespace detail
}  // namespace fer

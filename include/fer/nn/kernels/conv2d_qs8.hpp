// fer/nn/kernels/conv2d_qs8.hpp - a convolution computed in int8 (semantics: fer/nn/quant.hpp).
//
// Each row of the patch matrix (the k x k window of input channels one output pixel sees) is
// quantized with its own scale as it is gathered, multiplied with the int8 weights in exact
// int32 sums, and each sum is turned back into a float with one FMA (row scale x channel scale,
// bias) before the activation. The output is float, so pooling, adds and the next layer work as
// in the fp32 network. Three kernels compute identical results: a plain loop over the weights as
// quantized (forward_plain), and qs8_gemm_4x16_avx2 (x86) and qs8_gemm_4x16_sdot (AArch64 with
// the dot-product instructions) over repacked weights (4 output pixels x 16 output channels of
// int32 sums in registers). vpmaddubsw multiplies unsigned by signed bytes: an
// input with no negative value (ReLU outputs) goes in as it is; otherwise the kernel multiplies |x|
// (written beside the quantized rows) by the weight with x's sign (vpsign, two more instructions
// per step), exact because no value is -128.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "../quant.hpp"
#include "../window.hpp"

namespace fer {

class Int8Conv2D {
  public:
    // Per-thread buffers: the quantized patch rows and their scales, the rows' magnitudes (|x|,
    // for the AVX2 kernel on inputs with negative values), each input pixel's largest |x| (AVX2),
    // and float patch rows (the plain kernel).
    struct Scratch {
        std::vector<std::int8_t> rows, magnitudes;
        std::vector<float> row_scales, pixel_max, patches;
    };

    // `weights` are conv's weights quantized per output channel (quantize_per_channel, or read
    // from an int8 model file).
    // Throws: fer::error if the weights do not fit the layer or one is -128.
    template <class Conv>
    Int8Conv2D(const Conv& conv, const QuantizedWeights& weights) : geometry_(conv) {
        conv.validate();
        if (weights.channels != conv.out_channels || weights.values.size() != conv.weights.size() ||
            weights.scales.size() != std::size_t(conv.out_channels))
            detail::fail(
                "int8 convolution weights",
                detail::concat(conv.weights.size(), " values in ", conv.out_channels, " channels"),
                detail::concat(weights.values.size(), " values in ", weights.channels,
                               " channels"));
        for (std::int8_t v : weights.values)
            if (v == -128)  // vpsign would negate it to itself (fer/nn/quant.hpp)
                detail::fail("int8 convolution weight", "-127 to 127", int(v));
        k_ = conv.depth();
        n_ = conv.out_channels;
        k4_ = (k_ + 3) / 4 * 4;
        n16_ = (n_ + 15) / 16 * 16;
        plain_ = weights.values;
        packed_.assign(std::size_t(n16_) * k4_, 0);
        for (int k = 0; k < k_; ++k)
            for (int n = 0; n < n_; ++n)
                packed_[packed_index(k, n)] = plain_[std::size_t(k) * n_ + n];
        weight_scales_ = weights.scales;
        weight_scales16_.assign(std::size_t(n16_), 0.0f);
        bias_.assign(std::size_t(n16_), 0.0f);
        std::copy(weights.scales.begin(), weights.scales.end(), weight_scales16_.begin());
        std::copy(conv.bias.begin(), conv.bias.end(), bias_.begin());
    }

    // The weights as quantized ([k][n]) with their per-channel scales.
    QuantizedWeights quantized() const { return {n_, plain_, weight_scales_}; }

    // Requires: out.shape == the convolution's output shape for in.shape.
    void forward(const TensorView& in, const MutableTensorView& out, Scratch& s) const {
#if FER_HAS_AVX2
        if (detail::cpu_has_avx2_fma()) {
            const bool has_negative =
                quantize_rows(in, out.shape, s, run_max_abs_avx2, quantize_run_avx2);
            if (!has_negative)
                return qs8_gemm_4x16_avx2<false>(s.rows.data(), nullptr, s.row_scales, out);
            return qs8_gemm_4x16_avx2<true>(s.rows.data(), s.magnitudes.data(), s.row_scales, out);
        }
#endif
#if FER_HAS_NEON_DOTPROD
        if (detail::cpu_has_dotprod()) {
            quantize_rows(in, out.shape, s, run_max_abs_neon, quantize_run_neon);
            return qs8_gemm_4x16_sdot(s.rows.data(), s.row_scales, out);
        }
#endif
        forward_plain(in, out, s);
    }

    // The portable kernel: plain loops, the same integers and roundings as the vector one.
    void forward_plain(const TensorView& in, const MutableTensorView& out, Scratch& s) const {
        const std::int64_t pixels = std::int64_t{out.shape.height} * out.shape.width;
        s.patches.resize(std::size_t(pixels) * k_);
        detail::im2col(geometry_, in.data, in.shape, out.shape, s.patches.data(), std::size_t(k_));
        s.rows.resize(std::size_t(pixels) * k_);
        s.row_scales.resize(std::size_t(pixels));
        for (std::int64_t p = 0; p < pixels; ++p)
            s.row_scales[std::size_t(p)] =
                quantize_row(s.patches.data() + std::size_t(p) * k_, std::size_t(k_),
                             s.rows.data() + std::size_t(p) * k_);
        for (std::int64_t p = 0; p < pixels; ++p) {
            const std::int8_t* a = s.rows.data() + std::size_t(p) * k_;
            for (int n = 0; n < n_; ++n) {
                std::int32_t sum = 0;
                for (int k = 0; k < k_; ++k)
                    sum += std::int32_t(a[k]) * plain_[std::size_t(k) * n_ + n];
                const float scale = s.row_scales[std::size_t(p)] * weight_scales_[std::size_t(n)];
                out.data[p * n_ + n] = detail::activate(
                    std::fma(float(sum), scale, bias_[std::size_t(n)]), geometry_.activation);
            }
        }
    }

  private:
    ConvGeometry geometry_;
    int k_ = 0, n_ = 0, k4_ = 0, n16_ = 0;
    std::vector<std::int8_t> plain_;             // [k][n]
    std::vector<std::int8_t> packed_;            // [n16 / 8][k4 / 4][8 outputs][4 taps]
    std::vector<float> weight_scales_;           // [n]
    std::vector<float> weight_scales16_, bias_;  // [n16], zero past n

    std::size_t packed_index(int k, int n) const {
        return ((std::size_t(n / 8) * (k4_ / 4) + std::size_t(k / 4)) * 8 + n % 8) * 4 + k % 4;
    }

    // Gathers and quantizes every patch row straight from the input into s.rows (k4 bytes
    // apart, taps outside the input and the tail zero) with its scale in s.row_scales: the same
    // bytes and scales as the plain kernel's im2col + quantize_row, without a float patch
    // matrix. A row's largest |x| is the largest of its pixels' (taken once per pixel by
    // `run_max_abs`, which also says whether the kernel needs |rows|). Returns that; if so,
    // s.magnitudes holds |rows| (taken here rather than once per output channel block in the
    // kernel, where the vector ALUs are the limit). `quantize_run`: as quantize_run_avx2.
    template <class RunMaxAbs, class QuantizeRun>
    bool quantize_rows(const TensorView& in, const Shape& o, Scratch& s, RunMaxAbs run_max_abs,
                       QuantizeRun quantize_run) const {
        const std::size_t run = std::size_t(in.shape.channels);
        const std::size_t input_pixels = std::size_t(in.shape.height) * in.shape.width;
        s.pixel_max.resize(input_pixels);
        const bool negative = run_max_abs(in.data, input_pixels, run, s.pixel_max.data());
        s.rows.resize(std::size_t(o.height) * o.width * k4_);
        if (negative) s.magnitudes.resize(s.rows.size());
        s.row_scales.resize(std::size_t(o.height) * o.width);
        const detail::AxisGeometry gy = detail::rows_geometry(geometry_, in.shape.height);
        const detail::AxisGeometry gx = detail::columns_geometry(geometry_, in.shape.width);
        std::size_t p = 0;  // the row
        for (int oy = 0; oy < o.height; ++oy)
            for (int ox = 0; ox < o.width; ++ox, ++p) {
                std::int8_t* row = s.rows.data() + p * k4_;
                std::int8_t* magnitudes = negative ? s.magnitudes.data() + p * k4_ : nullptr;
                float largest = 0.0f;
                detail::for_each_window_tap(geometry_, in.shape, gy, gx, oy, ox,
                                            [&](int, std::ptrdiff_t pixel) {
                                                if (pixel < 0) return;
                                                const float m = s.pixel_max[std::size_t(pixel)];
                                                largest = m > largest ? m : largest;
                                            });
                s.row_scales[p] = activation_scale(largest);
                const float inverse = 1.0f / s.row_scales[p];
                detail::for_each_window_tap(
                    geometry_, in.shape, gy, gx, oy, ox, [&](int t, std::ptrdiff_t pixel) {
                        std::int8_t* q = row + std::size_t(t) * run;
                        std::int8_t* m = negative ? magnitudes + std::size_t(t) * run : nullptr;
                        if (pixel < 0) {
                            std::fill(q, q + run, std::int8_t(0));
                            if (m != nullptr) std::fill(m, m + run, std::int8_t(0));
                        } else {
                            quantize_run(in.data + pixel * std::ptrdiff_t(run), run, inverse, q, m);
                        }
                    });
                std::fill(row + k_, row + k4_, std::int8_t(0));
                if (negative) std::fill(magnitudes + k_, magnitudes + k4_, std::int8_t(0));
            }
        return negative;
    }

#if FER_HAS_AVX2
    // The largest |x| of each of the n runs of `length` floats at x (NaN skipped, as
    // row_max_abs does: maxps(a, m) keeps m when a is NaN). Returns whether some x is below
    // zero or NaN (which quantizes to -127): whether the kernel needs its signed path.
    __attribute__((target("avx2,fma"))) static bool run_max_abs_avx2(const float* x, std::size_t n,
                                                                     std::size_t length,
                                                                     float* max_abs) {
        const __m256 magnitude = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fffffff));
        const __m256 zero = _mm256_setzero_ps();
        __m256 negative = _mm256_setzero_ps();
        bool tail_negative = false;
        for (std::size_t r = 0; r < n; ++r, x += length) {
            __m256 m8 = _mm256_setzero_ps();
            std::size_t i = 0;
            for (; i + 8 <= length; i += 8) {
                const __m256 v = _mm256_loadu_ps(x + i);
                m8 = _mm256_max_ps(_mm256_and_ps(v, magnitude), m8);
                negative = _mm256_or_ps(negative, _mm256_cmp_ps(v, zero, _CMP_NGE_UQ));
            }
            alignas(32) float lanes[8];
            _mm256_store_ps(lanes, m8);
            float m = row_max_abs(x + i, length - i);
            for (float lane : lanes) m = lane > m ? lane : m;
            max_abs[r] = m;
            for (; i < length; ++i) tail_negative = tail_negative || !(x[i] >= 0.0f);
        }
        return tail_negative || _mm256_movemask_ps(negative) != 0;
    }

    // Eight floats at x quantized as quantize_activation does (multiply, clamp, round to nearest
    // even), as int32. A function rather than a lambda: clang does not give lambdas their
    // enclosing function's target.
    __attribute__((target("avx2,fma"))) static __m256i quantize8_avx2(const float* x,
                                                                      __m256 inverse) {
        return _mm256_cvtps_epi32(_mm256_min_ps(
            _mm256_max_ps(_mm256_mul_ps(_mm256_loadu_ps(x), inverse), _mm256_set1_ps(-127.0f)),
            _mm256_set1_ps(127.0f)));
    }

    // Quantizes `length` floats as quantize_activation does into q, and their magnitudes into m
    // where m is not null.
    __attribute__((target("avx2,fma"))) static void quantize_run_avx2(const float* x,
                                                                      std::size_t length,
                                                                      float inverse, std::int8_t* q,
                                                                      std::int8_t* m) {
        const __m256 inv = _mm256_set1_ps(inverse);
        // The packs work within 128-bit lanes: they leave groups of 4 bytes in the order
        // 0 8 16 24 4 12 20 28 (first byte of each group), which the permute undoes.
        const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
        std::size_t i = 0;
        for (; i + 32 <= length; i += 32) {
            const __m256i words0 =
                _mm256_packs_epi32(quantize8_avx2(x + i, inv), quantize8_avx2(x + i + 8, inv));
            const __m256i words1 = _mm256_packs_epi32(quantize8_avx2(x + i + 16, inv),
                                                      quantize8_avx2(x + i + 24, inv));
            const __m256i bytes =
                _mm256_permutevar8x32_epi32(_mm256_packs_epi16(words0, words1), order);
            _mm256_storeu_si256(reinterpret_cast<__m256i*>(q + i), bytes);
            if (m != nullptr)
                _mm256_storeu_si256(reinterpret_cast<__m256i*>(m + i), _mm256_abs_epi8(bytes));
        }
        for (; i < length; ++i) {
            q[i] = quantize_activation(x[i], inverse);
            if (m != nullptr) m[i] = std::int8_t(std::abs(q[i]));  // never -128
        }
    }

    // `magnitudes`: |rows|, where SignedInput; `row_scales`: one per row.
    template <bool SignedInput>
    __attribute__((target("avx2,fma"))) void qs8_gemm_4x16_avx2(
        const std::int8_t* rows, const std::int8_t* magnitudes,
        const std::vector<float>& row_scales, const MutableTensorView& out) const {
        const std::int64_t pixels = std::int64_t{out.shape.height} * out.shape.width;
        const __m256i ones = _mm256_set1_epi16(1);
        const std::size_t block_bytes = std::size_t(k4_) * 8;
        for (std::int64_t p0 = 0; p0 < pixels; p0 += 4) {
            const int count = int(std::min<std::int64_t>(4, pixels - p0));
            const std::int8_t *a[4], *m[4];
            for (int r = 0; r < 4; ++r) {  // missing rows repeat the last one; never stored
                const std::size_t offset =
                    std::size_t(p0 + std::min(r, count - 1)) * std::size_t(k4_);
                a[r] = rows + offset;
                m[r] = SignedInput ? magnitudes + offset : nullptr;
            }
            for (int nb = 0; nb < n16_ / 8; nb += 2) {
                const std::int8_t* w0 = packed_.data() + std::size_t(nb) * block_bytes;
                const std::int8_t* w1 = w0 + block_bytes;
                __m256i acc[4][2];
#pragma GCC unroll 4
                for (int r = 0; r < 4; ++r) acc[r][0] = acc[r][1] = _mm256_setzero_si256();
                for (int k = 0; k < k4_; k += 4, w0 += 32, w1 += 32) {
                    const __m256i b0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w0));
                    const __m256i b1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w1));
                    // Unrolled at every optimization level: a rolled loop indexes acc at run
                    // time and so keeps it in memory (gcc -O2 does not unroll it by itself).
#pragma GCC unroll 4
                    for (int r = 0; r < 4; ++r) {
                        std::int32_t four;
                        std::memcpy(&four, a[r] + k, 4);
                        const __m256i x = _mm256_set1_epi32(four);
                        // |x| * (w with x's sign) = x * w; for x >= 0 that is x * w as it is.
                        __m256i magnitude = x;
                        if constexpr (SignedInput) {
                            std::memcpy(&four, m[r] + k, 4);
                            magnitude = _mm256_set1_epi32(four);
                        }
                        const __m256i c0 = SignedInput ? _mm256_sign_epi8(b0, x) : b0;
                        const __m256i c1 = SignedInput ? _mm256_sign_epi8(b1, x) : b1;
                        acc[r][0] = _mm256_add_epi32(
                            acc[r][0],
                            _mm256_madd_epi16(_mm256_maddubs_epi16(magnitude, c0), ones));
                        acc[r][1] = _mm256_add_epi32(
                            acc[r][1],
                            _mm256_madd_epi16(_mm256_maddubs_epi16(magnitude, c1), ones));
                    }
                }
                // The sums leave registers through a small buffer: an epilogue that reads
                // acc[r][h] under runtime bounds made gcc keep acc in memory inside the k loop
                // above (a spill and eight register moves per step).
                alignas(32) std::int32_t sums[4][16];
#pragma GCC unroll 4
                for (int r = 0; r < 4; ++r)
                    for (int h = 0; h < 2; ++h)
                        _mm256_store_si256(reinterpret_cast<__m256i*>(&sums[r][h * 8]), acc[r][h]);
                for (int r = 0; r < count; ++r)
                    for (int h = 0; h < 2; ++h) {
                        const int n0 = (nb + h) * 8;
                        if (n0 >= n_) break;
                        const __m256 scale =
                            _mm256_mul_ps(_mm256_set1_ps(row_scales[std::size_t(p0 + r)]),
                                          _mm256_loadu_ps(weight_scales16_.data() + n0));
                        const __m256 y = detail::activate_avx2(
                            _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_load_si256(
                                                reinterpret_cast<const __m256i*>(&sums[r][h * 8]))),
                                            scale, _mm256_loadu_ps(bias_.data() + n0)),
                            geometry_.activation);
                        float* dst = out.data + (p0 + r) * n_ + n0;
                        if (n0 + 8 <= n_) {
                            _mm256_storeu_ps(dst, y);
                        } else {
                            alignas(32) float tail[8];
                            _mm256_store_ps(tail, y);
                            std::copy(tail, tail + (n_ - n0), dst);
                        }
                    }
            }
        }
    }
#endif
#if FER_HAS_NEON_DOTPROD
    // As run_max_abs_avx2 (vmaxnm skips NaN as row_max_abs does). SDOT multiplies signed bytes
    // by signed bytes, so the kernel never needs |x|: returns false.
    static bool run_max_abs_neon(const float* x, std::size_t n, std::size_t length,
                                 float* max_abs) {
        for (std::size_t r = 0; r < n; ++r, x += length) {
            float32x4_t m4 = vdupq_n_f32(0.0f);
            std::size_t i = 0;
            for (; i + 4 <= length; i += 4) m4 = vmaxnmq_f32(vabsq_f32(vld1q_f32(x + i)), m4);
            const float lanes = vmaxnmvq_f32(m4), tail = row_max_abs(x + i, length - i);
            max_abs[r] = lanes > tail ? lanes : tail;
        }
        return false;
    }

    // As quantize_activation: vmaxnm turns NaN into -127 as the comparison there does, and the
    // conversion rounds to nearest even. Writes no magnitudes (the last argument is null).
    static void quantize_run_neon(const float* x, std::size_t length, float inverse, std::int8_t* q,
                                  std::int8_t*) {
        const float32x4_t inv = vdupq_n_f32(inverse);
        const float32x4_t low = vdupq_n_f32(-127.0f), high = vdupq_n_f32(127.0f);
        auto quantize4 = [&](const float* p) {
            return vcvtnq_s32_f32(vminq_f32(vmaxnmq_f32(vmulq_f32(vld1q_f32(p), inv), low), high));
        };
        std::size_t i = 0;
        for (; i + 8 <= length; i += 8) {
            const int16x8_t words =
                vcombine_s16(vqmovn_s32(quantize4(x + i)), vqmovn_s32(quantize4(x + i + 4)));
            vst1_s8(q + i, vqmovn_s16(words));
        }
        for (; i < length; ++i) q[i] = quantize_activation(x[i], inverse);
    }

    // 4 output pixels x 16 output channels of int32 sums in 16 registers: per step of 4 taps,
    // one SDOT per (pixel, 4 channels) multiplies the pixel's 4 bytes (broadcast) with the 4
    // channels' 4 weights each, in the AVX2 kernel's packing ([8 outputs][4 taps] per block).
    // The sums are exact and the epilogue is the plain kernel's fma: the outputs are identical.
    __attribute__((target("arch=armv8.2-a+dotprod"))) void qs8_gemm_4x16_sdot(
        const std::int8_t* rows, const std::vector<float>& row_scales,
        const MutableTensorView& out) const {
        const std::int64_t pixels = std::int64_t{out.shape.height} * out.shape.width;
        const std::size_t block_bytes = std::size_t(k4_) * 8;
        for (std::int64_t p0 = 0; p0 < pixels; p0 += 4) {
            const int count = int(std::min<std::int64_t>(4, pixels - p0));
            const std::int8_t* a[4];
            for (int r = 0; r < 4; ++r)  // missing rows repeat the last one; never stored
                a[r] = rows + std::size_t(p0 + std::min(r, count - 1)) * std::size_t(k4_);
            for (int nb = 0; nb < n16_ / 8; nb += 2) {
                const std::int8_t* w0 = packed_.data() + std::size_t(nb) * block_bytes;
                const std::int8_t* w1 = w0 + block_bytes;
                int32x4_t acc[4][4];
                for (int r = 0; r < 4; ++r)
                    for (int j = 0; j < 4; ++j) acc[r][j] = vdupq_n_s32(0);
                for (int k = 0; k < k4_; k += 4, w0 += 32, w1 += 32) {
                    const int8x16_t b[4] = {vld1q_s8(w0), vld1q_s8(w0 + 16), vld1q_s8(w1),
                                            vld1q_s8(w1 + 16)};
                    for (int r = 0; r < 4; ++r) {
                        std::int32_t four;
                        std::memcpy(&four, a[r] + k, 4);
                        const int8x16_t x = vreinterpretq_s8_s32(vdupq_n_s32(four));
                        for (int j = 0; j < 4; ++j) acc[r][j] = vdotq_s32(acc[r][j], b[j], x);
                    }
                }
                for (int r = 0; r < count; ++r)
                    for (int j = 0; j < 4; ++j) {
                        const int n0 = nb * 8 + j * 4;
                        if (n0 >= n_) break;
                        const float32x4_t scale =
                            vmulq_f32(vdupq_n_f32(row_scales[std::size_t(p0 + r)]),
                                      vld1q_f32(weight_scales16_.data() + n0));
                        const float32x4_t y =
                            detail::activate_neon(vfmaq_f32(vld1q_f32(bias_.data() + n0),
                                                            vcvtq_f32_s32(acc[r][j]), scale),
                                                  geometry_.activation);
                        float* dst = out.data + (p0 + r) * n_ + n0;
                        if (n0 + 4 <= n_) {
                            vst1q_f32(dst, y);
                        } else {
                            float tail[4];
                            vst1q_f32(tail, y);
                            std::copy(tail, tail + (n_ - n0), dst);
                        }
                    }
            }
        }
    }
#endif
};

}  // namespace fer

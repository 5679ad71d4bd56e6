// fer/layers/conv2d_int8.hpp - a convolution computed in int8 (semantics: fer/quant.hpp).
//
// The input is quantized with the layer's calibrated scale, gathered into patch rows (a 1x1
// stride-1 convolution reads the quantized input directly), multiplied with the int8 weights in
// exact int32 sums, and each sum is turned back into a float with one FMA (scale, bias) before
// the activation. The output is float, so pooling, adds and the next layer's quantization work
// as in the fp32 network. Two kernels compute identical results: a plain loop over the weights as
// quantized, and an AVX2 kernel over repacked weights (4 output pixels x 16 output channels of
// int32 sums in registers). vpmaddubsw multiplies unsigned by signed bytes: an input with no
// negative value (ReLU outputs) goes in as it is; otherwise the kernel multiplies |x| (taken in
// one pass before it) by the weight with x's sign (vpsign, two more instructions per step),
// exact because no value is -128.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "../quant.hpp"
#include "conv2d.hpp"

namespace fer {

class Int8Conv2D {
  public:
    // Per-thread buffers: the quantized input, its patch rows, and their magnitudes (|x|, for
    // the AVX2 kernel on inputs with negative values).
    struct Scratch {
        std::vector<std::int8_t> input, patches, magnitudes;
    };

    // `weights` are conv's weights quantized per output channel (quantize_per_channel, or read
    // from an int8 model file); `input_scale` the calibrated activation scale.
    // Throws: fer::error if the weights do not fit the layer or the scale is not a positive
    // finite number.
    Int8Conv2D(const Conv2D& conv, const QuantizedWeights& weights, float input_scale)
        : geometry_(conv), input_scale_(input_scale) {
        conv.validate();
        if (!(input_scale > 0.0f) || !std::isfinite(input_scale))
            detail::fail("int8 convolution input scale", "a positive finite number", input_scale);
        if (weights.channels != conv.out_channels || weights.values.size() != conv.weights.size() ||
            weights.scales.size() != std::size_t(conv.out_channels))
            detail::fail(
                "int8 convolution weights",
                detail::concat(conv.weights.size(), " values in ", conv.out_channels, " channels"),
                detail::concat(weights.values.size(), " values in ", weights.channels,
                               " channels"));
        geometry_.weights.clear();
        k_ = conv.kernel_h * conv.kernel_w * conv.in_channels;
        n_ = conv.out_channels;
        k4_ = (k_ + 3) / 4 * 4;
        n16_ = (n_ + 15) / 16 * 16;
        plain_ = weights.values;
        packed_.assign(std::size_t(n16_) * k4_, 0);
        for (int k = 0; k < k_; ++k)
            for (int n = 0; n < n_; ++n)
                packed_[packed_index(k, n)] = plain_[std::size_t(k) * n_ + n];
        output_scale_.assign(std::size_t(n16_), 0.0f);
        bias_.assign(std::size_t(n16_), 0.0f);
        for (int n = 0; n < n_; ++n) {
            output_scale_[std::size_t(n)] = input_scale * weights.scales[std::size_t(n)];
            bias_[std::size_t(n)] = conv.bias[std::size_t(n)];
        }
        weight_scales_ = weights.scales;
    }

    float input_scale() const { return input_scale_; }
    const std::vector<float>& weight_scales() const { return weight_scales_; }
    const std::vector<std::int8_t>& weights() const { return plain_; }  // [k][n], as quantized

    // Requires: out.shape == the convolution's output shape for in.shape.
    void forward(const TensorView& in, const MutableTensorView& out, Scratch& s) const {
#if FER_CONV_AVX2
        if (detail::cpu_has_avx2_fma()) {
            bool has_negative = false;
            const std::int8_t* rows = prepare_avx2(in, out.shape, s, has_negative);
            const std::size_t stride = row_stride(in);
            if (!has_negative) return gemm_avx2<false>(rows, nullptr, stride, out);
            return gemm_avx2<true>(rows, magnitudes_avx2(rows, stride, out.shape, s), stride, out);
        }
#endif
        forward_plain(in, out, s);
    }

    // The portable kernel: plain loops, the same integers and roundings as the vector one.
    void forward_plain(const TensorView& in, const MutableTensorView& out, Scratch& s) const {
        s.input.resize(std::size_t(in.size()));
        const float inverse = 1.0f / input_scale_;
        for (std::int64_t i = 0; i < in.size(); ++i)
            s.input[std::size_t(i)] = quantize_activation(in.data[i], inverse);
        const std::int8_t* rows = patch_rows(in, out.shape, s);
        const std::size_t stride = row_stride(in);
        const std::int64_t pixels = std::int64_t{out.shape.height} * out.shape.width;
        for (std::int64_t p = 0; p < pixels; ++p) {
            const std::int8_t* a = rows + std::size_t(p) * stride;
            for (int n = 0; n < n_; ++n) {
                std::int32_t sum = 0;
                for (int k = 0; k < k_; ++k)
                    sum += std::int32_t(a[k]) * plain_[std::size_t(k) * n_ + n];
                out.data[p * n_ + n] = detail::activate(
                    std::fma(float(sum), output_scale_[std::size_t(n)], bias_[std::size_t(n)]),
                    geometry_.activation);
            }
        }
    }

  private:
    Conv2D geometry_;  // the float layer without its weights: window, padding, bias, activation
    float input_scale_;
    int k_ = 0, n_ = 0, k4_ = 0, n16_ = 0;
    std::vector<std::int8_t> plain_;   // [k][n]
    std::vector<std::int8_t> packed_;  // [n16 / 8][k4 / 4][8 outputs][4 taps]
    std::vector<float> output_scale_, bias_, weight_scales_;

    std::size_t packed_index(int k, int n) const {
        return ((std::size_t(n / 8) * (k4_ / 4) + std::size_t(k / 4)) * 8 + n % 8) * 4 + k % 4;
    }

    bool reads_input_directly(const TensorView& in) const {
        return geometry_.pointwise() && in.shape.channels % 4 == 0;
    }
    std::size_t row_stride(const TensorView& in) const {
        return reads_input_directly(in) ? std::size_t(in.shape.channels) : std::size_t(k4_);
    }

    // The patch rows for the quantized input in s.input.
    const std::int8_t* patch_rows(const TensorView& in, const Shape& o, Scratch& s) const {
        if (reads_input_directly(in)) return s.input.data();
        s.patches.resize(std::size_t(o.height) * o.width * k4_);
        detail::im2col(geometry_, s.input.data(), in.shape, o, s.patches.data(), std::size_t(k4_));
        return s.patches.data();
    }

#if FER_CONV_AVX2
    // Quantizes the input and gathers its patch rows; `has_negative` tells whether some
    // quantized input is below zero.
    __attribute__((target("avx2,fma"))) const std::int8_t* prepare_avx2(const TensorView& in,
                                                                        const Shape& o, Scratch& s,
                                                                        bool& has_negative) const {
        const std::int64_t n = in.size();
        s.input.resize(std::size_t(n) + 16);  // room for the 8-byte stores of the last block
        const float inverse = 1.0f / input_scale_;
        const __m256 inv = _mm256_set1_ps(inverse), lo = _mm256_set1_ps(-127.0f),
                     hi = _mm256_set1_ps(127.0f);
        __m256i signs = _mm256_setzero_si256();  // OR of every quantized value
        std::int64_t i = 0;
        for (; i + 8 <= n; i += 8) {
            // Same operations as quantize_activation: multiply, clamp, round to nearest even.
            const __m256 v = _mm256_min_ps(
                _mm256_max_ps(_mm256_mul_ps(_mm256_loadu_ps(in.data + i), inv), lo), hi);
            const __m256i q = _mm256_cvtps_epi32(v);
            signs = _mm256_or_si256(signs, q);
            const __m128i words =
                _mm_packs_epi32(_mm256_castsi256_si128(q), _mm256_extracti128_si256(q, 1));
            _mm_storel_epi64(reinterpret_cast<__m128i*>(s.input.data() + i),
                             _mm_packs_epi16(words, words));
        }
        has_negative = _mm256_movemask_ps(_mm256_castsi256_ps(signs)) != 0;
        for (; i < n; ++i) {
            s.input[std::size_t(i)] = quantize_activation(in.data[i], inverse);
            has_negative = has_negative || s.input[std::size_t(i)] < 0;
        }
        return patch_rows(in, o, s);
    }

    // |x| of every patch row byte, computed once here rather than once per output channel block
    // in the kernel (one instruction fewer per step there, where the vector ALUs are the limit).
    __attribute__((target("avx2,fma"))) const std::int8_t* magnitudes_avx2(const std::int8_t* rows,
                                                                           std::size_t stride,
                                                                           const Shape& o,
                                                                           Scratch& s) const {
        const std::size_t n = std::size_t(o.height) * o.width * stride;
        s.magnitudes.resize(n);
        std::size_t i = 0;
        for (; i + 32 <= n; i += 32)
            _mm256_storeu_si256(
                reinterpret_cast<__m256i*>(s.magnitudes.data() + i),
                _mm256_abs_epi8(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(rows + i))));
        for (; i < n; ++i) s.magnitudes[i] = std::int8_t(std::abs(rows[i]));  // never -128
        return s.magnitudes.data();
    }

    // `magnitudes`: |rows|, where SignedInput.
    template <bool SignedInput>
    __attribute__((target("avx2,fma"))) void gemm_avx2(const std::int8_t* rows,
                                                       const std::int8_t* magnitudes,
                                                       std::size_t stride,
                                                       const MutableTensorView& out) const {
        const std::int64_t pixels = std::int64_t{out.shape.height} * out.shape.width;
        const __m256i ones = _mm256_set1_epi16(1);
        const std::size_t block_bytes = std::size_t(k4_) * 8;
        for (std::int64_t p0 = 0; p0 < pixels; p0 += 4) {
            const int count = int(std::min<std::int64_t>(4, pixels - p0));
            const std::int8_t *a[4], *m[4];
            for (int r = 0; r < 4; ++r) {  // missing rows repeat the last one; never stored
                const std::size_t offset = std::size_t(p0 + std::min(r, count - 1)) * stride;
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
                // above (a spill and eight register moves per step: 15-60% slower).
                alignas(32) std::int32_t sums[4][16];
#pragma GCC unroll 4
                for (int r = 0; r < 4; ++r)
                    for (int h = 0; h < 2; ++h)
                        _mm256_store_si256(reinterpret_cast<__m256i*>(&sums[r][h * 8]), acc[r][h]);
                for (int r = 0; r < count; ++r)
                    for (int h = 0; h < 2; ++h) {
                        const int n0 = (nb + h) * 8;
                        if (n0 >= n_) break;
                        const __m256 y = detail::activate_avx2(
                            _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_load_si256(
                                                reinterpret_cast<const __m256i*>(&sums[r][h * 8]))),
                                            _mm256_loadu_ps(output_scale_.data() + n0),
                                            _mm256_loadu_ps(bias_.data() + n0)),
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
};

}  // namespace fer

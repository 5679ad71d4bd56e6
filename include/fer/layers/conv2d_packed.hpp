// fer/layers/conv2d_packed.hpp - a Conv2D whose weights are laid out once for an AVX2 GEMM.
//
// Eigen's GEMM repacks the weight matrix on every call; on a face model's small maps (49 to 841
// output pixels a layer) that packing costs about as much as the multiply. Here the weights are
// packed once, when the network is built, in panels of 16 output channels ([panel][k][16], zero
// beyond the last channel), and a tile of 6 output pixels x 16 channels (12 accumulators, the
// most that fit AVX2's 16 registers with the two panel vectors and a broadcast) walks the patch
// rows: per tap two panel loads, six broadcasts and twelve FMAs. The sums start from the bias and
// the activation is applied on the way out. Same sums as Conv2D, in another order: results differ
// from it by float rounding only. Network uses it for every convolution that Conv2D's direct path
// does not take, on CPUs with AVX2 and FMA (worthwhile()).
#pragma once

#include <algorithm>
#include <vector>

#include "conv2d.hpp"

namespace fer {

class PackedConv2D {
  public:
    // Whether this CPU runs the kernel and Conv2D has no faster path of its own for `conv`.
    static bool worthwhile(const Conv2D& conv) {
#if FER_CONV_AVX2
        return detail::cpu_has_avx2_fma() && !conv.takes_direct_path();
#else
        (void)conv;
        return false;
#endif
    }

    // Throws: fer::error if the layer is inconsistent (Conv2D::validate).
    explicit PackedConv2D(const Conv2D& conv) : geometry_(conv) {
        conv.validate();
        geometry_.weights.clear();
        k_ = conv.kernel_h * conv.kernel_w * conv.in_channels;
        n_ = conv.out_channels;
        panels_ = (n_ + panel_width - 1) / panel_width;
        packed_.assign(std::size_t(panels_) * k_ * panel_width, 0.0f);
        for (int k = 0; k < k_; ++k)
            for (int n = 0; n < n_; ++n)
                packed_[(std::size_t(n / panel_width) * k_ + k) * panel_width + n % panel_width] =
                    conv.weights[std::size_t(k) * n_ + n];
        bias_.assign(std::size_t(panels_) * panel_width, 0.0f);
        std::copy(conv.bias.begin(), conv.bias.end(), bias_.begin());
    }

    // Requires: out.shape == the convolution's output shape for in.shape, and a CPU with AVX2
    // and FMA (worthwhile()). Never throws (scratch may grow, which can throw std::bad_alloc).
    void forward(const TensorView& in, const MutableTensorView& out,
                 std::vector<float>& scratch) const {
#if FER_CONV_AVX2
        const Conv2D& g = geometry_;
        const std::int64_t pixels = std::int64_t{out.shape.height} * out.shape.width;
        const float* rows = in.data;
        if (!g.pointwise()) {
            scratch.resize(std::size_t(pixels) * k_);
            detail::im2col(g, in.data, in.shape, out.shape, scratch.data(), std::size_t(k_));
            rows = scratch.data();
        }
        gemm_avx2(rows, pixels, out.data);
#else
        (void)in, (void)out, (void)scratch;
#endif
    }

  private:
    static constexpr int panel_width = 16;
    static constexpr int tile_rows = 6;
    Conv2D geometry_;  // the layer without its weights: window, padding, activation
    int k_ = 0, n_ = 0, panels_ = 0;
    std::vector<float> packed_;  // [panel][k][16]
    std::vector<float> bias_;    // [panels * 16], zero-padded

#if FER_CONV_AVX2
    // Every loop over the tile has a constant trip count and the sizes are locals (vector
    // stores may alias members), so that the 12 accumulators stay in registers.
    __attribute__((target("avx2,fma"))) void gemm_avx2(const float* rows, std::int64_t pixels,
                                                       float* out) const {
        const Activation activation = geometry_.activation;
        const int depth = k_, outputs = n_, panels = panels_;
        const float* const packed = packed_.data();
        const float* const biases = bias_.data();
        for (std::int64_t p0 = 0; p0 < pixels; p0 += tile_rows) {
            const int count = int(std::min<std::int64_t>(tile_rows, pixels - p0));
            const float* a[tile_rows];
            for (int r = 0; r < tile_rows; ++r)  // missing rows repeat the last one; never stored
                a[r] = rows + std::size_t(p0 + std::min(r, count - 1)) * depth;
            for (int panel = 0; panel < panels; ++panel) {
                const float* b = packed + std::size_t(panel) * depth * panel_width;
                const float* bias = biases + std::size_t(panel) * panel_width;
                __m256 acc[tile_rows][2];
                for (int r = 0; r < tile_rows; ++r) {
                    acc[r][0] = _mm256_loadu_ps(bias);
                    acc[r][1] = _mm256_loadu_ps(bias + 8);
                }
                for (int k = 0; k < depth; ++k, b += panel_width) {
                    const __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
                    for (int r = 0; r < tile_rows; ++r) {
                        const __m256 x = _mm256_broadcast_ss(a[r] + k);
                        acc[r][0] = _mm256_fmadd_ps(x, b0, acc[r][0]);
                        acc[r][1] = _mm256_fmadd_ps(x, b1, acc[r][1]);
                    }
                }
                for (int r = 0; r < tile_rows; ++r) {
                    acc[r][0] = detail::activate_avx2(acc[r][0], activation);
                    acc[r][1] = detail::activate_avx2(acc[r][1], activation);
                }
                const int n0 = panel * panel_width, width = std::min(panel_width, outputs - n0);
                float* dst = out + p0 * outputs + n0;
                if (count == tile_rows && width == panel_width) {
                    for (int r = 0; r < tile_rows; ++r) {
                        _mm256_storeu_ps(dst + r * outputs, acc[r][0]);
                        _mm256_storeu_ps(dst + r * outputs + 8, acc[r][1]);
                    }
                } else {  // the last pixels or channels: through a buffer
                    alignas(32) float tile[tile_rows][panel_width];
                    for (int r = 0; r < tile_rows; ++r) {
                        _mm256_store_ps(tile[r], acc[r][0]);
                        _mm256_store_ps(tile[r] + 8, acc[r][1]);
                    }
                    for (int r = 0; r < count; ++r)
                        std::copy(tile[r], tile[r] + width, dst + r * outputs);
                }
            }
        }
    }
#endif
};

}  // namespace fer

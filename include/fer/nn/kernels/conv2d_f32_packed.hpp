// fer/nn/kernels/conv2d_f32_packed.hpp - a convolution whose weights are laid out once for a
// GEMM kernel with 6 x 16 tiles.
//
// Eigen's GEMM repacks the weight matrix on every call; on a face model's small maps (49 to 841
// output pixels a layer) that packing costs about as much as the multiply. Here the weights are
// packed once, when the network takes the layer, in panels of 16 output channels ([panel][k][16],
// zero beyond the last channel), and a tile of 6 output pixels x 16 channels walks the patch
// rows. f32_gemm_6x16_avx2 keeps the tile's 12 accumulators in registers (the most that fit
// AVX2's 16 with the two panel vectors and a broadcast): per tap two panel loads, six broadcasts
// and twelve FMAs; a last panel of at most 8 channels (24 or 40 outputs) runs a 6 x 8 tile.
// The AVX2 and AVX-512 kernels read each patch row tap by tap from the input in place (from a
// zero-padded copy where windows cross the border) where the others gather an im2col matrix
// kernel_h x kernel_w times the input's size (for Human's 3x3 layer 0.97 MB, more than Zen 3's
// L2). f32_gemm_6x16_neon runs the AVX2 tile on AArch64 with 24 four-float accumulators (of
// NEON's 32 registers), and f32_gemm_avx512 on CPUs with AVX-512 a 12 x 32 tile over two panels
// (same bits as the AVX2 tile). A layer of at most 8 outputs (a 7-class head) runs in 12 x 8 tiles
// of eight-float vectors on both x86 kernels (f32_gemm_narrow_avx2). f32_gemm_6x16_scalar computes
// the same sums with plain loops (other CPUs, and FER_NO_SIMD builds). The sums start from the
// bias; on the way out a residual input may be added (a residual connection's add fused into the
// convolution: the sums never make a round trip through memory) and the activation is applied.
// Results differ from Conv2D's Eigen path followed by an add by float rounding only.
#pragma once

#include <algorithm>
#include <vector>

#include "../window.hpp"

namespace fer {

class PackedConv2D {
  public:
    // What happens to each sum on the way out: `residual` (laid out as the output; null for none)
    // is added, then `activation` is applied.
    struct Epilogue {
        const float* residual = nullptr;
        Activation activation = Activation::none;
    };

    // Whether `conv` gains from packed weights here: a vector kernel (AVX2, NEON) runs on this
    // CPU and the layer has no faster path of its own (Conv2D's direct kernel). Elsewhere Eigen's
    // GEMM is faster than the scalar kernel.
    template <class Conv>
    static bool worthwhile(const Conv& conv) {
        return detail::cpu_has_vector_kernels() && !conv.takes_direct_path();
    }

    // Throws: fer::error if the layer is inconsistent (Conv2D::validate).
    template <class Conv>
    explicit PackedConv2D(const Conv& conv) : geometry_(conv) {
        conv.validate();
        k_ = conv.depth();
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

    // The convolution with its own activation.
    // Requires: out.shape == the convolution's output shape for in.shape. Never throws (scratch
    // may grow, which can throw std::bad_alloc).
    void forward(const TensorView& in, const MutableTensorView& out,
                 std::vector<float>& scratch) const {
        forward(in, out, scratch, Epilogue{nullptr, geometry_.activation});
    }

    // The kernels that can run a packed convolution; all compute the same sums (the vector ones
    // bit for bit the same, as they add the same products in the same order).
    enum class Kernel { scalar, avx2, avx512, neon };

    // Whether `kernel` is compiled in and runs on this CPU. Never throws.
    static bool runs_here(Kernel kernel) {
        switch (kernel) {
            case Kernel::scalar:
                return true;
            case Kernel::avx2:
                return detail::cpu_has_avx2_fma();
            case Kernel::avx512:
                return detail::cpu_has_avx512();
            case Kernel::neon:
                return detail::cpu_has_neon();
        }
        return false;
    }

    // The kernel forward() runs here: the widest vector kernel the CPU runs. Never throws.
    static Kernel best_kernel() {
        if (runs_here(Kernel::avx512)) return Kernel::avx512;
        if (runs_here(Kernel::avx2)) return Kernel::avx2;
        if (runs_here(Kernel::neon)) return Kernel::neon;
        return Kernel::scalar;
    }

    // The convolution with `epilogue` in place of its activation. Requires: as above, and a
    // residual of out.shape.size() floats that is either out itself (each sum's residual is read
    // before the sum is written over it: a running sum updated in place) or apart from it.
    void forward(const TensorView& in, const MutableTensorView& out, std::vector<float>& scratch,
                 const Epilogue& epilogue) const {
        forward(in, out, scratch, epilogue, best_kernel());
    }

    // The same with a chosen kernel (tests compare them). Requires: runs_here(kernel).
    void forward(const TensorView& in, const MutableTensorView& out, std::vector<float>& scratch,
                 const Epilogue& epilogue, Kernel kernel) const {
        FER_ASSERT(runs_here(kernel));
        const std::int64_t pixels = std::int64_t{out.shape.height} * out.shape.width;
#if FER_HAS_AVX2
        if (kernel == Kernel::avx2 || kernel == Kernel::avx512) {
            const PatchSource source = patch_source(in, out.shape, scratch);
            const bool residual = epilogue.residual != nullptr;
            if (n_ <= 8) {
                if (residual) return f32_gemm_narrow_avx2<true>(source, pixels, out.data, epilogue);
                return f32_gemm_narrow_avx2<false>(source, pixels, out.data, epilogue);
            }
            if (kernel == Kernel::avx2) {
                if (residual) return f32_gemm_6x16_avx2<true>(source, pixels, out.data, epilogue);
                return f32_gemm_6x16_avx2<false>(source, pixels, out.data, epilogue);
            }
            if (residual) return f32_gemm_avx512<true>(source, pixels, out.data, epilogue);
            return f32_gemm_avx512<false>(source, pixels, out.data, epilogue);
        }
#endif
        const float* rows = patch_rows(in, out.shape, scratch);
        switch (kernel) {
#if FER_HAS_NEON
            case Kernel::neon:
                if (epilogue.residual)
                    return f32_gemm_6x16_neon<true>(rows, pixels, out.data, epilogue);
                return f32_gemm_6x16_neon<false>(rows, pixels, out.data, epilogue);
#endif
            default:
                return f32_gemm_6x16_scalar(rows, pixels, out.data, epilogue);
        }
    }

  private:
    static constexpr int panel_width = 16;
    static constexpr int tile_rows = 6;
    ConvGeometry geometry_;
    int k_ = 0, n_ = 0, panels_ = 0;
    detail::CacheLineVector<float> packed_;  // [panel][k][16], each k row one cache line
    detail::CacheLineVector<float> bias_;    // [panels * 16], zero-padded

    // Where a kernel finds patch row p: in a matrix of `depth` floats per row (the input itself
    // for a 1x1 stride-1 layer, else gathered into scratch), or, where every window lies inside
    // the input, in the input read in place: row p starts at its window's top-left pixel and tap
    // t's `channels` floats lie tap_offset(t) further on. The kernel adds the same products in the
    // same order either way.
    struct PatchSource {
        const float* data = nullptr;
        bool in_place = false;
        int depth = 0, out_width = 1, in_width = 1, channels = 0, kernel_w = 1;
        int stride_h = 1, stride_w = 1;

        const float* row(std::int64_t p) const {
            if (!in_place) return data + p * depth;
            const std::int64_t oy = p / out_width, ox = p % out_width;
            return data + (oy * stride_h * in_width + ox * stride_w) * channels;
        }
        int taps() const { return in_place ? depth / channels : 1; }
        int tap_length() const { return in_place ? channels : depth; }
        std::ptrdiff_t tap_offset(int t) const {
            return in_place ? (std::ptrdiff_t{t / kernel_w} * in_width + t % kernel_w) * channels
                            : 0;
        }
    };

    // The patch source of the AVX-512 kernel: in place wherever a window is more than one pixel,
    // from a zero-padded copy of the input where windows cross its border (a copy the input's
    // size where im2col's would be kernel_h x kernel_w times it).
    PatchSource patch_source(const TensorView& in, const Shape& out,
                             std::vector<float>& scratch) const {
        if (geometry_.pointwise()) return {in.data, false, k_};
        // The rows and columns the windows span, from the first window's top-left.
        const int height = (out.height - 1) * geometry_.stride_h + geometry_.kernel_h;
        const int width = (out.width - 1) * geometry_.stride_w + geometry_.kernel_w;
        const detail::WindowSource window =
            detail::window_source(geometry_, in, height, width, scratch);
        return {window.data,
                true,
                k_,
                out.width,
                window.width,
                in.shape.channels,
                geometry_.kernel_w,
                geometry_.stride_h,
                geometry_.stride_w};
    }

    // The patch matrix: the input itself for a 1x1 stride-1 layer, else gathered into scratch.
    const float* patch_rows(const TensorView& in, const Shape& out,
                            std::vector<float>& scratch) const {
        if (geometry_.pointwise()) return in.data;
        scratch.resize(std::size_t(out.height) * out.width * k_);
        detail::im2col(geometry_, in.data, in.shape, out, scratch.data(), std::size_t(k_));
        return scratch.data();
    }

    // The tile walk of the vector kernel, one sum at a time over the same packed panels.
    void f32_gemm_6x16_scalar(const float* rows, std::int64_t pixels, float* out,
                              const Epilogue& epilogue) const {
        for (std::int64_t p = 0; p < pixels; ++p) {
            const float* a = rows + std::size_t(p) * k_;
            for (int n = 0; n < n_; ++n) {
                const float* b = packed_.data() + std::size_t(n / panel_width) * k_ * panel_width +
                                 n % panel_width;
                float sum = bias_[std::size_t(n)];
                for (int k = 0; k < k_; ++k) sum += a[k] * b[std::size_t(k) * panel_width];
                if (epilogue.residual) sum += epilogue.residual[p * n_ + n];
                out[p * n_ + n] = detail::activate(sum, epilogue.activation);
            }
        }
    }

#if FER_HAS_AVX2
    // Every loop over the tile has a constant trip count and the sizes are locals (vector
    // stores may alias members), so that the 12 accumulators stay in registers. The residual is
    // a template parameter, not a run-time branch: with the branch, GCC spills the accumulators
    // and whole networks run up to 2x slower.
    template <bool with_residual>
    __attribute__((target("avx2,fma"))) void f32_gemm_6x16_avx2(const PatchSource& source,
                                                                std::int64_t pixels, float* out,
                                                                const Epilogue& epilogue) const {
        const int outputs = n_, panels = panels_;
        for (std::int64_t p0 = 0; p0 < pixels; p0 += tile_rows) {
            const int count = int(std::min<std::int64_t>(tile_rows, pixels - p0));
            const float* a[tile_rows];
            for (int r = 0; r < tile_rows; ++r)  // missing rows repeat the last one; never stored
                a[r] = source.row(p0 + std::min(r, count - 1));
            for (int panel = 0; panel < panels; ++panel) {
                const int n0 = panel * panel_width, width = std::min(panel_width, outputs - n0);
                // A last panel of at most 8 channels (24 or 40 outputs) computes only its first
                // half: half the FMAs, and no detour through a buffer when it is 8 wide.
                if (width <= 8)
                    f32_tile_avx2<with_residual, 1>(a, source, count, panel, p0, out, epilogue);
                else
                    f32_tile_avx2<with_residual, 2>(a, source, count, panel, p0, out, epilogue);
            }
        }
    }

    // One tile: `count` pixels (rows `a`) x the first Vectors x 8 channels of `panel`.
    template <bool with_residual, int Vectors>
    __attribute__((target("avx2,fma"), always_inline)) inline void f32_tile_avx2(
        const float* const* a, const PatchSource& source, int count, int panel, std::int64_t p0,
        float* out, const Epilogue& epilogue) const {
        constexpr int lanes = 8 * Vectors;
        const Activation activation = epilogue.activation;
        const float* const residual = epilogue.residual;
        const int depth = k_, outputs = n_;
        const float* b = packed_.data() + std::size_t(panel) * depth * panel_width;
        const float* bias = bias_.data() + std::size_t(panel) * panel_width;
        __m256 acc[tile_rows][Vectors];
        for (int r = 0; r < tile_rows; ++r)
            for (int v = 0; v < Vectors; ++v) acc[r][v] = _mm256_loadu_ps(bias + 8 * v);
        const int taps = source.taps(), tap_length = source.tap_length();
        for (int t = 0; t < taps; ++t) {
            const std::ptrdiff_t offset = source.tap_offset(t);
            for (int i = 0; i < tap_length; ++i, b += panel_width) {
                __m256 w[Vectors];
                for (int v = 0; v < Vectors; ++v) w[v] = _mm256_loadu_ps(b + 8 * v);
                for (int r = 0; r < tile_rows; ++r) {
                    const __m256 x = _mm256_broadcast_ss(a[r] + offset + i);
                    for (int v = 0; v < Vectors; ++v)
                        acc[r][v] = _mm256_fmadd_ps(x, w[v], acc[r][v]);
                }
            }
        }
        const int n0 = panel * panel_width, width = std::min(lanes, outputs - n0);
        const std::int64_t offset = p0 * outputs + n0;
        const bool full_tile = count == tile_rows && width == lanes;
        if constexpr (with_residual) {
            if (full_tile) {
                for (int r = 0; r < tile_rows; ++r)
                    for (int v = 0; v < Vectors; ++v)
                        acc[r][v] = _mm256_add_ps(
                            acc[r][v], _mm256_loadu_ps(residual + offset + r * outputs + 8 * v));
            } else {  // no reads past the residual's last pixel or channel
                alignas(32) float add[tile_rows][lanes] = {};
                for (int r = 0; r < count; ++r) {
                    const float* row = residual + offset + r * outputs;
                    std::copy(row, row + width, add[r]);
                }
                for (int r = 0; r < tile_rows; ++r)
                    for (int v = 0; v < Vectors; ++v)
                        acc[r][v] = _mm256_add_ps(acc[r][v], _mm256_load_ps(add[r] + 8 * v));
            }
        }
        for (int r = 0; r < tile_rows; ++r)
            for (int v = 0; v < Vectors; ++v)
                acc[r][v] = detail::activate_avx2(acc[r][v], activation);
        float* dst = out + offset;
        if (full_tile) {
            for (int r = 0; r < tile_rows; ++r)
                for (int v = 0; v < Vectors; ++v)
                    _mm256_storeu_ps(dst + r * outputs + 8 * v, acc[r][v]);
        } else {  // the last pixels or channels: through a buffer
            alignas(32) float tile[tile_rows][lanes];
            for (int r = 0; r < tile_rows; ++r)
                for (int v = 0; v < Vectors; ++v) _mm256_store_ps(tile[r] + 8 * v, acc[r][v]);
            for (int r = 0; r < count; ++r) std::copy(tile[r], tile[r] + width, dst + r * outputs);
        }
    }

    // A layer of at most 8 outputs (a 7-class head), on AVX2 and AVX-512 CPUs alike: tiles of
    // 12 pixels x one eight-float vector, 12 accumulators where the 6 x 16 tile would keep only 6
    // (too few to cover the FMA latency), and where AVX-512 is split into two 256-bit halves
    // (Zen 4) a sixteen-float FMA of which half is padding takes as long as two of these. Each
    // lane adds what the 6 x 16 tile's does, in the same order; the channels past the last are
    // masked. Apart from f32_gemm_avx512: sharing its tile loop made GCC lay out the main tile's
    // loop slower (4% on Human's 1x1 layers, Zen 4).
    static constexpr int narrow_rows = 12;

    template <bool with_residual>
    __attribute__((target("avx2,fma"), noinline)) void f32_gemm_narrow_avx2(
        const PatchSource& source, std::int64_t pixels, float* out,
        const Epilogue& epilogue) const {
        for (std::int64_t p0 = 0; p0 < pixels; p0 += narrow_rows) {
            const int count = int(std::min<std::int64_t>(narrow_rows, pixels - p0));
            const float* a[narrow_rows];
            for (int r = 0; r < narrow_rows; ++r)  // missing rows repeat the last one; not stored
                a[r] = source.row(p0 + std::min(r, count - 1));
            if (count <= 4)
                f32_narrow_tile_avx2<with_residual, 4>(a, source, count, p0, out, epilogue);
            else
                f32_narrow_tile_avx2<with_residual, narrow_rows>(a, source, count, p0, out,
                                                                 epilogue);
        }
    }

    // One tile of f32_gemm_narrow_avx2: `count` pixels (rows `a`, count <= Rows).
    template <bool with_residual, int Rows>
    __attribute__((target("avx2,fma"), always_inline)) inline void f32_narrow_tile_avx2(
        const float* const* a, const PatchSource& source, int count, std::int64_t p0, float* out,
        const Epilogue& epilogue) const {
        const int outputs = n_;
        const float* b = packed_.data();
        const __m256i lanes = _mm256_cmpgt_epi32(_mm256_set1_epi32(outputs),
                                                 _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
        __m256 acc[Rows];
        for (int r = 0; r < Rows; ++r) acc[r] = _mm256_loadu_ps(bias_.data());
        const int taps = source.taps(), tap_length = source.tap_length();
        for (int t = 0, k = 0; t < taps; ++t) {
            const std::ptrdiff_t offset = source.tap_offset(t);
            for (int i = 0; i < tap_length; ++i, ++k) {
                const __m256 w = _mm256_loadu_ps(b + std::size_t(k) * panel_width);
                for (int r = 0; r < Rows; ++r)
                    acc[r] = _mm256_fmadd_ps(_mm256_set1_ps(a[r][offset + i]), w, acc[r]);
            }
        }
        float* dst = out + p0 * outputs;
        const float* add = with_residual ? epilogue.residual + p0 * outputs : nullptr;
        for (int r = 0; r < Rows; ++r) {
            if (r >= count) break;
            __m256 y = acc[r];
            if constexpr (with_residual)  // masked: no reads past the residual's end
                y = _mm256_add_ps(y, _mm256_maskload_ps(add + r * outputs, lanes));
            _mm256_maskstore_ps(dst + r * outputs, lanes,
                                detail::activate_avx2(y, epilogue.activation));
        }
    }

    // The AVX-512 kernel: a tile of 12 output pixels x 32 channels (two panels) in 24 sixteen-float
    // accumulators (of 32 registers), per tap two panel loads, twelve broadcasts and 24 FMAs; each
    // lane does what the AVX2 tile's lane does, in the same order. A last lone panel runs a
    // 12 x 16 tile; channels past the last and pixels past the last are masked, not buffered.
    static constexpr int avx512_rows = 12;

    template <bool with_residual>
    __attribute__((target("avx512f,avx2,fma"))) void f32_gemm_avx512(
        const PatchSource& source, std::int64_t pixels, float* out,
        const Epilogue& epilogue) const {
        for (std::int64_t p0 = 0; p0 < pixels; p0 += avx512_rows) {
            const int count = int(std::min<std::int64_t>(avx512_rows, pixels - p0));
            // A last tile of a few pixels runs a shorter tile: 49 pixels (7 x 7) as four tiles
            // of 12 and one of 4 instead of 12, a fifth of the work less.
            if (count <= 4)
                f32_tiles_avx512<with_residual, 4>(source, count, p0, out, epilogue);
            else if (count <= 8)
                f32_tiles_avx512<with_residual, 8>(source, count, p0, out, epilogue);
            else
                f32_tiles_avx512<with_residual, avx512_rows>(source, count, p0, out, epilogue);
        }
    }

    // The tiles of pixels p0 .. p0 + count - 1 (count <= Rows) over all panels, two at a time.
    template <bool with_residual, int Rows>
    __attribute__((target("avx512f,avx2,fma"), always_inline)) inline void f32_tiles_avx512(
        const PatchSource& source, int count, std::int64_t p0, float* out,
        const Epilogue& epilogue) const {
        const float* a[Rows];
        for (int r = 0; r < Rows; ++r)  // missing rows repeat the last one; not stored
            a[r] = source.row(p0 + std::min(r, count - 1));
        int panel = 0;
        for (; panel + 1 < panels_; panel += 2)
            f32_tile_avx512<with_residual, 2, Rows>(a, source, count, panel, p0, out, epilogue);
        if (panel < panels_)
            f32_tile_avx512<with_residual, 1, Rows>(a, source, count, panel, p0, out, epilogue);
    }

    // One tile: `count` pixels (rows `a`, count <= Rows) x panels panel .. panel + Vectors - 1.
    template <bool with_residual, int Vectors, int Rows>
    __attribute__((target("avx512f,avx2,fma"), always_inline)) inline void f32_tile_avx512(
        const float* const* a, const PatchSource& source, int count, int panel, std::int64_t p0,
        float* out, const Epilogue& epilogue) const {
        const Activation activation = epilogue.activation;
        const float* const residual = epilogue.residual;
        const int depth = k_, outputs = n_;
        const float* b[Vectors];
        __mmask16 lanes[Vectors];  // the panel's real channels
        for (int v = 0; v < Vectors; ++v) {
            b[v] = packed_.data() + std::size_t(panel + v) * depth * panel_width;
            const int width = std::min(panel_width, outputs - (panel + v) * panel_width);
            lanes[v] = __mmask16((1u << width) - 1u);
        }
        const float* bias = bias_.data() + std::size_t(panel) * panel_width;
        __m512 acc[Rows][Vectors];
        for (int r = 0; r < Rows; ++r)
            for (int v = 0; v < Vectors; ++v) acc[r][v] = _mm512_loadu_ps(bias + 16 * v);
        const int taps = source.taps(), tap_length = source.tap_length();
        for (int t = 0, k = 0; t < taps; ++t) {
            const std::ptrdiff_t offset = source.tap_offset(t);
            for (int i = 0; i < tap_length; ++i, ++k) {
                __m512 w[Vectors];
                for (int v = 0; v < Vectors; ++v)
                    w[v] = _mm512_loadu_ps(b[v] + std::size_t(k) * 16);
                for (int r = 0; r < Rows; ++r) {
                    const __m512 x = _mm512_set1_ps(a[r][offset + i]);
                    for (int v = 0; v < Vectors; ++v)
                        acc[r][v] = _mm512_fmadd_ps(x, w[v], acc[r][v]);
                }
            }
        }
        float* dst = out + p0 * outputs + std::int64_t{panel} * panel_width;
        const float* add =
            with_residual ? residual + p0 * outputs + std::int64_t{panel} * panel_width : nullptr;
        for (int r = 0; r < Rows; ++r) {
            if (r >= count) break;
            for (int v = 0; v < Vectors; ++v) {
                __m512 y = acc[r][v];
                if constexpr (with_residual)  // masked: no reads past the residual's end
                    y = _mm512_add_ps(y,
                                      _mm512_maskz_loadu_ps(lanes[v], add + r * outputs + 16 * v));
                _mm512_mask_storeu_ps(dst + r * outputs + 16 * v, lanes[v],
                                      detail::activate_avx512(y, activation));
            }
        }
    }
#endif
#if FER_HAS_NEON
    // The AVX2 kernel's tile walk with four-float vectors: 6 x 4 accumulators, four panel
    // vectors and a broadcast fit NEON's 32 registers. Same constant trip counts and locals, and
    // the same half tile for a last panel of at most 8 channels.
    template <bool with_residual>
    void f32_gemm_6x16_neon(const float* rows, std::int64_t pixels, float* out,
                            const Epilogue& epilogue) const {
        const int depth = k_, outputs = n_, panels = panels_;
        for (std::int64_t p0 = 0; p0 < pixels; p0 += tile_rows) {
            const int count = int(std::min<std::int64_t>(tile_rows, pixels - p0));
            const float* a[tile_rows];
            for (int r = 0; r < tile_rows; ++r)  // missing rows repeat the last one; never stored
                a[r] = rows + std::size_t(p0 + std::min(r, count - 1)) * depth;
            for (int panel = 0; panel < panels; ++panel) {
                if (outputs - panel * panel_width <= 8)
                    f32_tile_neon<with_residual, 2>(a, count, panel, p0, out, epilogue);
                else
                    f32_tile_neon<with_residual, 4>(a, count, panel, p0, out, epilogue);
            }
        }
    }

    // One tile: `count` pixels (rows `a`) x the first Vectors x 4 channels of `panel`.
    template <bool with_residual, int Vectors>
    __attribute__((always_inline)) inline void f32_tile_neon(const float* const* a, int count,
                                                             int panel, std::int64_t p0, float* out,
                                                             const Epilogue& epilogue) const {
        constexpr int lanes = 4 * Vectors;
        const Activation activation = epilogue.activation;
        const float* const residual = epilogue.residual;
        const int depth = k_, outputs = n_;
        const float* b = packed_.data() + std::size_t(panel) * depth * panel_width;
        const float* bias = bias_.data() + std::size_t(panel) * panel_width;
        float32x4_t acc[tile_rows][Vectors];
        for (int r = 0; r < tile_rows; ++r)
            for (int j = 0; j < Vectors; ++j) acc[r][j] = vld1q_f32(bias + 4 * j);
        for (int k = 0; k < depth; ++k, b += panel_width) {
            float32x4_t w[Vectors];
            for (int j = 0; j < Vectors; ++j) w[j] = vld1q_f32(b + 4 * j);
            for (int r = 0; r < tile_rows; ++r) {
                const float32x4_t x = vdupq_n_f32(a[r][k]);
                for (int j = 0; j < Vectors; ++j) acc[r][j] = vfmaq_f32(acc[r][j], x, w[j]);
            }
        }
        const int n0 = panel * panel_width, width = std::min(lanes, outputs - n0);
        const std::int64_t offset = p0 * outputs + n0;
        const bool full_tile = count == tile_rows && width == lanes;
        if constexpr (with_residual) {
            float add[tile_rows][lanes] = {};  // no reads past the residual's end
            for (int r = 0; r < count; ++r) {
                const float* row = residual + offset + r * outputs;
                std::copy(row, row + width, add[r]);
            }
            for (int r = 0; r < tile_rows; ++r)
                for (int j = 0; j < Vectors; ++j)
                    acc[r][j] = vaddq_f32(acc[r][j], vld1q_f32(add[r] + 4 * j));
        }
        float* dst = out + offset;
        float tile[tile_rows][lanes];
        for (int r = 0; r < tile_rows; ++r)
            for (int j = 0; j < Vectors; ++j) {
                const float32x4_t v = detail::activate_neon(acc[r][j], activation);
                if (full_tile)
                    vst1q_f32(dst + r * outputs + 4 * j, v);
                else
                    vst1q_f32(tile[r] + 4 * j, v);
            }
        if (!full_tile)  // the last pixels or channels: through the buffer
            for (int r = 0; r < count; ++r) std::copy(tile[r], tile[r] + width, dst + r * outputs);
    }
#endif
};

}  // namespace fer

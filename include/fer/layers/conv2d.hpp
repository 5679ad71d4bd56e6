// fer/layers/conv2d.hpp - 2-D convolution with bias and a fused activation.
//
// Weights are stored [kernel_h][kernel_w][in_channels][out_channels] (TensorFlow's HWIO), which
// read as a (kernel_h * kernel_w * in_channels) x out_channels row-major matrix is exactly what
// the GEMM needs. A 1x1 stride-1 convolution is one GEMM straight over the input; others first
// gather the input patches (im2col) into the caller's scratch buffer.
#pragma once

#include <Eigen/Core>

#include <algorithm>
#include <vector>

#include "common.hpp"

namespace fer {

namespace detail {

// Calls tap(t, pixel) for each tap t = ky * kernel_w + kx of output pixel (oy, ox)'s window, in
// weight order, with the input pixel under it (iy * width + ix), or -1 where the tap falls
// outside the input. `gy`, `gx`: the layer's rows_geometry and columns_geometry for the input.
template <class Layer, class Tap>
void for_each_window_tap(const Layer& l, const Shape& in_shape, const AxisGeometry& gy,
                         const AxisGeometry& gx, int oy, int ox, Tap&& tap) {
    for (int ky = 0; ky < l.kernel_h; ++ky) {
        const int iy = oy * l.stride_h - gy.pad_before + ky;
        for (int kx = 0; kx < l.kernel_w; ++kx) {
            const int ix = ox * l.stride_w - gx.pad_before + kx;
            const bool inside = iy >= 0 && iy < in_shape.height && ix >= 0 && ix < in_shape.width;
            tap(ky * l.kernel_w + kx, inside ? std::ptrdiff_t{iy} * in_shape.width + ix : -1);
        }
    }
}

// Row p of the patch matrix (rows `row_stride` elements apart) is the receptive field of output
// pixel p in weight order (ky, kx, input channel); taps outside the input are zeros, and so is
// the tail of a row longer than the field. Shared by the float and int8 convolutions.
template <class Layer, class T>
void im2col(const Layer& l, const T* in, const Shape& in_shape, const Shape& o, T* dst,
            std::size_t row_stride) {
    const AxisGeometry gy = rows_geometry(l, in_shape.height);
    const AxisGeometry gx = columns_geometry(l, in_shape.width);
    const std::size_t run = std::size_t(in_shape.channels);
    const std::size_t field = std::size_t(l.kernel_h) * l.kernel_w * run;
    for (int oy = 0; oy < o.height; ++oy)
        for (int ox = 0; ox < o.width; ++ox, dst += row_stride) {
            for_each_window_tap(l, in_shape, gy, gx, oy, ox, [&](int t, std::ptrdiff_t pixel) {
                T* p = dst + std::size_t(t) * run;
                if (pixel < 0)
                    std::fill(p, p + run, T(0));
                else
                    std::copy_n(in + pixel * std::ptrdiff_t(run), run, p);
            });
            std::fill(dst + field, dst + row_stride, T(0));
        }
}

}  // namespace detail

struct Conv2D {
    int kernel_h = 1, kernel_w = 1;
    int stride_h = 1, stride_w = 1;
    Padding padding = Padding::same;
    Pads pads;  // with Padding::explicit_pads
    Activation activation = Activation::none;
    int in_channels = 0, out_channels = 0;
    std::vector<float> weights;  // [kernel_h][kernel_w][in_channels][out_channels]
    std::vector<float> bias;     // [out_channels]

    // Checks the parameters against each other. Throws: fer::error naming the inconsistency.
    void validate() const {
        detail::check_window("conv2d", *this);
        if (in_channels < 1 || out_channels < 1)
            detail::fail("conv2d channels", "at least 1",
                         detail::concat(in_channels, " in, ", out_channels, " out"));
        const std::size_t expected = std::size_t(kernel_h) * kernel_w * in_channels * out_channels;
        if (weights.size() != expected)
            detail::fail("conv2d weight count", expected, weights.size());
        if (bias.size() != std::size_t(out_channels))
            detail::fail("conv2d bias count", out_channels, bias.size());
    }

    // Throws: fer::error if the input has the wrong channel count or is smaller than a VALID
    // kernel.
    Shape output_shape(const Shape& input) const {
        detail::check_input_channels("conv2d", input, in_channels);
        return detail::window_output("conv2d", *this, input, out_channels);
    }

    // A 1x1 stride-1 convolution: its patch rows are the input pixels themselves, so the float
    // and int8 kernels read the input without gathering patches.
    bool pointwise() const {
        return kernel_h == 1 && kernel_w == 1 && stride_h == 1 && stride_w == 1;
    }

    // A face model's first layers (few input channels, 8, 16 or 32 outputs): a GEMM with a tiny
    // inner dimension spends its time gathering patches; broadcasting each input value into FMAs
    // on the outputs is several times faster. Whether forward() does that on this CPU.
    bool takes_direct_path() const {
#if FER_CONV_AVX2
        return (out_channels == 8 || out_channels == 16 || out_channels == 32) &&
               in_channels <= 16 && !(kernel_h == 1 && kernel_w == 1) && detail::cpu_has_avx2_fma();
#else
        return false;
#endif
    }

    // Requires: validate() passed, out.shape == output_shape(in.shape). Never throws (scratch may
    // grow, which can throw std::bad_alloc).
    void forward(const TensorView& in, const MutableTensorView& out,
                 std::vector<float>& scratch) const {
#if FER_CONV_AVX2
        if (takes_direct_path()) {
            if (out_channels == 8) return forward_direct_avx2<1, 4>(in, out);
            if (out_channels == 16) return forward_direct_avx2<2, 4>(in, out);
            return forward_direct_avx2<4, 2>(in, out);
        }
#endif
        using RowMajor = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
        const Shape o = out.shape;
        const Eigen::Index pixels = Eigen::Index(o.height) * o.width;
        const Eigen::Index depth = Eigen::Index(kernel_h) * kernel_w * in_channels;
        const float* patches = in.data;
        if (!pointwise()) {
            scratch.resize(std::size_t(pixels * depth));
            im2col(in, o, scratch.data());
            patches = scratch.data();
        }
        Eigen::Map<const RowMajor> a(patches, pixels, depth);
        Eigen::Map<const RowMajor> w(weights.data(), depth, out_channels);
        Eigen::Map<RowMajor> result(out.data, pixels, out_channels);
        result.noalias() = a * w;
        // Bias and activation in one pass over the output.
        const Eigen::Map<const Eigen::RowVectorXf> b(bias.data(), out_channels);
        result.rowwise() += b;
        if (activation == Activation::relu) result = result.cwiseMax(0.0f);
        if (activation == Activation::relu6) result = result.cwiseMax(0.0f).cwiseMin(6.0f);
    }

  private:
#if FER_CONV_AVX2
    // Output pixels `Pixels` at a time along x (independent FMA chains hide the FMA latency),
    // each with Vectors x 8 outputs in registers (Pixels x Vectors <= 8 accumulators); taps
    // outside the input are skipped per pixel. Loops over the accumulators have constant trip
    // counts, so that they stay in registers.
    template <int Vectors, int Pixels>
    __attribute__((target("avx2,fma"))) void forward_direct_avx2(
        const TensorView& in, const MutableTensorView& out) const {
        const detail::AxisGeometry gy = detail::rows_geometry(*this, in.shape.height);
        const detail::AxisGeometry gx = detail::columns_geometry(*this, in.shape.width);
        const int cin = in_channels, cout = Vectors * 8;
        for (int oy = 0; oy < out.shape.height; ++oy)
            for (int ox0 = 0; ox0 < out.shape.width; ox0 += Pixels) {
                const int pixels = std::min(Pixels, out.shape.width - ox0);
                __m256 acc[Pixels][Vectors];
                for (int p = 0; p < Pixels; ++p)
                    for (int v = 0; v < Vectors; ++v)
                        acc[p][v] = _mm256_loadu_ps(bias.data() + 8 * v);
                for (int ky = 0; ky < kernel_h; ++ky) {
                    const int iy = oy * stride_h - gy.pad_before + ky;
                    if (iy < 0 || iy >= in.shape.height) continue;
                    for (int kx = 0; kx < kernel_w; ++kx) {
                        const float* w = weights.data() + (std::size_t(ky) * kernel_w + kx) *
                                                              std::size_t(cin) * cout;
                        const float* x[Pixels];
                        bool inside[Pixels];
                        for (int p = 0; p < Pixels; ++p) {
                            const int ix = (ox0 + p) * stride_w - gx.pad_before + kx;
                            inside[p] = p < pixels && ix >= 0 && ix < in.shape.width;
                            x[p] = inside[p] ? &in.at(iy, ix, 0) : nullptr;
                        }
                        for (int ci = 0; ci < cin; ++ci) {
                            __m256 wv[Vectors];
                            for (int v = 0; v < Vectors; ++v)
                                wv[v] = _mm256_loadu_ps(w + ci * cout + 8 * v);
                            for (int p = 0; p < Pixels; ++p) {
                                if (!inside[p]) continue;
                                const __m256 xv = _mm256_broadcast_ss(x[p] + ci);
                                for (int v = 0; v < Vectors; ++v)
                                    acc[p][v] = _mm256_fmadd_ps(xv, wv[v], acc[p][v]);
                            }
                        }
                    }
                }
                for (int p = 0; p < Pixels; ++p) {
                    if (p >= pixels) break;
                    float* o = &out.at(oy, ox0 + p, 0);
                    for (int v = 0; v < Vectors; ++v) {
                        __m256 r = acc[p][v];
                        if (activation != Activation::none)
                            r = _mm256_max_ps(r, _mm256_setzero_ps());
                        if (activation == Activation::relu6)
                            r = _mm256_min_ps(r, _mm256_set1_ps(6.0f));
                        _mm256_storeu_ps(o + 8 * v, r);
                    }
                }
            }
    }
#endif

    void im2col(const TensorView& in, const Shape& o, float* dst) const {
        detail::im2col(*this, in.data, in.shape, o, dst,
                       std::size_t(kernel_h) * kernel_w * in_channels);
    }
};

}  // namespace fer

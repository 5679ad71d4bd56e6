// fer/layers/conv2d.hpp - 2-D convolution with bias and a fused activation.
//
// Weights are stored [kernel_h][kernel_w][in_channels][out_channels] (TensorFlow's HWIO), which
// read as a (kernel_h * kernel_w * in_channels) x out_channels row-major matrix is exactly what
// the GEMM needs. A 1x1 stride-1 convolution is one GEMM straight over the input; others first
// gather the input patches (im2col) into the caller's scratch buffer.
#pragma once

#include <Eigen/Core>

#include <vector>

#include "common.hpp"

namespace fer {

struct Conv2D {
    int kernel_h = 1, kernel_w = 1;
    int stride_h = 1, stride_w = 1;
    Padding padding = Padding::same;
    Activation activation = Activation::none;
    int in_channels = 0, out_channels = 0;
    std::vector<float> weights;  // [kernel_h][kernel_w][in_channels][out_channels]
    std::vector<float> bias;     // [out_channels]

    // Checks the parameters against each other. Throws: fer::error naming the inconsistency.
    void validate() const {
        detail::check_window("conv2d", kernel_h, kernel_w, stride_h, stride_w);
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
        return detail::window_output("conv2d", input, kernel_h, kernel_w, stride_h, stride_w,
                                     padding, out_channels);
    }

    // Requires: validate() passed, out.shape == output_shape(in.shape). Never throws (scratch may
    // grow, which can throw std::bad_alloc).
    void forward(const TensorView& in, const MutableTensorView& out,
                 std::vector<float>& scratch) const {
        using RowMajor = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
        const Shape o = out.shape;
        const Eigen::Index pixels = Eigen::Index(o.height) * o.width;
        const Eigen::Index depth = Eigen::Index(kernel_h) * kernel_w * in_channels;
        const float* patches = in.data;
        const bool pointwise = kernel_h == 1 && kernel_w == 1 && stride_h == 1 && stride_w == 1;
        if (!pointwise) {
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
    // Row p of the patch matrix is the receptive field of output pixel p, in weight order;
    // taps outside the input are zeros.
    void im2col(const TensorView& in, const Shape& o, float* dst) const {
        const detail::AxisGeometry gy =
            detail::axis_geometry(in.shape.height, kernel_h, stride_h, padding);
        const detail::AxisGeometry gx =
            detail::axis_geometry(in.shape.width, kernel_w, stride_w, padding);
        const std::size_t run = std::size_t(in_channels);
        for (int oy = 0; oy < o.height; ++oy)
            for (int ox = 0; ox < o.width; ++ox)
                for (int ky = 0; ky < kernel_h; ++ky) {
                    const int iy = oy * stride_h - gy.pad_before + ky;
                    for (int kx = 0; kx < kernel_w; ++kx, dst += run) {
                        const int ix = ox * stride_w - gx.pad_before + kx;
                        if (iy < 0 || iy >= in.shape.height || ix < 0 || ix >= in.shape.width)
                            std::fill(dst, dst + run, 0.0f);
                        else
                            std::copy_n(&in.at(iy, ix, 0), run, dst);
                    }
                }
    }
};

}  // namespace fer

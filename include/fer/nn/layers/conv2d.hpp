// fer/nn/layers/conv2d.hpp - 2-D convolution with bias and a fused activation.
//
// Weights are stored [kernel_h][kernel_w][in_channels][out_channels] (TensorFlow's HWIO), which
// read as a (kernel_h * kernel_w * in_channels) x out_channels row-major matrix is exactly what
// the GEMM needs. A 1x1 stride-1 convolution is one GEMM straight over the input; for others the
// AVX-512 packed kernel reads the windows in place and the rest first gather the input patches
// (im2col) into the context's buffer. Kernels: fer/nn/kernels/.
#pragma once

#include <Eigen/Core>

#include <array>
#include <memory>
#include <vector>

#include "../../model/layer_io.hpp"
#include "../kernels/conv2d_f32_packed.hpp"
#include "../kernels/conv2d_qs8.hpp"
#include "../kernels/f32_conv_direct_avx2.hpp"
#include "../layer.hpp"
#include "../window.hpp"

namespace fer {

struct Conv2D : ConvGeometry {
    static constexpr std::array<const char*, 1> file_types{"conv2d"};
    static constexpr int input_count = 1;
    const char* file_type() const { return file_types[0]; }

    std::vector<float> weights;  // [kernel_h][kernel_w][in_channels][out_channels]
    std::vector<float> bias;     // [out_channels]
    // The int8 form (from an int8 model file or calibrate_int8), used with Precision::int8; it
    // must have been made from these weights and bias.
    std::shared_ptr<const Int8Conv2D> int8;
    // The weights packed for this CPU's GEMM kernel (prepare(); shared by copies).
    std::shared_ptr<const PackedConv2D> packed;

    // Checks the parameters against each other. Throws: fer::error naming the inconsistency.
    void validate() const {
        detail::check_window("conv2d", *this);
        constexpr int most = limits::max_layer_channels;
        if (in_channels < 1 || out_channels < 1 || in_channels > most || out_channels > most)
            detail::fail("conv2d channels", detail::concat("1 to ", most),
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

    // Packs the weights for the GEMM kernel where that is faster than Eigen's (worthwhile()).
    // Throws: fer::error if the layer is inconsistent.
    void prepare() {
        packed =
            PackedConv2D::worthwhile(*this) ? std::make_shared<const PackedConv2D>(*this) : nullptr;
    }

    // A face model's first layers (few input channels, 8, 16, 24 or 32 outputs) run the direct
    // kernel (fer/nn/kernels/f32_conv_direct_avx2.hpp) where this CPU has it.
    bool takes_direct_path() const {
        return (out_channels == 8 || out_channels == 16 || out_channels == 24 ||
                out_channels == 32) &&
               in_channels <= 16 && !(kernel_h == 1 && kernel_w == 1) && detail::cpu_has_avx2_fma();
    }

    // The int8 form with Precision::int8, else the direct kernel, the packed weights, or im2col
    // and Eigen's GEMM, the fastest this layer and CPU have.
    void forward(const TensorView& in, const MutableTensorView& out, LayerContext& context) const {
        if (int8 && context.precision == Precision::int8)
            return int8->forward(in, out, context.int8);
#if FER_HAS_AVX2
        if (takes_direct_path()) return detail::f32_conv_direct(*this, in, out, context.patches);
#endif
        if (packed) return packed->forward(in, out, context.patches);
        forward_eigen(in, out, context.patches);
    }

    // Whether forward_residual() runs at `precision`: the packed fp32 path with no activation of
    // its own (the add's activation comes after the sum).
    bool fuses_residual(Precision precision) const {
        return packed && activation == Activation::none && !(int8 && precision == Precision::int8);
    }

    // activation(this convolution + residual), the residual of the output's shape (out itself,
    // or apart from it): a residual connection's add computed in the convolution's epilogue.
    // Requires: fuses_residual().
    void forward_residual(const TensorView& in, const TensorView& residual,
                          const MutableTensorView& out, Activation after,
                          LayerContext& context) const {
        packed->forward(in, out, context.patches, {residual.data, after});
    }

    // im2col (skipped for 1x1 stride 1) and Eigen's GEMM: the portable path.
    void forward_eigen(const TensorView& in, const MutableTensorView& out,
                       std::vector<float>& patches_buffer) const {
        using RowMajor = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
        const Shape o = out.shape;
        const Eigen::Index pixels = Eigen::Index(o.height) * o.width;
        const Eigen::Index k = depth();
        const float* patches = in.data;
        if (!pointwise()) {
            patches_buffer.resize(std::size_t(pixels * k));
            detail::im2col(*this, in.data, in.shape, o, patches_buffer.data(), std::size_t(k));
            patches = patches_buffer.data();
        }
        Eigen::Map<const RowMajor> a(patches, pixels, k);
        Eigen::Map<const RowMajor> w(weights.data(), k, out_channels);
        Eigen::Map<RowMajor> result(out.data, pixels, out_channels);
        result.noalias() = a * w;
        // Bias and activation in one pass over the output.
        const Eigen::Map<const Eigen::RowVectorXf> b(bias.data(), out_channels);
        result.rowwise() += b;
        if (activation == Activation::relu) result = result.cwiseMax(0.0f);
        if (activation == Activation::relu6) result = result.cwiseMax(0.0f).cwiseMin(6.0f);
    }

    // Keys: kernel, stride, padding (pads), activation, outputs; tensors weight (F32, or I8 with
    // weight_scale: then the layer also gets its int8 form) and bias.
    static Conv2D read(const LayerReader& r) {
        Conv2D l;
        r.window(l);
        l.activation = r.activation();
        l.in_channels = r.input().channels;
        l.out_channels = r.channels("outputs");
        const std::vector<std::int64_t> dims{l.out_channels, l.in_channels, l.kernel_w, l.kernel_h};
        l.weights = r.weights("weight", dims);
        l.bias = r.weights("bias", {l.out_channels});
        if (r.is_int8("weight")) {
            l.validate();
            try {
                l.int8 =
                    std::make_shared<const Int8Conv2D>(l, r.int8_weights("weight", l.out_channels));
            } catch (const error& e) {
                throw error(r.where() + ": " + e.what());
            }
        }
        return l;
    }

    // With int8 weights asked for, the int8 form's weights exactly as it computes, where it has
    // one; else this layer's weights quantized if it is deep enough.
    void write(LayerWriter& w) const {
        w.window(*this);
        w.activation(activation);
        w.uint32("outputs", std::uint32_t(out_channels));
        const std::vector<std::int64_t> dims{out_channels, in_channels, kernel_w, kernel_h};
        if (w.int8_weights() && int8)
            w.int8("weight", dims, int8->quantized());
        else
            w.weights(weights, dims, depth());
        w.f32("bias", bias, {out_channels});
    }
};

}  // namespace fer

// fer/nn/layers/dense.hpp - fully connected layer.
#pragma once

#include <Eigen/Core>

#include <array>
#include <vector>

#include "../../model/layer_io.hpp"
#include "../layer.hpp"

namespace fer {

// out = activation(in . weights + bias), the input flattened in HWC order.
struct Dense {
    static constexpr std::array<const char*, 1> file_types{"dense"};
    static constexpr int input_count = 1;
    const char* file_type() const { return file_types[0]; }

    int inputs = 0, outputs = 0;
    Activation activation = Activation::none;
    std::vector<float> weights;  // [inputs][outputs]
    std::vector<float> bias;     // [outputs]

    void validate() const {
        constexpr int most = limits::max_layer_channels;
        if (inputs < 1 || outputs < 1 || outputs > most)
            detail::fail("dense sizes", detail::concat("at least 1 in, 1 to ", most, " out"),
                         detail::concat(inputs, " in, ", outputs, " out"));
        if (weights.size() != std::size_t(inputs) * outputs)
            detail::fail("dense weight count", std::size_t(inputs) * outputs, weights.size());
        if (bias.size() != std::size_t(outputs))
            detail::fail("dense bias count", outputs, bias.size());
    }

    Shape output_shape(const Shape& input) const {
        if (input.size() != inputs)
            detail::fail("dense input size", inputs,
                         detail::concat(input.size(), " (", detail::describe(input), ")"));
        return Shape{1, 1, outputs};
    }

    void forward(const TensorView& in, const MutableTensorView& out, LayerContext&) const {
        using RowMajor = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
        Eigen::Map<const Eigen::RowVectorXf> x(in.data, inputs);
        Eigen::Map<const RowMajor> w(weights.data(), inputs, outputs);
        Eigen::Map<Eigen::RowVectorXf> y(out.data, outputs);
        y.noalias() = x * w;
        y += Eigen::Map<const Eigen::RowVectorXf>(bias.data(), outputs);
        for (int i = 0; i < outputs; ++i) out.data[i] = detail::activate(out.data[i], activation);
    }

    // Keys: outputs, activation; tensors weight and bias. The input count is the input's size.
    static Dense read(const LayerReader& r) {
        Dense l;
        l.inputs = int(r.input().size());
        l.outputs = r.channels("outputs");
        l.activation = r.activation();
        l.weights = r.weights("weight", {l.outputs, l.inputs});
        l.bias = r.weights("bias", {l.outputs});
        return l;
    }

    void write(LayerWriter& w) const {
        w.activation(activation);
        w.uint32("outputs", std::uint32_t(outputs));
        w.weights(weights, {outputs, inputs}, inputs);
        w.f32("bias", bias, {outputs});
    }
};

}  // namespace fer

// fer/layers/dense.hpp - fully connected layer, softmax, and the elementwise sum of residual
// connections.
#pragma once

#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <vector>

#include "common.hpp"

namespace fer {

// out = activation(in . weights + bias), the input flattened in HWC order.
struct Dense {
    int inputs = 0, outputs = 0;
    Activation activation = Activation::none;
    std::vector<float> weights;  // [inputs][outputs]
    std::vector<float> bias;     // [outputs]

    void validate() const {
        if (inputs < 1 || outputs < 1)
            detail::fail("dense sizes", "at least 1",
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

    void forward(const TensorView& in, const MutableTensorView& out) const {
        using RowMajor = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
        Eigen::Map<const Eigen::RowVectorXf> x(in.data, inputs);
        Eigen::Map<const RowMajor> w(weights.data(), inputs, outputs);
        Eigen::Map<Eigen::RowVectorXf> y(out.data, outputs);
        y.noalias() = x * w;
        y += Eigen::Map<const Eigen::RowVectorXf>(bias.data(), outputs);
        for (int i = 0; i < outputs; ++i) out.data[i] = detail::activate(out.data[i], activation);
    }
};

// Probabilities from scores, in place: exp(v - max) / sum, stable for large scores.
inline void softmax(const MutableTensorView& v) {
    const std::int64_t n = v.size();
    const float top = *std::max_element(v.data, v.data + n);
    float total = 0.0f;
    for (std::int64_t i = 0; i < n; ++i) total += v.data[i] = std::exp(v.data[i] - top);
    for (std::int64_t i = 0; i < n; ++i) v.data[i] /= total;
}

namespace detail {

// The sum and its activation in one pass, with the common input counts spelled out so that each
// loop vectorizes (a loop over a runtime number of inputs inside the element loop does not). The
// activation is a branch-free max/min: a ReLU written as a conditional store compiled to a
// branch per element, mispredicted on about half of them (measured: half of face-api's time).
template <class Activate>
void add_activated(const std::vector<TensorView>& inputs, const MutableTensorView& out,
                   Activate activate) {
    const std::int64_t n = out.size();
    float* dst = out.data;
    const float* a = inputs[0].data;
    const float* b = inputs[1].data;
    if (inputs.size() == 2) {
        for (std::int64_t i = 0; i < n; ++i) dst[i] = activate(a[i] + b[i]);
    } else if (inputs.size() == 3) {
        const float* c = inputs[2].data;
        for (std::int64_t i = 0; i < n; ++i) dst[i] = activate(a[i] + (b[i] + c[i]));
    } else if (inputs.size() == 4) {
        const float* c = inputs[2].data;
        const float* d = inputs[3].data;
        for (std::int64_t i = 0; i < n; ++i) dst[i] = activate(a[i] + (b[i] + (c[i] + d[i])));
    } else {
        for (std::int64_t i = 0; i < n; ++i) dst[i] = a[i] + b[i];
        for (std::size_t k = 2; k < inputs.size(); ++k)
            for (std::int64_t i = 0; i < n; ++i) dst[i] += inputs[k].data[i];
        for (std::int64_t i = 0; i < n; ++i) dst[i] = activate(dst[i]);
    }
}

}  // namespace detail

// out = activation(sum of the inputs), all of one shape (residual and dense-block joins).
// Throws: fer::error if the shapes differ or there are fewer than two inputs.
inline void add(const std::vector<TensorView>& inputs, const MutableTensorView& out,
                Activation activation = Activation::none) {
    if (inputs.size() < 2) detail::fail("add inputs", "at least 2", inputs.size());
    for (const TensorView& t : inputs)
        if (t.shape != out.shape)
            detail::fail("add input shape", detail::describe(out.shape), detail::describe(t.shape));
    switch (activation) {
        case Activation::none:
            return detail::add_activated(inputs, out, [](float v) { return v; });
        case Activation::relu:
            return detail::add_activated(inputs, out, [](float v) { return std::max(v, 0.0f); });
        case Activation::relu6:
            return detail::add_activated(inputs, out,
                                         [](float v) { return std::min(std::max(v, 0.0f), 6.0f); });
    }
}

}  // namespace fer

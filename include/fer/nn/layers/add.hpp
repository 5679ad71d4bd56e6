// fer/nn/layers/add.hpp - the elementwise sum of residual connections, with an activation.
#pragma once

#include <algorithm>
#include <array>
#include <vector>

#include "../../model/layer_io.hpp"
#include "../layer.hpp"

namespace fer {

namespace detail {

// The sum and its activation in one pass, with the common input counts spelled out so that each
// loop vectorizes (a loop over a runtime number of inputs inside the element loop does not). The
// activation is a branch-free max/min: a ReLU written as a conditional store compiled to a
// branch per element, mispredicted on about half of them.
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

struct AddLayer {
    static constexpr std::array<const char*, 1> file_types{"add"};
    static constexpr int input_count = 0;  // two or more
    const char* file_type() const { return file_types[0]; }

    Activation activation = Activation::none;

    void validate() const {}

    // Throws: fer::error for fewer than two inputs or inputs of different shapes.
    Shape output_shape(const std::vector<Shape>& inputs) const {
        if (inputs.size() < 2) detail::fail("add inputs", "at least 2", inputs.size());
        for (const Shape& s : inputs)
            if (s != inputs[0])
                detail::fail("add input shapes", detail::describe(inputs[0]), detail::describe(s));
        return inputs[0];
    }

    void forward(const std::vector<TensorView>& in, const MutableTensorView& out,
                 LayerContext&) const {
        add(in, out, activation);
    }

    // Key: activation.
    static AddLayer read(const LayerReader& r) { return AddLayer{r.activation()}; }
    void write(LayerWriter& w) const { w.activation(activation); }
};

}  // namespace fer

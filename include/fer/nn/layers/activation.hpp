// fer/nn/layers/activation.hpp - a standalone activation.
//
// For a tensor that is read both before and after it: a ReLU whose input also feeds a residual
// branch cannot be fused into the layer that produced it.
#pragma once

#include <array>

#include "../../model/layer_io.hpp"
#include "../layer.hpp"

namespace fer {

struct ActivationLayer {
    static constexpr std::array<const char*, 1> file_types{"activation"};
    static constexpr int input_count = 1;
    const char* file_type() const { return file_types[0]; }

    Activation activation = Activation::relu;

    void validate() const {}
    Shape output_shape(const Shape& input) const { return input; }

    void forward(const TensorView& in, const MutableTensorView& out, LayerContext&) const {
        detail::activate_all(in.data, out.data, in.size(), activation);
    }

    // Key: activation.
    static ActivationLayer read(const LayerReader& r) { return ActivationLayer{r.activation()}; }
    void write(LayerWriter& w) const { w.activation(activation); }
};

}  // namespace fer

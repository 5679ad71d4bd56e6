// fer/nn/layers/pool2d.hpp - max and average pooling. Kernels: fer/nn/kernels/f32_pool.hpp.
//
// With SAME padding, max pooling ignores the padded taps (as if they were minus infinity) and
// average pooling divides by the number of real taps under the window, as TensorFlow does.
#pragma once

#include <array>

#include "../../model/layer_io.hpp"
#include "../kernels/f32_pool.hpp"
#include "../layer.hpp"
#include "../window.hpp"

namespace fer {

struct Pool2D {
    static constexpr std::array<const char*, 2> file_types{"max_pool2d", "average_pool2d"};
    static constexpr int input_count = 1;
    enum class Kind : std::uint8_t { max, average };
    const char* file_type() const { return file_types[kind == Kind::max ? 0 : 1]; }

    Kind kind = Kind::max;
    int kernel_h = 2, kernel_w = 2;
    int stride_h = 2, stride_w = 2;
    Padding padding = Padding::valid;
    Pads pads;  // with Padding::explicit_pads

    void validate() const { detail::check_window("pool2d", *this); }

    Shape output_shape(const Shape& input) const {
        return detail::window_output("pool2d", *this, input, input.channels);
    }

    // Requires: out.shape == output_shape(in.shape).
    void forward(const TensorView& in, const MutableTensorView& out, LayerContext&) const {
#if FER_HAS_AVX2 || FER_HAS_NEON
        if (kind == Kind::max && detail::max_pool_vector_serves(in.shape.channels))
            return detail::f32_max_pool_vector(*this, in, out);
#endif
        detail::f32_pool_plain(*this, kind == Kind::max, in, out);
    }

    // Keys: kernel, stride, padding (pads); the kind is the file type.
    static Pool2D read(const LayerReader& r) {
        Pool2D l;
        l.kind = r.type() == file_types[0] ? Kind::max : Kind::average;
        r.window(l);
        return l;
    }

    void write(LayerWriter& w) const {
        w.window(*this);
    }
};

}  // namespace fer

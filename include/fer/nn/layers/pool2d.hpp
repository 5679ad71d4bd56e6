// fer/nn/layers/pool2d.hpp - max and average pooling.
//
// With SAME padding, max pooling ignores the padded taps (as if they were minus infinity) and
// average pooling divides by the number of real taps under the window, as TensorFlow does.
#pragma once

#include <array>
#include <limits>

#include "../../model/layer_io.hpp"
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
        const detail::AxisGeometry gy = detail::rows_geometry(*this, in.shape.height);
        const detail::AxisGeometry gx = detail::columns_geometry(*this, in.shape.width);
        const int channels = in.shape.channels;
        for (int oy = 0; oy < out.shape.height; ++oy)
            for (int ox = 0; ox < out.shape.width; ++ox) {
                const int y0 = std::max(oy * stride_h - gy.pad_before, 0);
                const int y1 = std::min(oy * stride_h - gy.pad_before + kernel_h, in.shape.height);
                const int x0 = std::max(ox * stride_w - gx.pad_before, 0);
                const int x1 = std::min(ox * stride_w - gx.pad_before + kernel_w, in.shape.width);
                float* acc = &out.at(oy, ox, 0);
                const float start =
                    kind == Kind::max ? -std::numeric_limits<float>::infinity() : 0.0f;
                std::fill(acc, acc + channels, start);
                for (int iy = y0; iy < y1; ++iy)
                    for (int ix = x0; ix < x1; ++ix) {
                        const float* x = &in.at(iy, ix, 0);
                        if (kind == Kind::max)
                            for (int c = 0; c < channels; ++c) acc[c] = std::max(acc[c], x[c]);
                        else
                            for (int c = 0; c < channels; ++c) acc[c] += x[c];
                    }
                if (kind == Kind::average) {
                    const float inverse = 1.0f / float((y1 - y0) * (x1 - x0));
                    for (int c = 0; c < channels; ++c) acc[c] *= inverse;
                }
            }
    }

    // Keys: kernel, stride, padding (pads); the kind is the file type.
    static Pool2D read(const LayerReader& r) {
        Pool2D l;
        l.kind = r.type() == file_types[0] ? Kind::max : Kind::average;
        r.window(l);
        return l;
    }

    void write(LayerWriter& w) const { w.window(*this); }
};

}  // namespace fer

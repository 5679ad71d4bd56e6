// tests/reference/reference_layers.hpp - the layers written as plainly as possible: the tests'
// oracle, never installed.
//
// Each output is computed from its definition in double precision, with no reordering, no
// blocking and no vector code. Tests compare the real kernels with these. Alongside each output
// the functions return the sum of the absolute values of its terms, which bounds the rounding
// error a float kernel may legitimately make.
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include <fer/nn/batchnorm.hpp>
#include <fer/nn/layers.hpp>
#include <fer/nn/tensor.hpp>

namespace fer::reference {

struct ReferenceResult {
    Shape shape;
    std::vector<double> values;
    std::vector<double> magnitude;  // sum of |terms| per output
};

inline double reference_activate(double v, Activation a) {
    if (a == Activation::relu) return std::max(v, 0.0);
    if (a == Activation::relu6) return std::min(std::max(v, 0.0), 6.0);
    return v;
}

// Calls tap(ky, kx, iy, ix) for every kernel tap of output pixel (oy, ox) that falls inside
// the input, from the layer's kernel, stride and padding.
template <class Layer, class Tap>
void for_each_tap(const Layer& layer, const Shape& in, int oy, int ox, Tap tap) {
    const detail::AxisGeometry gy = detail::rows_geometry(layer, in.height);
    const detail::AxisGeometry gx = detail::columns_geometry(layer, in.width);
    for (int ky = 0; ky < layer.kernel_h; ++ky)
        for (int kx = 0; kx < layer.kernel_w; ++kx) {
            const int iy = oy * layer.stride_h - gy.pad_before + ky;
            const int ix = ox * layer.stride_w - gx.pad_before + kx;
            if (iy >= 0 && iy < in.height && ix >= 0 && ix < in.width) tap(ky, kx, iy, ix);
        }
}

inline ReferenceResult conv2d_reference(const Conv2D& layer, const TensorView& in) {
    ReferenceResult r;
    r.shape = layer.output_shape(in.shape);
    for (int oy = 0; oy < r.shape.height; ++oy)
        for (int ox = 0; ox < r.shape.width; ++ox)
            for (int co = 0; co < layer.out_channels; ++co) {
                double sum = layer.bias[std::size_t(co)], magnitude = std::abs(sum);
                for_each_tap(layer, in.shape, oy, ox, [&](int ky, int kx, int iy, int ix) {
                    for (int ci = 0; ci < layer.in_channels; ++ci) {
                        const std::size_t w =
                            ((std::size_t(ky) * layer.kernel_w + kx) * layer.in_channels + ci) *
                                layer.out_channels +
                            co;
                        const double term = double(in.at(iy, ix, ci)) * layer.weights[w];
                        sum += term;
                        magnitude += std::abs(term);
                    }
                });
                r.values.push_back(reference_activate(sum, layer.activation));
                r.magnitude.push_back(magnitude);
            }
    return r;
}

inline ReferenceResult depthwise_reference(const DepthwiseConv2D& layer, const TensorView& in) {
    ReferenceResult r;
    r.shape = layer.output_shape(in.shape);
    for (int oy = 0; oy < r.shape.height; ++oy)
        for (int ox = 0; ox < r.shape.width; ++ox)
            for (int c = 0; c < layer.channels; ++c) {
                double sum = layer.bias[std::size_t(c)], magnitude = std::abs(sum);
                for_each_tap(layer, in.shape, oy, ox, [&](int ky, int kx, int iy, int ix) {
                    const std::size_t w =
                        (std::size_t(ky) * layer.kernel_w + kx) * layer.channels + c;
                    const double term = double(in.at(iy, ix, c)) * layer.weights[w];
                    sum += term;
                    magnitude += std::abs(term);
                });
                r.values.push_back(reference_activate(sum, layer.activation));
                r.magnitude.push_back(magnitude);
            }
    return r;
}

inline ReferenceResult pool_reference(const Pool2D& layer, const TensorView& in) {
    ReferenceResult r;
    r.shape = layer.output_shape(in.shape);
    for (int oy = 0; oy < r.shape.height; ++oy)
        for (int ox = 0; ox < r.shape.width; ++ox)
            for (int c = 0; c < in.shape.channels; ++c) {
                double best = -std::numeric_limits<double>::infinity(), sum = 0, magnitude = 0;
                int taps = 0;
                for_each_tap(layer, in.shape, oy, ox, [&](int, int, int iy, int ix) {
                    const double v = in.at(iy, ix, c);
                    best = std::max(best, v);
                    sum += v;
                    magnitude += std::abs(v);
                    ++taps;
                });
                r.values.push_back(layer.kind == Pool2D::Kind::max ? best : sum / taps);
                r.magnitude.push_back(layer.kind == Pool2D::Kind::max ? std::abs(best)
                                                                      : magnitude / taps);
            }
    return r;
}

inline ReferenceResult dense_reference(const Dense& layer, const TensorView& in) {
    ReferenceResult r;
    r.shape = layer.output_shape(in.shape);
    for (int o = 0; o < layer.outputs; ++o) {
        double sum = layer.bias[std::size_t(o)], magnitude = std::abs(sum);
        for (int i = 0; i < layer.inputs; ++i) {
            const double term =
                double(in.data[i]) * layer.weights[std::size_t(i) * layer.outputs + o];
            sum += term;
            magnitude += std::abs(term);
        }
        r.values.push_back(reference_activate(sum, layer.activation));
        r.magnitude.push_back(magnitude);
    }
    return r;
}

// Each pixel's channels, then layer.added zeros.
inline ReferenceResult channel_pad_reference(const ChannelPad& layer, const TensorView& in) {
    ReferenceResult r;
    r.shape = Shape{in.shape.height, in.shape.width, in.shape.channels + layer.added};
    for (int y = 0; y < in.shape.height; ++y)
        for (int x = 0; x < in.shape.width; ++x)
            for (int c = 0; c < r.shape.channels; ++c) {
                const double v = c < in.shape.channels ? double(in.at(y, x, c)) : 0.0;
                r.values.push_back(v);
                r.magnitude.push_back(std::abs(v));
            }
    return r;
}

inline ReferenceResult global_average_pool_reference(const TensorView& in) {
    ReferenceResult r;
    r.shape = Shape{1, 1, in.shape.channels};
    for (int c = 0; c < in.shape.channels; ++c) {
        double sum = 0, magnitude = 0;
        for (int y = 0; y < in.shape.height; ++y)
            for (int x = 0; x < in.shape.width; ++x)
                sum += in.at(y, x, c), magnitude += std::abs(in.at(y, x, c));
        const double n = double(in.shape.height) * in.shape.width;
        r.values.push_back(sum / n);
        r.magnitude.push_back(magnitude / n);
    }
    return r;
}

// (x - mean) / sqrt(variance + epsilon) * gamma + beta, straight from the definition.
inline ReferenceResult batchnorm_reference(const BatchNorm& bn, const TensorView& in) {
    ReferenceResult r;
    r.shape = in.shape;
    for (std::int64_t i = 0; i < in.size(); ++i) {
        const std::size_t c = std::size_t(i % in.shape.channels);
        const double v = (double(in.data[i]) - bn.mean[c]) /
                             std::sqrt(double(bn.variance[c]) + bn.epsilon) * bn.gamma[c] +
                         bn.beta[c];
        r.values.push_back(v);
        r.magnitude.push_back(std::abs(v) + std::abs(double(in.data[i])) +
                              std::abs(double(bn.beta[c])));
    }
    return r;
}

}  // namespace fer::reference

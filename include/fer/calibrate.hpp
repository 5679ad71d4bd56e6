// fer/calibrate.hpp - int8 activation scales from sample inputs.
//
// calibrate_int8 runs the fp32 network on sample inputs (normalized tensors, as forward takes
// them), and gives every convolution its int8 form (fer/quant.hpp):
//   - activation scale: from a histogram of the |x| the convolution reads, the clipping level c
//     that minimizes the expected squared quantization error (values above c clip to c; below,
//     rounding to steps of c / 127 adds step^2 / 12), searched from the maximum down to a tenth
//     of it. A plain maximum wastes most of the 8 bits on rare outliers;
//   - weights: quantized per output channel, and the bias corrected for the mean shift the
//     weight rounding causes: b -= sum over taps of (w' - w) * mean input of the tap's channel.
//     The convolution itself takes the rounded weights and corrected bias too, so that fp32
//     arithmetic computes what an int8 model file holds.
// Convolutions with fewer than min_int8_depth multiply-adds per output (fer/quant.hpp) stay
// fp32, weights included.
#pragma once

#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

#include "error.hpp"
#include "network.hpp"
#include "quant.hpp"

namespace fer {

namespace detail {

// The clipping level minimizing the expected squared error of quantizing values distributed as
// `histogram` (bin i holds |x| in [i, i + 1) * width) to 127 steps.
inline float best_clipping(const std::vector<double>& histogram, double width) {
    const std::size_t bins = histogram.size();
    double best_error = -1, best = double(bins) * width;
    for (std::size_t top = bins; top >= bins / 10 && top > 0; --top) {
        const double clip = double(top) * width, step = clip / 127;
        double error = 0;
        for (std::size_t i = 0; i < bins; ++i) {
            const double x = (double(i) + 0.5) * width;
            error += histogram[i] * (x > clip ? (x - clip) * (x - clip) : step * step / 12);
        }
        if (best_error < 0 || error < best_error) best_error = error, best = clip;
    }
    return float(best);
}

}  // namespace detail

// Throws: fer::error if there are no inputs or an input has the wrong shape.
inline void calibrate_int8(Network& net, const std::vector<Tensor>& inputs) {
    if (inputs.empty()) detail::fail("calibration inputs", "at least one", 0);
    const std::vector<Network::Node>& nodes = net.nodes();
    constexpr std::size_t bins = 2048;
    std::vector<float> largest(nodes.size(), 0.0f);
    std::vector<std::vector<double>> means(nodes.size()), histograms(nodes.size());
    Network::Workspace ws;
    auto conv_input = [&](std::size_t n, const Tensor& input) {
        const int source = nodes[n].inputs[0];
        return source < 0 ? input.view() : ws.outputs[std::size_t(source)].view();
    };
    // Pass 1: the largest |x| and the mean of each channel; pass 2: histograms up to it.
    for (int pass = 1; pass <= 2; ++pass)
        for (const Tensor& input : inputs) {
            net.forward(input, ws);
            for (std::size_t n = 0; n < nodes.size(); ++n) {
                if (!std::holds_alternative<Conv2D>(nodes[n].layer)) continue;
                const TensorView x = conv_input(n, input);
                const std::size_t channels = std::size_t(x.shape.channels);
                if (pass == 1) {
                    means[n].resize(channels, 0.0);
                    for (std::int64_t i = 0; i < x.size(); ++i) {
                        largest[n] = std::max(largest[n], std::abs(x.data[i]));
                        means[n][std::size_t(i) % channels] +=
                            double(x.data[i]) * double(channels) /
                            (double(x.size()) * double(inputs.size()));
                    }
                } else {
                    histograms[n].resize(bins, 0.0);
                    const double width = std::max(double(largest[n]), 1e-30) / bins;
                    for (std::int64_t i = 0; i < x.size(); ++i)
                        histograms[n][std::min(bins - 1,
                                               std::size_t(std::abs(x.data[i]) / width))] += 1;
                }
            }
        }
    for (std::size_t n = 0; n < nodes.size(); ++n) {
        const auto* conv = std::get_if<Conv2D>(&nodes[n].layer);
        if (conv == nullptr || conv->kernel_h * conv->kernel_w * conv->in_channels < min_int8_depth)
            continue;
        Conv2D corrected = *conv;
        const QuantizedWeights q = quantize_per_channel(conv->weights, conv->out_channels);
        const std::vector<float> rounded = dequantize(q);
        const std::size_t cout = std::size_t(conv->out_channels),
                          cin = std::size_t(conv->in_channels);
        std::vector<double> shift(cout, 0.0);
        for (std::size_t i = 0; i < rounded.size(); ++i)
            shift[i % cout] += (double(rounded[i]) - conv->weights[i]) * means[n][(i / cout) % cin];
        for (std::size_t c = 0; c < cout; ++c) corrected.bias[c] = float(conv->bias[c] - shift[c]);
        corrected.weights = rounded;
        const float clip =
            largest[n] > 0 ? detail::best_clipping(histograms[n], double(largest[n]) / bins) : 0;
        auto int8 = std::make_shared<const Int8Conv2D>(corrected, q, activation_scale(clip));
        net.set_layer(n, std::move(corrected));
        net.set_int8(n, std::move(int8));
    }
}

}  // namespace fer

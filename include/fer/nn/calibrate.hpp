// fer/nn/calibrate.hpp - an int8 model prepared on sample inputs.
//
// calibrate_int8 runs the fp32 network on sample inputs (normalized tensors, as forward takes
// them), and gives every convolution its int8 form (fer/nn/quant.hpp):
//   - first, cross-layer equalization where a depthwise convolution feeds an int8 one (see
//     detail::equalize_depthwise_pairs): the same function, channel ranges evened out, so that
//     a row's one scale (the largest |x| of a pixel's channels) leaves the other channels more
//     than a few steps;
//   - weights: quantized per output channel, and the bias corrected for the mean shift the
//     weight rounding causes: b -= sum over taps of (w' - w) * mean input of the tap's channel.
//     The convolution itself takes the rounded weights and corrected bias too, so that fp32
//     arithmetic computes what an int8 model file holds.
// Activations need nothing calibrated: each row's scale is taken when it is read.
// Convolutions with fewer than min_int8_depth multiply-adds per output (fer/nn/quant.hpp) stay
// fp32, weights included.
#pragma once

#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

#include "../error.hpp"
#include "network.hpp"
#include "quant.hpp"

namespace fer {

namespace detail {

// Cross-layer equalization of each depthwise convolution without activation whose output only
// one int8 convolution reads: channel c of the depthwise output is divided by s_c and the
// convolution's weights on input c multiplied by s_c, which changes nothing in exact arithmetic.
// With s_c = sqrt(range of input c / range of its weights), every channel gets the same range
// in both, so the one scale of a row does not spend its steps on a few wide channels. The
// depthwise layer stays fp32 (fewer than min_int8_depth taps), so its scaling costs nothing.
inline void equalize_depthwise_pairs(Network& net, const std::vector<Tensor>& inputs) {
    const std::vector<Network::Node>& nodes = net.nodes();
    std::vector<int> readers(nodes.size(), 0);
    for (const Network::Node& node : nodes)
        for (int i : node.inputs)
            if (i >= 0) ++readers[std::size_t(i)];
    std::vector<std::size_t> pairs;  // the convolutions; their depthwise layer is inputs[0]
    for (std::size_t n = 0; n < nodes.size(); ++n) {
        const auto* conv = std::get_if<Conv2D>(&nodes[n].layer);
        const int source = nodes[n].inputs.empty() ? -1 : nodes[n].inputs[0];
        if (conv == nullptr || source < 0 || readers[std::size_t(source)] != 1 ||
            conv->depth() < min_int8_depth)
            continue;
        const auto* depthwise = std::get_if<DepthwiseConv2D>(&nodes[std::size_t(source)].layer);
        if (depthwise != nullptr && depthwise->activation == Activation::none) pairs.push_back(n);
    }
    if (pairs.empty()) return;
    std::vector<std::vector<float>> ranges(pairs.size());
    Network::Workspace ws;
    for (const Tensor& input : inputs) {
        std::size_t p = 0;  // the pairs come in node order
        // Each depthwise output is read as its convolution finishes (later nodes reuse it).
        net.forward(input, ws, Precision::fp32, [&](std::size_t n) {
            if (p == pairs.size() || n != pairs[p]) return;
            const TensorView x = net.node_output(ws, std::size_t(nodes[n].inputs[0])).view();
            const std::size_t channels = std::size_t(x.shape.channels);
            ranges[p].resize(channels, 0.0f);
            for (std::int64_t i = 0; i < x.size(); ++i)
                ranges[p][std::size_t(i) % channels] =
                    std::max(ranges[p][std::size_t(i) % channels], std::abs(x.data[i]));
            ++p;
        });
    }
    for (std::size_t p = 0; p < pairs.size(); ++p) {
        const std::size_t source = std::size_t(nodes[pairs[p]].inputs[0]);
        Conv2D conv = std::get<Conv2D>(nodes[pairs[p]].layer);
        DepthwiseConv2D depthwise = std::get<DepthwiseConv2D>(nodes[source].layer);
        const std::size_t cin = std::size_t(conv.in_channels),
                          cout = std::size_t(conv.out_channels);
        std::vector<float> weight_range(cin, 0.0f);
        for (std::size_t i = 0; i < conv.weights.size(); ++i)
            weight_range[(i / cout) % cin] =
                std::max(weight_range[(i / cout) % cin], std::abs(conv.weights[i]));
        std::vector<float> factor(cin, 1.0f);
        for (std::size_t c = 0; c < cin; ++c)
            if (ranges[p][c] > 0.0f && weight_range[c] > 0.0f)
                factor[c] = std::sqrt(ranges[p][c] / weight_range[c]);
        for (std::size_t i = 0; i < conv.weights.size(); ++i)
            conv.weights[i] *= factor[(i / cout) % cin];
        for (std::size_t i = 0; i < depthwise.weights.size(); ++i)
            depthwise.weights[i] /= factor[i % cin];
        for (std::size_t c = 0; c < cin; ++c) depthwise.bias[c] /= factor[c];
        conv.int8 = nullptr;  // made from the old weights
        net.set_layer(source, std::move(depthwise));
        net.set_layer(pairs[p], std::move(conv));
    }
}

}  // namespace detail

// `equalize`: first even out the channels of depthwise -> convolution pairs
// (detail::equalize_depthwise_pairs); off only to measure what it brings.
// Throws: fer::error if there are no inputs or an input has the wrong shape.
inline void calibrate_int8(Network& net, const std::vector<Tensor>& inputs, bool equalize = true) {
    if (inputs.empty()) detail::fail("calibration inputs", "at least one", 0);
    if (equalize) detail::equalize_depthwise_pairs(net, inputs);
    const std::vector<Network::Node>& nodes = net.nodes();
    std::vector<std::vector<double>> means(nodes.size());
    Network::Workspace ws;
    // The mean of each input channel of each convolution, for the bias correction.
    for (const Tensor& input : inputs) {
        // Read as each convolution finishes, while its input lives.
        net.forward(input, ws, Precision::fp32, [&](std::size_t n) {
            if (!std::holds_alternative<Conv2D>(nodes[n].layer)) return;
            const int source = nodes[n].inputs[0];
            const TensorView x =
                source < 0 ? input.view() : net.node_output(ws, std::size_t(source)).view();
            const std::size_t channels = std::size_t(x.shape.channels);
            means[n].resize(channels, 0.0);
            for (std::int64_t i = 0; i < x.size(); ++i)
                means[n][std::size_t(i) % channels] += double(x.data[i]) * double(channels) /
                                                       (double(x.size()) * double(inputs.size()));
        });
    }
    for (std::size_t n = 0; n < nodes.size(); ++n) {
        const auto* conv = std::get_if<Conv2D>(&nodes[n].layer);
        if (conv == nullptr || conv->depth() < min_int8_depth) continue;
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
        corrected.int8 = std::make_shared<const Int8Conv2D>(corrected, q);
        net.set_layer(n, std::move(corrected));
    }
}

}  // namespace fer

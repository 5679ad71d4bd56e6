#include <fer/detail/reference_layers.hpp>
#include <fer/quant.hpp>

#include <random>

#include "helpers.hpp"

namespace {

float random_float(float lo, float hi) {
    return std::uniform_real_distribution<float>(lo, hi)(test::rng());
}

}  // namespace

TEST_CASE("per-channel int8 weights stay within half a scale of the originals") {
    INFO("seed ", test::seed());
    for (int channels : {1, 3, 7, 13, 32}) {
        // Channels of very different magnitudes: a per-tensor scale would flatten the small ones.
        std::vector<float> magnitude(static_cast<std::size_t>(channels));
        for (float& m : magnitude) m = std::pow(10.0f, random_float(-3.0f, 1.0f));
        std::vector<float> w(std::size_t(channels) * std::size_t(test::uniform(1, 50)));
        for (std::size_t i = 0; i < w.size(); ++i)
            w[i] = random_float(-1.0f, 1.0f) * magnitude[i % std::size_t(channels)];
        const fer::QuantizedWeights q = fer::quantize_per_channel(w, channels);
        const std::vector<float> back = fer::dequantize(q);
        double worst = 0;
        for (std::size_t i = 0; i < w.size(); ++i) {
            CHECK(q.values[i] >= -127);
            worst = std::max(
                worst, std::abs(double(w[i]) - back[i]) / q.scales[i % std::size_t(channels)]);
        }
        CHECK(worst <= fer::max_weight_error_in_scales + 1e-6);
        // The largest weight of each channel maps to +-127 exactly.
        for (int c = 0; c < channels; ++c) {
            int largest = 0;
            for (std::size_t i = std::size_t(c); i < w.size(); i += std::size_t(channels))
                largest = std::max(largest, std::abs(int(q.values[i])));
            CHECK(largest == 127);
        }
    }
    // An all-zero channel quantizes to zeros with scale 1; multiples of the scale come back
    // exactly.
    const fer::QuantizedWeights zero = fer::quantize_per_channel({0.0f, 1.27f, 0.0f, -0.5f}, 2);
    CHECK(zero.scales[0] == 1.0f);
    CHECK(zero.values[0] == 0);
    CHECK(fer::dequantize(zero)[1] == doctest::Approx(1.27f));
    CHECK_THROWS_AS(fer::quantize_per_channel({1.0f, 2.0f, 3.0f}, 2), fer::error);
    CHECK_THROWS_AS(fer::quantize_per_channel({1.0f, NAN}, 1), fer::error);
}

TEST_CASE("a convolution with dequantized int8 weights stays within the stated error bound") {
    // Each output's error is at most sum |x| * scale / 2 over its terms.
    INFO("seed ", test::seed());
    fer::Conv2D conv;
    conv.kernel_h = conv.kernel_w = 3;
    conv.in_channels = 7, conv.out_channels = 13;
    conv.weights.resize(9 * 7 * 13);
    for (float& v : conv.weights) v = random_float(-0.3f, 0.3f);
    conv.bias.assign(13, 0.1f);
    fer::Tensor in({12, 10, 7});
    for (std::int64_t i = 0; i < in.size(); ++i) in.data()[i] = random_float(0.0f, 1.0f);
    const fer::QuantizedWeights q = fer::quantize_per_channel(conv.weights, conv.out_channels);
    fer::Conv2D int8 = conv;
    int8.weights = fer::dequantize(q);
    const fer::detail::ReferenceResult exact = fer::detail::conv2d_reference(conv, in);
    const fer::detail::ReferenceResult approx = fer::detail::conv2d_reference(int8, in);
    // sum |x| over a receptive field is at most 9 * 7 (inputs in [0, 1)).
    for (std::size_t i = 0; i < exact.values.size(); ++i) {
        const double bound = 9 * 7 * q.scales[i % 13] * fer::max_weight_error_in_scales;
        REQUIRE(std::abs(exact.values[i] - approx.values[i]) <= bound);
    }
}

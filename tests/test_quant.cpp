#include <fer/nn/kernels/conv2d_qs8.hpp>
#include <fer/nn/quant.hpp>
#include "reference/reference_layers.hpp"

#include <cfloat>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <random>
#include <string>

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
        // Plus float rounding: w / scale and q * scale are each rounded at magnitudes up to 127
        // scales, half an ulp of 127 each (seed 208974 measured 0.500004).
        CHECK(worst <= fer::max_weight_error_in_scales + 127 * double(FLT_EPSILON));
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
    const fer::reference::ReferenceResult exact = fer::reference::conv2d_reference(conv, in);
    const fer::reference::ReferenceResult approx = fer::reference::conv2d_reference(int8, in);
    // sum |x| over a receptive field is at most 9 * 7 (inputs in [0, 1)).
    for (std::size_t i = 0; i < exact.values.size(); ++i) {
        const double bound = 9 * 7 * q.scales[i % 13] * fer::max_weight_error_in_scales;
        REQUIRE(std::abs(exact.values[i] - approx.values[i]) <= bound);
    }
}

TEST_CASE("activation quantization rounds to nearest even and clamps to +-127") {
    const float inverse = 1.0f / fer::activation_scale(127.0f);  // scale 1
    CHECK(fer::quantize_activation(2.5f, inverse) == 2);
    CHECK(fer::quantize_activation(3.5f, inverse) == 4);
    CHECK(fer::quantize_activation(-2.5f, inverse) == -2);
    CHECK(fer::quantize_activation(1000.0f, inverse) == 127);
    CHECK(fer::quantize_activation(-1000.0f, inverse) == -127);  // never -128
    CHECK(fer::activation_scale(0.0f) == 1.0f);
}

TEST_CASE("a row of activations is quantized with its own largest magnitude") {
    const float row[5] = {5.0f, -254.0f, 127.0f, 0.0f, 1.0f};
    std::int8_t q[5];
    CHECK(fer::quantize_row(row, 5, q) == 2.0f);  // 254 / 127
    CHECK(q[0] == 2);                             // 2.5 rounds to even
    CHECK(q[1] == -127);                          // the largest magnitude takes the whole range
    CHECK(q[2] == 64);                            // 63.5 rounds to even
    CHECK(q[3] == 0);
    CHECK(q[4] == 0);
    const float quiet[2] = {0.0f, 0.0f};
    CHECK(fer::quantize_row(quiet, 2, q) == 1.0f);
    CHECK((q[0] == 0 && q[1] == 0));
    // A value that is not finite gives the row scale 1 and clamps (NaN to -127): no undefined
    // conversion, and the vector kernel does the same.
    const float broken[3] = {std::numeric_limits<float>::quiet_NaN(),
                             std::numeric_limits<float>::infinity(), 0.4f};
    CHECK(fer::quantize_row(broken, 3, q) == 1.0f);
    CHECK((q[0] == -127 && q[1] == 127 && q[2] == 0));
}

TEST_CASE("int8 convolution weights of -128 are refused") {
    fer::Conv2D conv;
    conv.in_channels = 32;
    conv.out_channels = 2;
    conv.weights.assign(64, 0.1f);
    conv.bias.assign(2, 0.0f);
    fer::QuantizedWeights q = fer::quantize_per_channel(conv.weights, 2);
    CHECK_NOTHROW(fer::Int8Conv2D(conv, q));
    q.values[5] = -128;
    CHECK_THROWS_WITH_AS(fer::Int8Conv2D(conv, q), doctest::Contains("-127 to 127"), fer::error);
}

TEST_CASE("int8 convolutions: vector and plain kernels agree exactly, and stay within the bound") {
    INFO("seed ", test::seed());
    fer::Int8Conv2D::Scratch scratch;
    int cases = 0, non_negative_cases = 0;
    for (int cin : {1, 3, 7, 13, 32})
        for (int kernel : {1, 3, 5})
            for (int stride : {1, 2})
                for (fer::Padding padding :
                     {fer::Padding::same, fer::Padding::valid, fer::Padding::explicit_pads}) {
                    fer::Conv2D conv;
                    conv.kernel_h = conv.kernel_w = kernel;
                    conv.stride_h = conv.stride_w = stride;
                    conv.padding = padding;
                    conv.pads = {test::uniform(0, kernel - 1), test::uniform(0, kernel - 1),
                                 test::uniform(0, kernel - 1), test::uniform(0, kernel - 1)};
                    conv.activation = fer::Activation(cases++ % 3);
                    conv.in_channels = cin;
                    conv.out_channels = test::uniform(1, 40);
                    for (int i = 0; i < kernel * kernel * cin * conv.out_channels; ++i)
                        conv.weights.push_back(random_float(-0.5f, 0.5f));
                    for (int i = 0; i < conv.out_channels; ++i)
                        conv.bias.push_back(random_float(-0.2f, 0.2f));
                    fer::Tensor in(
                        fer::Shape{test::uniform(kernel, 40), test::uniform(kernel, 40), cin});
                    // Every other case has no negative input, as after a ReLU: the vector
                    // kernel's faster path. Pixels differ in loudness by up to 10^4, as faces
                    // do between places, so that each row's own scale matters.
                    const float low = cases % 2 == 0 ? 0.0f : -2.0f;
                    non_negative_cases += low == 0.0f;
                    for (std::int64_t p = 0; p < in.size() / cin; ++p) {
                        const float loudness = float(std::pow(10.0, random_float(-2, 2)));
                        for (int c = 0; c < cin; ++c)
                            in.data()[p * cin + c] = loudness * random_float(low, 2);
                    }
                    const fer::QuantizedWeights q =
                        fer::quantize_per_channel(conv.weights, conv.out_channels);
                    const fer::Int8Conv2D int8(conv, q);
                    const fer::Shape o = conv.output_shape(in.shape());
                    fer::Tensor fast(o), plain(o);
                    int8.forward(in, fast.mutable_view(), scratch);
                    int8.forward_plain(in, plain.mutable_view(), scratch);
                    INFO("cin ", cin, " cout ", conv.out_channels, " k ", kernel, " s ", stride,
                         " in ", in.shape().height, "x", in.shape().width);
                    REQUIRE(std::equal(fast.data(), fast.data() + fast.size(), plain.data()));

                    // Against the float reference, output by output, with the derived bound.
                    const auto want = fer::reference::conv2d_reference(conv, in);
                    double worst = 0;  // in units of the bound
                    for (int oy = 0; oy < o.height; ++oy)
                        for (int ox = 0; ox < o.width; ++ox)
                            for (int co = 0; co < o.channels; ++co) {
                                double sum_x = 0, sum_w = 0;
                                float row_max = 0;  // the row's scale is its largest |x|
                                int taps = 0;
                                fer::reference::for_each_tap(
                                    conv, in.shape(), oy, ox, [&](int ky, int kx, int iy, int ix) {
                                        for (int ci = 0; ci < cin; ++ci) {
                                            const float x = std::abs(in.view().at(iy, ix, ci));
                                            sum_x += x;
                                            row_max = std::max(row_max, x);
                                            sum_w += std::abs(
                                                q.values[((std::size_t(ky) * kernel + kx) * cin +
                                                          ci) *
                                                             std::size_t(o.channels) +
                                                         std::size_t(co)] *
                                                double(q.scales[std::size_t(co)]));
                                            ++taps;
                                        }
                                    });
                                const std::size_t i =
                                    (std::size_t(oy) * o.width + ox) * o.channels + co;
                                const double bound =
                                    fer::int8_dot_error_bound(sum_x, sum_w, taps,
                                                              fer::activation_scale(row_max),
                                                              q.scales[std::size_t(co)]) +
                                    1e-5 * (std::abs(want.values[i]) + 1);
                                worst = std::max(
                                    worst, std::abs(plain.data()[i] - want.values[i]) / bound);
                            }
                    CHECK(worst <= 1.0);
                }
    CHECK(cases == 90);
    CHECK(non_negative_cases == 45);
}

// tools/cross.sh runs the tests under qemu twice, on a CPU model with the dot-product
// instructions and on one without, and says which it expects: the kernel test above then ran
// the SDOT kernel once and the plain one once.
TEST_CASE("the int8 kernel is chosen from the CPU's features") {
    const char* expected = std::getenv("FER_EXPECT_DOTPROD");
    if (expected == nullptr) {
        MESSAGE("skipped: FER_EXPECT_DOTPROD is not set (tools/cross.sh sets it)");
        return;
    }
    CHECK(fer::detail::cpu_has_dotprod() == (std::string(expected) == "1"));
    CHECK(fer::detail::cpu_has_neon());
}

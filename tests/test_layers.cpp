// Every layer kernel against its plain-loop reference (tests/reference/reference_layers.hpp), on
// odd shapes with fresh random inputs.
#include <fer/nn/kernels/conv2d_f32_packed.hpp>
#include "reference/reference_layers.hpp"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <random>

#include "helpers.hpp"

namespace {

// Tolerance: float kernels may reorder sums; their error is bounded by a few float epsilons
// times the sum of the absolute values of the terms (the reference's `magnitude`).
constexpr double relative_tolerance = 2e-6;

float random_float(float lo, float hi) {
    return std::uniform_real_distribution<float>(lo, hi)(test::rng());
}

fer::Tensor random_tensor(const fer::Shape& shape) {
    fer::Tensor t(shape);
    for (std::int64_t i = 0; i < t.size(); ++i) t.data()[i] = random_float(-1.0f, 1.0f);
    return t;
}

std::vector<float> random_values(std::size_t n, float scale = 1.0f) {
    std::vector<float> v(n);
    for (float& x : v) x = random_float(-scale, scale);
    return v;
}

// Each side from 0 to the kernel size minus 1, for EXPLICIT padding.
fer::Pads random_pads(int kernel) {
    return {test::uniform(0, kernel - 1), test::uniform(0, kernel - 1),
            test::uniform(0, kernel - 1), test::uniform(0, kernel - 1)};
}

const fer::Padding paddings[] = {fer::Padding::same, fer::Padding::valid,
                                 fer::Padding::explicit_pads};

fer::Conv2D random_conv(int kernel, int stride, fer::Padding padding, fer::Activation activation,
                        int cin, int cout) {
    fer::Conv2D conv;
    conv.kernel_h = conv.kernel_w = kernel;
    conv.stride_h = conv.stride_w = stride;
    conv.padding = padding;
    conv.pads = random_pads(kernel);
    conv.activation = activation;
    conv.in_channels = cin;
    conv.out_channels = cout;
    conv.weights = random_values(std::size_t(kernel) * kernel * cin * cout, 0.5f);
    conv.bias = random_values(std::size_t(cout));
    return conv;
}

// Largest error in units of the allowed error; <= 1 passes.
double worst_error(const fer::Tensor& got, const fer::reference::ReferenceResult& want) {
    REQUIRE(got.shape() == want.shape);
    double worst = 0;
    for (std::size_t i = 0; i < want.values.size(); ++i) {
        const double allowed = relative_tolerance * (want.magnitude[i] + 1.0) * 8;
        worst = std::max(worst, std::abs(double(got.data()[i]) - want.values[i]) / allowed);
    }
    return worst;
}

const int channel_counts[] = {1, 3, 7, 13, 32};

const fer::Activation activations[] = {fer::Activation::none, fer::Activation::relu,
                                       fer::Activation::relu6};

}  // namespace

TEST_CASE("SAME padding is TensorFlow's: extra padding goes after") {
    auto g = fer::detail::axis_geometry(5, 3, 2, fer::Padding::same);
    CHECK(g.output == 3);
    CHECK(g.pad_before == 1);
    g = fer::detail::axis_geometry(6, 3, 2, fer::Padding::same);  // total padding 1: all after
    CHECK(g.output == 3);
    CHECK(g.pad_before == 0);
    g = fer::detail::axis_geometry(48, 3, 1, fer::Padding::same);
    CHECK(g.output == 48);
    CHECK(g.pad_before == 1);
    g = fer::detail::axis_geometry(7, 3, 2, fer::Padding::valid);
    CHECK(g.output == 3);
    CHECK(g.pad_before == 0);
    CHECK(fer::detail::axis_geometry(2, 3, 1, fer::Padding::valid).output == 0);
    // PyTorch's symmetric padding 1 at stride 2: same size as SAME, shifted by one pixel.
    g = fer::detail::axis_geometry(64, 3, 2, fer::Padding::explicit_pads, 1, 1);
    CHECK(g.output == 32);
    CHECK(g.pad_before == 1);
    CHECK(fer::detail::axis_geometry(64, 3, 2, fer::Padding::same).pad_before == 0);
}

TEST_CASE("explicit padding must be smaller than the kernel on every side") {
    fer::Pool2D pool;
    pool.kernel_h = pool.kernel_w = 3;
    pool.padding = fer::Padding::explicit_pads;
    pool.pads = {2, 2, 2, 2};
    CHECK_NOTHROW(pool.validate());
    pool.pads.right = 3;
    CHECK_THROWS_WITH_AS(pool.validate(), doctest::Contains("0 to the kernel size minus 1"),
                         fer::error);
    pool.pads.right = -1;
    CHECK_THROWS_AS(pool.validate(), fer::error);
}

// Every packed kernel that runs on this CPU against `want`: the scalar one, the vector ones
// (AVX2, AVX-512, NEON), and the AVX-512 kernel bit for bit against the AVX2 one (same products
// in the same order). Returns how many vector kernels were checked.
int check_packed_kernels(const fer::PackedConv2D& packed, const fer::Tensor& in,
                         const fer::PackedConv2D::Epilogue& epilogue,
                         const fer::reference::ReferenceResult& want, const fer::Shape& out_shape,
                         fer::LayerContext& context) {
    using Kernel = fer::PackedConv2D::Kernel;
    int vector_kernels = 0;
    fer::Tensor avx2_out;
    for (Kernel kernel : {Kernel::scalar, Kernel::avx2, Kernel::avx512, Kernel::neon}) {
        if (!fer::PackedConv2D::runs_here(kernel)) continue;
        INFO("packed kernel ", int(kernel));
        fer::Tensor out(out_shape);
        packed.forward(in, out.mutable_view(), context.patches, epilogue, kernel);
        CHECK(worst_error(out, want) <= 1.0);
        if (kernel == Kernel::avx2) avx2_out = out;
        if (kernel == Kernel::avx512)
            CHECK(std::equal(out.data(), out.data() + out.size(), avx2_out.data()));
        vector_kernels += kernel != Kernel::scalar;
    }
    return vector_kernels;
}

// Conv2D's portable path (im2col + Eigen GEMM, the 1x1 path) and PackedConv2D's kernels, all
// against the reference. Returns whether a packed vector kernel was checked too.
bool check_conv_against_reference(const fer::Conv2D& conv, const fer::Tensor& in,
                                  fer::LayerContext& context) {
    const auto want = fer::reference::conv2d_reference(conv, in);
    fer::Tensor out(conv.output_shape(in.shape()));
    conv.forward_eigen(in, out.mutable_view(), context.patches);
    CHECK(worst_error(out, want) <= 1.0);
    const fer::PackedConv2D packed(conv);
    return check_packed_kernels(packed, in, {nullptr, conv.activation}, want, out.shape(),
                                context) > 0;
}

TEST_CASE("conv2d (Eigen GEMM, 1x1 path, packed weights) matches the reference") {
    INFO("seed ", test::seed());
    fer::LayerContext context;
    int cases = 0, packed_cases = 0;
    for (int cin : channel_counts)
        for (int kernel : {1, 3, 5})
            for (int stride : {1, 2})
                for (fer::Padding padding : paddings) {
                    // Output counts around the packed 16-channel panels; pixel counts around
                    // its 6-pixel tiles.
                    const fer::Conv2D conv = random_conv(
                        kernel, stride, padding, activations[cases % 3], cin, test::uniform(1, 40));
                    conv.validate();
                    const int h = test::uniform(kernel, 65), w = test::uniform(kernel, 33);
                    INFO("cin ", cin, " k ", kernel, " s ", stride, " in ", h, "x", w, " cout ",
                         conv.out_channels);
                    packed_cases +=
                        check_conv_against_reference(conv, random_tensor({h, w, cin}), context);
                    ++cases;
                }
    CHECK(cases == 90);
    if (fer::PackedConv2D::worthwhile(
            random_conv(1, 1, fer::Padding::same, fer::Activation::none, 32, 32)))
        CHECK(packed_cases == cases);  // the direct path's shapes too, though Network uses it
    else
        MESSAGE("no vector kernel on this CPU (AVX2 and FMA, or NEON): packed weights not checked");
    // Non-square kernels and strides, and a 1x1 input.
    fer::Conv2D odd;
    odd.kernel_h = 1, odd.kernel_w = 3, odd.stride_h = 2, odd.stride_w = 1;
    odd.in_channels = 3, odd.out_channels = 5;
    odd.weights = random_values(3 * 3 * 5);
    odd.bias = random_values(5);
    for (const fer::Shape& s : {fer::Shape{1, 1, 3}, fer::Shape{9, 4, 3}})
        check_conv_against_reference(odd, random_tensor(s), context);
}

TEST_CASE("a residual add in the packed convolution's epilogue matches convolution then add") {
    INFO("seed ", test::seed());
    fer::LayerContext context;
    int vector_cases = 0;
    for (int cout : {1, 7, 8, 16, 24, 33, 40, 48})
        for (int kernel : {1, 3}) {
            const fer::Conv2D conv = random_conv(kernel, 1, fer::Padding::same,
                                                 fer::Activation::none, test::uniform(1, 40), cout);
            const fer::Activation after = activations[test::uniform(0, 2)];
            const fer::Tensor in =
                random_tensor({test::uniform(1, 19), test::uniform(1, 13), conv.in_channels});
            const fer::Shape out_shape = conv.output_shape(in.shape());
            const fer::Tensor residual = random_tensor(out_shape);
            INFO("cin ", conv.in_channels, " cout ", cout, " k ", kernel, " out ",
                 fer::detail::describe(out_shape), " activation ", int(after));
            fer::reference::ReferenceResult want = fer::reference::conv2d_reference(conv, in);
            for (std::size_t i = 0; i < want.values.size(); ++i) {
                want.values[i] =
                    fer::reference::reference_activate(want.values[i] + residual.data()[i], after);
                want.magnitude[i] += std::abs(residual.data()[i]);
            }
            const fer::PackedConv2D packed(conv);
            vector_cases += check_packed_kernels(packed, in, {residual.data(), after}, want,
                                                 out_shape, context) > 0;
        }
    if (vector_cases == 0) MESSAGE("this CPU has no AVX2 and FMA: only the scalar kernel checked");
    if (!fer::PackedConv2D::runs_here(fer::PackedConv2D::Kernel::avx512))
        MESSAGE("not checked here (no AVX-512): the AVX-512 packed kernel");
}

TEST_CASE(
    "conv2d's direct vector path (8, 16, 24 or 32 outputs, few inputs) matches the reference") {
    INFO("seed ", test::seed());
    fer::LayerContext context;
    int avx512_cases = 0;
    for (int cout : {8, 16, 24, 32})
        for (int cin : {1, 3, 7, 8, 13, 16})
            for (int kernel : {3, 5})
                for (int stride : {1, 2})
                    for (fer::Padding padding : paddings) {
                        const fer::Conv2D conv =
                            random_conv(kernel, stride, padding,
                                        activations[(cin + kernel + stride) % 3], cin, cout);
                        // Widths around multiples of the 2- to 12-pixel groups, and tiny
                        // images.
                        const int h = test::uniform(kernel, 40), w = kernel + test::uniform(0, 30);
                        const fer::Tensor in = random_tensor({h, w, cin});
                        fer::Tensor out(conv.output_shape(in.shape()));
                        conv.forward(in, out.mutable_view(), context);
                        INFO("cin ", cin, " cout ", cout, " k ", kernel, " s ", stride, " in ", h,
                             "x", w);
                        CHECK(worst_error(out, fer::reference::conv2d_reference(conv, in)) <= 1.0);
#if FER_HAS_AVX2
                        if (fer::detail::conv_direct_avx512_serves(cout)) {
                            // Sixteen outputs a register give the same bits as eight.
                            fer::Tensor narrow(out.shape()), wide(out.shape());
                            std::vector<float> scratch;
                            fer::detail::f32_conv_direct(conv, in, narrow.mutable_view(), scratch,
                                                         false);
                            fer::detail::f32_conv_direct(conv, in, wide.mutable_view(), scratch,
                                                         true);
                            CHECK(
                                std::equal(wide.data(), wide.data() + wide.size(), narrow.data()));
                            ++avx512_cases;
                        }
#endif
                    }
    if (avx512_cases == 0) MESSAGE("not checked here (no AVX-512): the AVX-512 direct kernel");
}

TEST_CASE(
    "depthwise conv2d matches the reference (vector paths: AVX2 channels a multiple of 8, AVX-512 "
    "of 8, NEON of 4)") {
    fer::LayerContext context;
    INFO("seed ", test::seed());
    int cases = 0, avx512_cases = 0;
    for (int channels : {1, 3, 4, 7, 8, 13, 16, 24, 28, 32, 40, 48})
        for (int kernel : {1, 3, 5})
            for (int stride : {1, 2})
                for (fer::Padding padding : paddings) {
                    fer::DepthwiseConv2D dw;
                    dw.kernel_h = dw.kernel_w = kernel;
                    dw.stride_h = dw.stride_w = stride;
                    dw.padding = padding;
                    dw.pads = random_pads(kernel);
                    dw.activation = activations[cases++ % 3];
                    dw.channels = channels;
                    dw.weights = random_values(std::size_t(kernel) * kernel * channels);
                    dw.bias = random_values(std::size_t(channels));
                    dw.validate();
                    const fer::Tensor in = random_tensor(
                        {test::uniform(kernel, 65), test::uniform(kernel, 40), channels});
                    fer::Tensor out(dw.output_shape(in.shape())), plain(out.shape());
                    dw.forward(in, out.mutable_view(), context);
                    fer::detail::f32_dwconv_scalar(dw, in, plain.mutable_view());
                    INFO("c ", channels, " k ", kernel, " s ", stride, " in ", in.shape().height,
                         "x", in.shape().width);
                    const auto want = fer::reference::depthwise_reference(dw, in);
                    CHECK(worst_error(out, want) <= 1.0);
                    CHECK(worst_error(plain, want) <= 1.0);
#if FER_HAS_AVX2
                    if (fer::detail::dwconv_avx512_serves(channels)) {
                        // AVX2's eight-channel blocks give the same bits as AVX-512's sixteen.
                        fer::Tensor narrow(out.shape()), wide(out.shape());
                        fer::detail::f32_dwconv_vector(dw, in, narrow.mutable_view(), false);
                        fer::detail::f32_dwconv_vector(dw, in, wide.mutable_view(), true);
                        CHECK(std::equal(wide.data(), wide.data() + wide.size(), narrow.data()));
                        ++avx512_cases;
                    }
#endif
                }
    CHECK(cases == 216);
    if (avx512_cases == 0) MESSAGE("not checked here (no AVX-512): the AVX-512 depthwise kernel");
}

TEST_CASE(
    "max and average pooling match the reference, padded taps ignored (vector max pooling: AVX2 "
    "channels a multiple of 8, NEON of 4)") {
    fer::LayerContext context;
    INFO("seed ", test::seed());
    int cases = 0;
    for (int channels : {1, 3, 4, 7, 8, 13, 16, 32, 40, 64, 72})
        for (auto kind : {fer::Pool2D::Kind::max, fer::Pool2D::Kind::average})
            for (int kernel : {2, 3})
                for (int stride : {1, 2})
                    for (fer::Padding padding : paddings) {
                        fer::Pool2D pool;
                        pool.kind = kind;
                        pool.kernel_h = pool.kernel_w = kernel;
                        pool.stride_h = pool.stride_w = stride;
                        pool.padding = padding;
                        pool.pads = random_pads(kernel);
                        const fer::Tensor in = random_tensor(
                            {test::uniform(kernel, 65), test::uniform(kernel, 30), channels});
                        fer::Tensor out(pool.output_shape(in.shape())), plain(out.shape());
                        pool.forward(in, out.mutable_view(), context);
                        fer::detail::f32_pool_plain(pool, kind == fer::Pool2D::Kind::max, in,
                                                    plain.mutable_view());
                        INFO("c ", channels, " k ", kernel, " s ", stride, " in ",
                             in.shape().height, "x", in.shape().width);
                        CHECK(worst_error(out, fer::reference::pool_reference(pool, in)) <= 1.0);
                        // Maxima are exact: the vector and plain kernels pick the same values.
                        if (kind == fer::Pool2D::Kind::max)
                            CHECK(std::equal(out.data(), out.data() + out.size(), plain.data()));
                        ++cases;
                    }
    CHECK(cases == 11 * 2 * 2 * 2 * 3);
    // All-negative input: SAME max pooling must not pick up a zero from the padding.
    fer::Tensor negative({3, 3, 1});
    for (int i = 0; i < 9; ++i) negative.data()[i] = -1.0f - float(i);
    fer::Pool2D pool;
    pool.kernel_h = pool.kernel_w = 2;
    pool.padding = fer::Padding::same;
    fer::Tensor out(pool.output_shape(negative.shape()));
    pool.forward(negative, out.mutable_view(), context);
    CHECK(out.data()[3] == -9.0f);  // the bottom-right window holds only pixel 8 (value -9)
}

TEST_CASE("dense, global average pooling, add and softmax match their definitions") {
    fer::LayerContext context;
    INFO("seed ", test::seed());
    for (int n : {1, 7, 64, 1000}) {
        fer::Dense dense;
        dense.inputs = n;
        dense.outputs = test::uniform(1, 20);
        dense.activation = activations[n % 3];
        dense.weights = random_values(std::size_t(n) * dense.outputs);
        dense.bias = random_values(std::size_t(dense.outputs));
        dense.validate();
        const fer::Tensor in = random_tensor({1, 1, n});
        fer::Tensor out(dense.output_shape(in.shape()));
        dense.forward(in, out.mutable_view(), context);
        CHECK(worst_error(out, fer::reference::dense_reference(dense, in)) <= 1.0);
    }
    for (int channels : channel_counts) {
        const fer::Tensor in =
            random_tensor({test::uniform(1, 65), test::uniform(1, 20), channels});
        fer::Tensor out({1, 1, channels});
        fer::GlobalAveragePool().forward(in, out.mutable_view(), context);
        CHECK(worst_error(out, fer::reference::global_average_pool_reference(in)) <= 1.0);
    }
    for (int channels : channel_counts) {
        fer::ChannelPad pad;
        pad.added = test::uniform(1, 50);
        pad.validate();
        const fer::Tensor in =
            random_tensor({test::uniform(1, 20), test::uniform(1, 20), channels});
        fer::Tensor out(pad.output_shape(in.shape()));
        pad.forward(in, out.mutable_view(), context);
        CHECK(worst_error(out, fer::reference::channel_pad_reference(pad, in)) == 0.0);
    }
    CHECK_THROWS_AS(fer::ChannelPad{0}.validate(), fer::error);
    CHECK_THROWS_AS(fer::ChannelPad{4000}.output_shape({2, 2, 100}), fer::error);
    const fer::Tensor a = random_tensor({5, 3, 7}), b = random_tensor({5, 3, 7}),
                      c = random_tensor({5, 3, 7});
    fer::Tensor sum({5, 3, 7});
    fer::add({a, b, c}, sum.mutable_view(), fer::Activation::relu);
    for (int i = 0; i < 105; ++i)
        CHECK(sum.data()[i] ==
              doctest::Approx(std::max(0.0f, a.data()[i] + b.data()[i] + c.data()[i])));
    CHECK_THROWS_AS(fer::add({a, random_tensor({5, 3, 6})}, sum.mutable_view()), fer::error);

    fer::Tensor scores({1, 1, 7});
    const float raw[7] = {1000.0f, 999.0f,  -5.0f, 0.0f,
                          3.0f,    1000.0f, 2.0f};  // huge: must not overflow
    std::copy(raw, raw + 7, scores.data());
    fer::softmax(scores.mutable_view());
    double total = 0;
    for (int i = 0; i < 7; ++i) total += scores.data()[i];
    CHECK(total == doctest::Approx(1.0));
    CHECK(scores.data()[0] == doctest::Approx(1.0 / (2.0 + std::exp(-1.0))));
    CHECK(scores.data()[1] == doctest::Approx(std::exp(-1.0) / (2.0 + std::exp(-1.0))));
}

TEST_CASE(
    "a standalone activation applies its function to every value, NaN, infinities and -0 too") {
    INFO("seed ", test::seed());
    fer::LayerContext context;
    fer::Tensor in({test::uniform(1, 40), test::uniform(1, 40), test::uniform(1, 70)});
    for (std::int64_t i = 0; i < in.size(); ++i) in.data()[i] = random_float(-8.0f, 8.0f);
    // At random places: in the vector loop's blocks and in its scalar tail alike.
    const float special[] = {std::nanf(""), INFINITY, -INFINITY, 0.0f, -0.0f, 6.0f, 7.0f, -1.0f};
    for (int k = 0; k < 40; ++k)
        in.data()[test::uniform(0, int(in.size()) - 1)] = special[k % std::size(special)];
    for (const fer::Activation activation :
         {fer::Activation::none, fer::Activation::relu, fer::Activation::relu6}) {
        fer::Tensor out(in.shape());
        fer::ActivationLayer{activation}.forward(in, out.mutable_view(), context);
        int differing = 0;
        for (std::int64_t i = 0; i < in.size(); ++i) {
            const float want = fer::detail::activate(in.data()[i], activation);
            const float got = out.data()[i];
            const bool same = std::isnan(want)
                                  ? std::isnan(got)
                                  : got == want && std::signbit(got) == std::signbit(want);
            if (!same) ++differing;
        }
        INFO(fer::detail::activation_name(activation), " on ", in.size(), " values");
        CHECK(differing == 0);
    }
}

TEST_CASE("batchnorm folded into a convolution computes the same as applying it after") {
    INFO("seed ", test::seed());
    fer::LayerContext context;
    for (int cout : {1, 5, 32}) {
        fer::Conv2D conv;
        conv.kernel_h = conv.kernel_w = 3;
        conv.in_channels = 4, conv.out_channels = cout;
        conv.weights = random_values(9 * 4 * std::size_t(cout));
        conv.bias = random_values(std::size_t(cout));
        fer::BatchNorm bn;
        bn.gamma = random_values(std::size_t(cout));
        bn.beta = random_values(std::size_t(cout));
        bn.mean = random_values(std::size_t(cout));
        bn.variance.resize(std::size_t(cout));
        for (float& v : bn.variance) v = random_float(0.01f, 2.0f);
        const fer::Tensor in = random_tensor({11, 9, 4});
        fer::Tensor plain(conv.output_shape(in.shape()));
        conv.forward(in, plain.mutable_view(), context);
        const fer::reference::ReferenceResult want = fer::reference::batchnorm_reference(bn, plain);
        bn.forward(plain.mutable_view());
        CHECK(worst_error(plain, want) <= 1.0);  // the batchnorm layer itself
        fer::Conv2D folded = conv;
        fer::fold_batchnorm(folded, bn);
        fer::Tensor out(folded.output_shape(in.shape()));
        folded.forward(in, out.mutable_view(), context);
        double worst = 0;
        for (std::size_t i = 0; i < want.values.size(); ++i)
            worst = std::max(worst, std::abs(out.data()[i] - want.values[i]) /
                                        (1e-4 * (1 + std::abs(want.values[i]))));
        CHECK(worst <= 1.0);
    }
}

TEST_CASE("inconsistent layer parameters and shapes give fer::error") {
    fer::Conv2D conv;
    conv.in_channels = 3, conv.out_channels = 2, conv.kernel_h = conv.kernel_w = 3;
    conv.weights.resize(53);
    conv.bias.resize(2);
    CHECK_THROWS_WITH_AS(conv.validate(), "conv2d weight count: expected 54, found 53", fer::error);
    conv.weights.resize(54);
    CHECK_NOTHROW(conv.validate());
    CHECK_THROWS_WITH_AS(conv.output_shape({8, 8, 4}),
                         doctest::Contains("conv2d input channels: expected 3"), fer::error);
    conv.padding = fer::Padding::valid;
    CHECK_THROWS_AS(conv.output_shape({2, 8, 3}), fer::error);
    conv.stride_h = 0;
    CHECK_THROWS_AS(conv.validate(), fer::error);
    fer::Dense dense;
    dense.inputs = 10, dense.outputs = 2;
    dense.weights.resize(20);
    dense.bias.resize(2);
    CHECK_THROWS_AS(dense.output_shape({3, 3, 1}), fer::error);
    CHECK_THROWS_AS(fer::Tensor({0, 3, 3}), fer::error);
    CHECK_THROWS_AS(fer::Tensor({100000, 100000, 3}), fer::error);
    fer::BatchNorm bn;
    bn.gamma = bn.beta = bn.mean = {1.0f};
    bn.variance = {-1.0f};
    CHECK_THROWS_AS(bn.validate(), fer::error);
}

TEST_CASE("batchnorm folded into a depthwise convolution computes the same as applying it after") {
    fer::LayerContext context;
    INFO("seed ", test::seed());
    fer::DepthwiseConv2D dw;
    dw.channels = 13;
    dw.weights = random_values(9 * 13);
    dw.bias = random_values(13);
    fer::BatchNorm bn;
    bn.gamma = random_values(13);
    bn.beta = random_values(13);
    bn.mean = random_values(13);
    for (int c = 0; c < 13; ++c) bn.variance.push_back(random_float(0.01f, 2.0f));
    const fer::Tensor in = random_tensor({10, 7, 13});
    fer::Tensor plain(dw.output_shape(in.shape()));
    dw.forward(in, plain.mutable_view(), context);
    const fer::reference::ReferenceResult want = fer::reference::batchnorm_reference(bn, plain);
    fer::DepthwiseConv2D folded = dw;
    fer::fold_batchnorm(folded, bn);
    fer::Tensor out(folded.output_shape(in.shape()));
    folded.forward(in, out.mutable_view(), context);
    for (std::size_t i = 0; i < want.values.size(); ++i)
        REQUIRE(std::abs(out.data()[i] - want.values[i]) <= 1e-4 * (1 + std::abs(want.values[i])));
    fer::DepthwiseConv2D with_relu = dw;
    with_relu.activation = fer::Activation::relu;
    CHECK_THROWS_AS(fer::fold_batchnorm(with_relu, bn), fer::error);
}

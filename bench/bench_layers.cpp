// One benchmark per layer kernel, at shapes of the face models (mini-Xception widths; Human's
// emotion model: 64x64 gray input, 32 to 256 channels; face-api's: 112x112 RGB, 32 to 256
// channels; BlazeFace's: 256x256 RGB, 24 channels at 128x128), with FLOP/s counters (2 FLOPs, or
// int8 OPs, per multiply-accumulate).
//   build-bench/bench/fer_bench_layers --benchmark_counters_tabular=true
#include <fer/fer.hpp>

#include <benchmark/benchmark.h>

#include <random>

namespace {

std::vector<float> random_values(std::size_t n) {
    std::mt19937 rng(7);
    std::uniform_real_distribution<float> d(-1.0f, 1.0f);
    std::vector<float> v(n);
    for (float& x : v) x = d(rng);
    return v;
}

fer::Tensor random_tensor(const fer::Shape& s) {
    fer::Tensor t(s);
    const std::vector<float> v = random_values(std::size_t(s.size()));
    std::copy(v.begin(), v.end(), t.data());
    return t;
}

void set_flops(benchmark::State& state, double macs) {
    state.counters["GFLOP/s"] =
        benchmark::Counter(2.0 * macs * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
    state.counters["MMAC"] = macs * 1e-6;
}

// args: input size, input channels, output channels, kernel, stride
fer::Conv2D bench_conv(const benchmark::State& state) {
    const int cin = int(state.range(1)), cout = int(state.range(2));
    fer::Conv2D conv;
    conv.kernel_h = conv.kernel_w = int(state.range(3));
    conv.stride_h = conv.stride_w = int(state.range(4));
    conv.in_channels = cin, conv.out_channels = cout;
    conv.activation = fer::Activation::relu;
    conv.weights = random_values(std::size_t(conv.kernel_h) * conv.kernel_w * cin * cout);
    conv.bias = random_values(std::size_t(cout));
    return conv;
}

// Shapes of the shipped models' convolutions (and the mini-Xception's), for both arithmetics:
// input size, input channels, output channels, kernel, stride.
const std::vector<std::vector<std::int64_t>> model_conv_shapes = {
    {64, 1, 8, 3, 1},  // mini-Xception's first convolution of a gray 64x64 face
    {64, 8, 8, 3, 1},     {32, 32, 64, 1, 1},
    {16, 64, 128, 1, 1},  {32, 16, 32, 1, 2},  // strided 1x1 residual shortcut
    {64, 1, 32, 3, 2},                         // Human: first convolution
    {31, 32, 64, 3, 1},                        // Human: second
    {29, 128, 128, 1, 1},                      // Human: pointwise
    {15, 256, 256, 1, 1},                      //
    {8, 256, 7, 3, 1},                         // Human: classifier convolution
    {112, 3, 32, 3, 2},                        // face-api: first convolution
    {56, 32, 32, 1, 1},                        // face-api: pointwise in block 1
    {7, 256, 256, 1, 1},                       // face-api: pointwise in block 4
    {256, 3, 24, 5, 2},                        // BlazeFace: first convolution
    {128, 24, 24, 1, 1},                       // BlazeFace: pointwise at 128 x 128
};

void conv_shapes(benchmark::internal::Benchmark* b) {
    for (const auto& shape : model_conv_shapes) b->Args(shape);
}

// The same shapes, each with a sixth argument: 0 input without negative values, 1 with.
void int8_conv_shapes(benchmark::internal::Benchmark* b) {
    for (std::int64_t has_negative : {0, 1})
        for (std::vector<std::int64_t> shape : model_conv_shapes) {
            shape.push_back(has_negative);
            b->Args(shape);
        }
}

void BM_conv2d(benchmark::State& state) {
    const fer::Conv2D conv = bench_conv(state);
    const int size = int(state.range(0)), cin = conv.in_channels;
    const fer::Tensor in = random_tensor({size, size, cin});
    fer::Tensor out(conv.output_shape(in.shape()));
    fer::LayerContext context;
    for (auto _ : state) {
        conv.forward(in, out.mutable_view(), context);
        benchmark::DoNotOptimize(out.data());
    }
    set_flops(state, double(out.size()) * conv.kernel_h * conv.kernel_w * cin);
}
BENCHMARK(BM_conv2d)->Apply(conv_shapes);

// The convolution with weights packed once (what Network runs on AVX2 CPUs) at the same shapes.
void BM_conv2d_packed(benchmark::State& state) {
    const fer::Conv2D conv = bench_conv(state);
    if (!fer::PackedConv2D::worthwhile(conv)) {
        state.SkipWithError("not used for this shape or CPU (Conv2D's direct path, or no AVX2)");
        return;
    }
    const fer::PackedConv2D packed(conv);
    const int size = int(state.range(0)), cin = conv.in_channels;
    const fer::Tensor in = random_tensor({size, size, cin});
    fer::Tensor out(conv.output_shape(in.shape()));
    std::vector<float> scratch;
    for (auto _ : state) {
        packed.forward(in, out.mutable_view(), scratch);
        benchmark::DoNotOptimize(out.data());
    }
    set_flops(state, double(out.size()) * conv.kernel_h * conv.kernel_w * cin);
}
BENCHMARK(BM_conv2d_packed)->Apply(conv_shapes);

// The int8 convolution (patches, per-row input quantization, int8 GEMM, float output) at the same
// shapes.
// Range 5 is 1 for an input with negative values (after an add), 0 for one without (after a
// ReLU, most layers), which the vector kernel multiplies with fewer instructions.
void BM_conv2d_int8(benchmark::State& state) {
    const fer::Conv2D conv = bench_conv(state);
    const int size = int(state.range(0));
    fer::Tensor in = random_tensor({size, size, conv.in_channels});
    if (state.range(5) == 0)
        for (std::int64_t i = 0; i < in.size(); ++i) in.data()[i] = std::abs(in.data()[i]);
    const fer::Int8Conv2D int8(conv, fer::quantize_per_channel(conv.weights, conv.out_channels));
    fer::Tensor out(conv.output_shape(in.shape()));
    fer::Int8Conv2D::Scratch scratch;
    for (auto _ : state) {
        int8.forward(in, out.mutable_view(), scratch);
        benchmark::DoNotOptimize(out.data());
    }
    set_flops(state, double(out.size()) * conv.kernel_h * conv.kernel_w * conv.in_channels);
}
BENCHMARK(BM_conv2d_int8)->Apply(int8_conv_shapes);

// args: input size, channels, kernel, stride
void BM_depthwise_conv2d(benchmark::State& state) {
    const int size = int(state.range(0)), channels = int(state.range(1));
    fer::DepthwiseConv2D dw;
    dw.kernel_h = dw.kernel_w = int(state.range(2));
    dw.stride_h = dw.stride_w = int(state.range(3));
    dw.channels = channels;
    dw.weights = random_values(std::size_t(dw.kernel_h) * dw.kernel_w * channels);
    dw.bias = random_values(std::size_t(channels));
    const fer::Tensor in = random_tensor({size, size, channels});
    fer::Tensor out(dw.output_shape(in.shape()));
    fer::LayerContext context;
    for (auto _ : state) {
        dw.forward(in, out.mutable_view(), context);
        benchmark::DoNotOptimize(out.data());
    }
    set_flops(state, double(out.size()) * dw.kernel_h * dw.kernel_w);
}
BENCHMARK(BM_depthwise_conv2d)
    ->Args({64, 16, 3, 1})
    ->Args({32, 64, 3, 1})
    ->Args({16, 128, 3, 1})
    ->Args({29, 64, 3, 1})   // Human
    ->Args({15, 256, 3, 1})  // Human
    ->Args({56, 32, 3, 1})   // face-api
    ->Args({28, 64, 3, 2});  // face-api, strided

void BM_max_pool_3x3_s2_same(benchmark::State& state) {
    const int size = int(state.range(0)), channels = int(state.range(1));
    fer::Pool2D pool;
    pool.kernel_h = pool.kernel_w = 3;
    pool.padding = fer::Padding::same;
    const fer::Tensor in = random_tensor({size, size, channels});
    fer::Tensor out(pool.output_shape(in.shape()));
    fer::LayerContext context;
    for (auto _ : state) {
        pool.forward(in, out.mutable_view(), context);
        benchmark::DoNotOptimize(out.data());
    }
    state.counters["Mvalues/s"] =
        benchmark::Counter(double(in.size()) * 1e-6, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_max_pool_3x3_s2_same)->Args({64, 16})->Args({16, 128});

void BM_dense(benchmark::State& state) {
    fer::Dense dense;
    dense.inputs = int(state.range(0));
    dense.outputs = int(state.range(1));
    dense.weights = random_values(std::size_t(dense.inputs) * dense.outputs);
    dense.bias = random_values(std::size_t(dense.outputs));
    const fer::Tensor in = random_tensor({1, 1, dense.inputs});
    fer::Tensor out({1, 1, dense.outputs});
    fer::LayerContext context;
    for (auto _ : state) {
        dense.forward(in, out.mutable_view(), context);
        benchmark::DoNotOptimize(out.data());
    }
    set_flops(state, double(dense.inputs) * dense.outputs);
}
BENCHMARK(BM_dense)->Args({1024, 7})->Args({256, 128});

}  // namespace

BENCHMARK_MAIN();

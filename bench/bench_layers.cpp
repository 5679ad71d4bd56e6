// One benchmark per layer kernel, at shapes typical of the face models (64x64 inputs,
// mini-Xception-like widths), with FLOP/s counters (2 FLOPs per multiply-accumulate).
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
void BM_conv2d(benchmark::State& state) {
    const int size = int(state.range(0)), cin = int(state.range(1)), cout = int(state.range(2));
    fer::Conv2D conv;
    conv.kernel_h = conv.kernel_w = int(state.range(3));
    conv.stride_h = conv.stride_w = int(state.range(4));
    conv.in_channels = cin, conv.out_channels = cout;
    conv.activation = fer::Activation::relu;
    conv.weights = random_values(std::size_t(conv.kernel_h) * conv.kernel_w * cin * cout);
    conv.bias = random_values(std::size_t(cout));
    const fer::Tensor in = random_tensor({size, size, cin});
    fer::Tensor out(conv.output_shape(in.shape()));
    std::vector<float> scratch;
    for (auto _ : state) {
        conv.forward(in, out.mutable_view(), scratch);
        benchmark::DoNotOptimize(out.data());
    }
    set_flops(state, double(out.size()) * conv.kernel_h * conv.kernel_w * cin);
}
BENCHMARK(BM_conv2d)
    ->Args({64, 1, 8, 3, 1})  // first convolution of a gray 64x64 face
    ->Args({64, 8, 8, 3, 1})
    ->Args({32, 32, 64, 1, 1})  // pointwise halves of separable convolutions
    ->Args({16, 64, 128, 1, 1})
    ->Args({32, 16, 32, 1, 2});  // strided 1x1 residual shortcut

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
    for (auto _ : state) {
        dw.forward(in, out.mutable_view());
        benchmark::DoNotOptimize(out.data());
    }
    set_flops(state, double(out.size()) * dw.kernel_h * dw.kernel_w);
}
BENCHMARK(BM_depthwise_conv2d)->Args({64, 16, 3, 1})->Args({32, 64, 3, 1})->Args({16, 128, 3, 1});

void BM_max_pool_3x3_s2_same(benchmark::State& state) {
    const int size = int(state.range(0)), channels = int(state.range(1));
    fer::Pool2D pool;
    pool.kernel_h = pool.kernel_w = 3;
    pool.padding = fer::Padding::same;
    const fer::Tensor in = random_tensor({size, size, channels});
    fer::Tensor out(pool.output_shape(in.shape()));
    for (auto _ : state) {
        pool.forward(in, out.mutable_view());
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
    for (auto _ : state) {
        dense.forward(in, out.mutable_view());
        benchmark::DoNotOptimize(out.data());
    }
    set_flops(state, double(dense.inputs) * dense.outputs);
}
BENCHMARK(BM_dense)->Args({1024, 7})->Args({256, 128});

}  // namespace

BENCHMARK_MAIN();

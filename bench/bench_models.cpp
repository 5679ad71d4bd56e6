// Whole networks with the packaged models' architectures and random weights (the converted
// weights come with the models issue): per-face latency on one core, multiply-accumulates, and
// the fraction of this machine's fp32 peak (about 100 GFLOP/s per core with Eigen's GEMM).
//   build-bench/bench/fer_bench_models --benchmark_counters_tabular=true
#include <fer/fer.hpp>

#include <benchmark/benchmark.h>

#include <random>

namespace {

constexpr double peak_gflops = 100.0;

std::vector<float> random_values(std::size_t n, std::mt19937& rng) {
    std::uniform_real_distribution<float> d(-0.2f, 0.2f);
    std::vector<float> v(n);
    for (float& x : v) x = d(rng);
    return v;
}

// oarriaga's mini-Xception (the Keras model in ../shared): two VALID 3x3 convolutions of 8, four
// residual modules of separable convolutions (16, 32, 64, 128) with max pooling and strided 1x1
// shortcuts, a 3x3 convolution to 7 classes, global average pooling, softmax. Batchnorm is folded
// into the convolutions, as loading does.
fer::Network mini_xception() {
    std::mt19937 rng(42);
    fer::Network net;
    net.set_input({fer::Shape{64, 64, 1}, 2.0f / 255.0f, {-1.0f}});
    auto conv = [&](int k, int stride, int cin, int cout, fer::Padding p, fer::Activation a,
                    int from) {
        fer::Conv2D c;
        c.kernel_h = c.kernel_w = k;
        c.stride_h = c.stride_w = stride;
        c.padding = p;
        c.activation = a;
        c.in_channels = cin, c.out_channels = cout;
        c.weights = random_values(std::size_t(k) * k * cin * cout, rng);
        c.bias = random_values(std::size_t(cout), rng);
        net.add(c, {from});
        return int(net.nodes().size()) - 1;
    };
    auto separable = [&](int cin, int cout, fer::Activation a, int from) {
        fer::DepthwiseConv2D d;
        d.channels = cin;
        d.weights = random_values(9 * std::size_t(cin), rng);
        d.bias.assign(std::size_t(cin), 0.0f);
        net.add(d, {from});
        return conv(1, 1, cin, cout, fer::Padding::same, a, int(net.nodes().size()) - 1);
    };
    int x = conv(3, 1, 1, 8, fer::Padding::valid, fer::Activation::relu, -1);
    x = conv(3, 1, 8, 8, fer::Padding::valid, fer::Activation::relu, x);
    int channels = 8;
    for (int width : {16, 32, 64, 128}) {
        const int shortcut =
            conv(1, 2, channels, width, fer::Padding::same, fer::Activation::none, x);
        int y = separable(channels, width, fer::Activation::relu, x);
        y = separable(width, width, fer::Activation::none, y);
        fer::Pool2D pool;
        pool.kernel_h = pool.kernel_w = 3;
        pool.padding = fer::Padding::same;
        net.add(pool, {y});
        net.add(fer::AddLayer{}, {int(net.nodes().size()) - 1, shortcut});
        x = int(net.nodes().size()) - 1;
        channels = width;
    }
    x = conv(3, 1, channels, 7, fer::Padding::same, fer::Activation::none, x);
    net.add(fer::GlobalAveragePool{}, {x});
    net.add(fer::SoftmaxLayer{}, {int(net.nodes().size()) - 1});
    net.labels = {"angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"};
    return net;
}

// Multiply-accumulates of the convolutions and dense layers.
double macs(const fer::Network& net) {
    double total = 0;
    for (const fer::Network::Node& n : net.nodes()) {
        if (const auto* c = std::get_if<fer::Conv2D>(&n.layer))
            total += double(n.output.size()) * c->kernel_h * c->kernel_w * c->in_channels;
        else if (const auto* d = std::get_if<fer::DepthwiseConv2D>(&n.layer))
            total += double(n.output.size()) * d->kernel_h * d->kernel_w;
        else if (const auto* f = std::get_if<fer::Dense>(&n.layer))
            total += double(f->inputs) * f->outputs;
    }
    return total;
}

void run(benchmark::State& state, const fer::Network& net) {
    fer::Tensor input(net.input().shape);
    std::mt19937 rng(1);
    for (std::int64_t i = 0; i < input.size(); ++i) input.data()[i] = float(rng() % 256) / 255.0f;
    fer::Network::Workspace ws;
    for (auto _ : state) benchmark::DoNotOptimize(net.forward(input, ws).data());
    const double m = macs(net);
    state.counters["MMAC"] = m * 1e-6;
    state.counters["GFLOP/s"] =
        benchmark::Counter(2 * m * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
    state.counters["faces/s"] =
        benchmark::Counter(1.0, benchmark::Counter::kIsIterationInvariantRate);
}

void BM_mini_xception_fp32(benchmark::State& state) {
    static const fer::Network net = mini_xception();
    run(state, net);
    state.counters["% of peak"] = benchmark::Counter(2 * macs(net) * 1e-9 * 100 / peak_gflops,
                                                     benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_mini_xception_fp32)->Name("mini_xception/fp32");

}  // namespace

BENCHMARK_MAIN();

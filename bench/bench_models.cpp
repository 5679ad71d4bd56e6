// Whole networks, one face at a time on one core: the shipped models (weights/) and the Keras
// mini-Xception's architecture with random weights. Per model: <model>/fp32 (fer's float
// kernels), <model>/opencv (the same network exported to ONNX by tools/convert.py --onnx, run by
// OpenCV's DNN module on one thread, in the same process), <model>/int8 (int8 convolutions).
// Counters: multiply-accumulates, GFLOP/s and the fraction of this machine's fp32 peak (about 100
// GFLOP/s per core, Eigen GEMM).
//   tools/bench.sh --benchmark_filter=models   (writes the ONNX files first)
#include <fer/fer.hpp>

#include <benchmark/benchmark.h>

#include <filesystem>
#include <random>

#ifdef FER_BENCH_WITH_OPENCV
#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>
#endif

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

struct Model {
    std::string name;  // benchmark prefix
    std::string file;  // in weights/
};

const Model shipped[] = {{"human_emotion", "human-emotion-int8.gguf"},
                         {"faceapi_expression", "faceapi-expression-int8.gguf"}};

fer::Tensor bench_input(const fer::Shape& shape) {
    fer::Tensor input(shape);
    std::mt19937 rng(1);
    for (std::int64_t i = 0; i < input.size(); ++i)
        input.data()[i] = float(rng() % 256) / 128.0f - 1.0f;
    return input;
}

void add_counters(benchmark::State& state, double m) {
    state.counters["MMAC"] = m * 1e-6;
    state.counters["GFLOP/s"] =
        benchmark::Counter(2 * m * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
    state.counters["% of peak"] = benchmark::Counter(2 * m * 1e-9 * 100 / peak_gflops,
                                                     benchmark::Counter::kIsIterationInvariantRate);
}

void run_fer(benchmark::State& state, const fer::Network& net, fer::Precision precision) {
    const fer::Tensor input = bench_input(net.input().shape);
    fer::Network::Workspace ws;
    for (auto _ : state) benchmark::DoNotOptimize(net.forward(input, ws, precision).data());
    add_counters(state, macs(net));
}

#ifdef FER_BENCH_WITH_OPENCV
// The ONNX file tools/bench.sh wrote for `name`, on the same (normalized) input, NCHW.
void run_opencv(benchmark::State& state, const std::string& name, const fer::Network& net) {
    const std::string path = std::string(FER_BENCH_ONNX_DIR) + "/" + name + ".onnx";
    if (!std::filesystem::exists(path)) {
        state.SkipWithError(("no " + path + ": run tools/bench.sh").c_str());
        return;
    }
    cv::setNumThreads(1);
    cv::dnn::Net cv_net = cv::dnn::readNetFromONNX(path);
    const fer::Shape s = net.input().shape;
    const fer::Tensor input = bench_input(s);
    const int dims[] = {1, s.channels, s.height, s.width};
    cv::Mat blob(4, dims, CV_32F);
    for (int c = 0; c < s.channels; ++c)
        for (int y = 0; y < s.height; ++y)
            for (int x = 0; x < s.width; ++x)
                blob.ptr<float>()[(c * s.height + y) * s.width + x] = input.view().at(y, x, c);
    for (auto _ : state) {
        cv_net.setInput(blob);
        cv::Mat out = cv_net.forward();
        benchmark::DoNotOptimize(out.data);
    }
    add_counters(state, macs(net));
}
#endif

void register_benchmarks() {
    static const fer::Network random_mini_xception = mini_xception();
    benchmark::RegisterBenchmark("mini_xception/fp32", [](benchmark::State& state) {
        run_fer(state, random_mini_xception, fer::Precision::fp32);
    });
    for (const Model& m : shipped) {
        const std::string path = std::string(FER_WEIGHTS_DIR) + "/" + m.file;
        if (!std::filesystem::exists(path)) continue;
        const auto net = std::make_shared<const fer::Network>(fer::load_network(path));
        benchmark::RegisterBenchmark((m.name + "/fp32").c_str(), [net](benchmark::State& state) {
            run_fer(state, *net, fer::Precision::fp32);
        });
        if (net->supports_int8())
            benchmark::RegisterBenchmark(
                (m.name + "/int8").c_str(),
                [net](benchmark::State& state) { run_fer(state, *net, fer::Precision::int8); });
#ifdef FER_BENCH_WITH_OPENCV
        benchmark::RegisterBenchmark(
            (m.name + "/opencv").c_str(),
            [net, name = m.name](benchmark::State& state) { run_opencv(state, name, *net); });
#endif
    }
}

}  // namespace

int main(int argc, char** argv) {
    register_benchmarks();
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}

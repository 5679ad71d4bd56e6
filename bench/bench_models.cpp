// Whole networks, one face at a time on one core: the shipped models (weights/), and the
// BlazeFace face detector's network on its 256x256 input. Per model:
// <model>/fp32 (fer's float kernels), <model>/opencv (the same network exported to ONNX by
// tools/convert.py --onnx, run by OpenCV's DNN module on one thread, in the same process),
// <model>/int8 (int8 convolutions), <model>/onnxruntime (the same ONNX file in ONNX Runtime
// 1.30's CPU library from npm's onnxruntime-node, one thread, loaded into this process).
// Counters: multiply-accumulates, GFLOP/s and the fraction of this core's fp32 FMA peak at the
// vector width fer's kernels use here (timed at start-up, reported in the context; x86 only).
// For ratios, interleave the runs:
//   fer_bench_models --benchmark_repetitions=5 --benchmark_enable_random_interleaving=true
// <model>/fp32_8_stacked: eight faces stacked into one input eight times as tall, one pass (the
// GEMMs get eight times the rows: what batching several faces could gain at most; fully
// convolutional models only). Compare items_per_second (faces) with <model>/fp32.
// Then what a user pays per face: classify/<file>/fp32, fer::ExpressionClassifier on a 120x120
// RGB face crop (resizing to each model's input, mirrored passes, the combination) for each
// single model and each speed level's ensemble file.
//   tools/bench.sh --benchmark_filter=models   (writes the ONNX files, fetches ONNX Runtime)
#include <fer/fer.hpp>

#include <benchmark/benchmark.h>

#include "onnxruntime.hpp"

#include <chrono>
#include <filesystem>
#include <iterator>
#include <memory>
#include <random>
#include <string>
#include <vector>

#ifdef FER_BENCH_WITH_OPENCV
#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>
#endif

namespace {

// This core's fp32 multiply-add peak in GFLOP/s, at the vector width fer's kernels use here:
// twelve independent FMA chains (enough to cover the FMA latency on both pipes), timed. Zero
// where no x86 vector kernel runs (the counter is then left out).
#if FER_HAS_AVX2
// `rounds` rounds of twelve independent multiply-add chains; returns a lane of their sum (so that
// none is optimized away). Written once per width: a function's target cannot depend on a
// template argument.
__attribute__((target("avx512f"))) float avx512_fma_rounds(long rounds) {
    const __m512 m = _mm512_set1_ps(0.999999f), c = _mm512_set1_ps(1e-6f);
    __m512 acc[12];
    for (int i = 0; i < 12; ++i) acc[i] = _mm512_set1_ps(1.0f + 0.1f * float(i));
    for (long r = 0; r < rounds; ++r)
        for (int i = 0; i < 12; ++i) acc[i] = _mm512_fmadd_ps(acc[i], m, c);
    for (int i = 1; i < 12; ++i) acc[0] = _mm512_add_ps(acc[0], acc[i]);
    float sum[16];
    _mm512_storeu_ps(sum, acc[0]);
    return sum[0];
}
__attribute__((target("avx2,fma"))) float avx2_fma_rounds(long rounds) {
    const __m256 m = _mm256_set1_ps(0.999999f), c = _mm256_set1_ps(1e-6f);
    __m256 acc[12];
    for (int i = 0; i < 12; ++i) acc[i] = _mm256_set1_ps(1.0f + 0.1f * float(i));
    for (long r = 0; r < rounds; ++r)
        for (int i = 0; i < 12; ++i) acc[i] = _mm256_fmadd_ps(acc[i], m, c);
    for (int i = 1; i < 12; ++i) acc[0] = _mm256_add_ps(acc[0], acc[i]);
    return _mm256_cvtss_f32(acc[0]);
}

double fma_gflops(float (*fma_rounds)(long), int lanes) {
    constexpr long rounds = 20'000'000;
    const auto start = std::chrono::steady_clock::now();
    benchmark::DoNotOptimize(fma_rounds(rounds));
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
    return 12.0 * rounds * lanes * 2 * 1e-9 / took.count();
}
#endif

double measure_peak_gflops() {
#if FER_HAS_AVX2
    if (fer::detail::cpu_has_avx512()) return fma_gflops(avx512_fma_rounds, 16);
    if (fer::detail::cpu_has_avx2_fma()) return fma_gflops(avx2_fma_rounds, 8);
#endif
    return 0;
}

double peak_gflops = 0;  // set in main, before any benchmark runs

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
                         {"faceapi_expression", "faceapi-expression-int8.gguf"},
                         {"mini_xception", "xception-int8.gguf"}};
const Model detector = {"blazeface", "blazeface.gguf"};

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
    if (peak_gflops > 0)
        state.counters["% of peak"] = benchmark::Counter(
            2 * m * 1e-9 * 100 / peak_gflops, benchmark::Counter::kIsIterationInvariantRate);
}

// `faces`: how many faces one input holds (stacked).
void run_fer(benchmark::State& state, const fer::Network& net, fer::Precision precision,
             int faces = 1) {
    const fer::Tensor input = bench_input(net.input().shape);
    fer::Network::Workspace ws;
    for (auto _ : state) benchmark::DoNotOptimize(net.forward(input, ws, precision).data());
    add_counters(state, macs(net));
    state.SetItemsProcessed(std::int64_t(state.iterations()) * faces);
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
    const std::vector<std::string> heads = cv_net.getUnconnectedOutLayersNames();
    std::vector<cv::Mat> outputs;
    for (auto _ : state) {  // every output, as fer's forward computes them all
        cv_net.setInput(blob);
        cv_net.forward(outputs, heads);
        benchmark::DoNotOptimize(outputs[0].data);
    }
    add_counters(state, macs(net));
}
#endif

// The ONNX file tools/bench.sh wrote for `name` in ONNX Runtime, every output computed.
void run_onnxruntime(benchmark::State& state, const std::string& name, const fer::Network& net) {
    const std::string path = std::string(FER_BENCH_ONNX_DIR) + "/" + name + ".onnx";
    if (!std::filesystem::exists(path) || !std::filesystem::exists(FER_BENCH_ONNXRUNTIME)) {
        state.SkipWithError("no ONNX file or ONNX Runtime: run tools/bench.sh");
        return;
    }
    const fer::Shape s = net.input().shape;
    std::vector<std::string> outputs;  // tools/convert.py names node i's output "t<i>"
    for (int node : net.output_nodes()) outputs.push_back("t" + std::to_string(node));
    bench::OnnxRuntime runtime(FER_BENCH_ONNXRUNTIME, path, {1, s.channels, s.height, s.width},
                               outputs);
    const fer::Tensor hwc = bench_input(s);
    std::vector<float> input(std::size_t(hwc.size()));
    for (int c = 0; c < s.channels; ++c)
        for (int y = 0; y < s.height; ++y)
            for (int x = 0; x < s.width; ++x)
                input[std::size_t((c * s.height + y) * s.width + x)] = hwc.view().at(y, x, c);
    for (auto _ : state) benchmark::DoNotOptimize(runtime.run(input.data(), input.size()));
    add_counters(state, macs(net));
}

void run_classifier(benchmark::State& state, const fer::ExpressionClassifier& classifier) {
    fer::Image face(120, 120, fer::PixelFormat::rgb);
    std::mt19937 rng(3);
    for (int i = 0; i < face.stride() * face.height(); ++i) face.data()[i] = std::uint8_t(rng());
    fer::ExpressionClassifier::Workspace ws;
    for (auto _ : state) benchmark::DoNotOptimize(classifier.classify(face.view(), ws)[0]);
}

void register_benchmarks() {
    std::vector<Model> networks(std::begin(shipped), std::end(shipped));
    networks.push_back(detector);
    for (const Model& m : networks) {
        const std::string path = std::string(FER_WEIGHTS_DIR) + "/" + m.file;
        if (!std::filesystem::exists(path)) continue;
        const auto net = std::make_shared<const fer::Network>(fer::load_network(path));
        benchmark::RegisterBenchmark((m.name + "/fp32").c_str(), [net](benchmark::State& state) {
            run_fer(state, *net, fer::Precision::fp32);
        });
        const fer::Shape s = net->input().shape;
        try {
            const auto stacked = std::make_shared<const fer::Network>(
                net->with_input_shape({s.height * 8, s.width, s.channels}));
            benchmark::RegisterBenchmark((m.name + "/fp32_8_stacked").c_str(),
                                         [stacked](benchmark::State& state) {
                                             run_fer(state, *stacked, fer::Precision::fp32, 8);
                                         });
        } catch (const fer::error&) {  // a dense layer needs its input size
        }
        if (net->supports_int8())
            benchmark::RegisterBenchmark(
                (m.name + "/int8").c_str(),
                [net](benchmark::State& state) { run_fer(state, *net, fer::Precision::int8); });
        benchmark::RegisterBenchmark(
            (m.name + "/onnxruntime").c_str(),
            [net, name = m.name](benchmark::State& state) { run_onnxruntime(state, name, *net); });
#ifdef FER_BENCH_WITH_OPENCV
        benchmark::RegisterBenchmark(
            (m.name + "/opencv").c_str(),
            [net, name = m.name](benchmark::State& state) { run_opencv(state, name, *net); });
#endif
    }
    std::vector<std::string> files;
    for (const Model& m : shipped) files.push_back(m.file);
    files.push_back("faceapi-expression-ft-int8.gguf");  // face-api's net, fine-tuned: same cost
    for (const fer::Level level : {fer::Level::fast, fer::Level::balanced, fer::Level::best})
        files.push_back(std::string("fer-") + fer::level_name(level) + ".gguf");
    for (const std::string& file : files) {
        const std::string path = std::string(FER_WEIGHTS_DIR) + "/" + file;
        if (!std::filesystem::exists(path)) continue;
        const auto classifier = std::make_shared<const fer::ExpressionClassifier>(
            fer::ExpressionClassifier::load({path}));
        benchmark::RegisterBenchmark(
            ("classify/" + file + "/fp32").c_str(),
            [classifier](benchmark::State& state) { run_classifier(state, *classifier); })
            ->Unit(benchmark::kMillisecond);
    }
}

}  // namespace

int main(int argc, char** argv) {
    register_benchmarks();
    benchmark::Initialize(&argc, argv);
    peak_gflops = measure_peak_gflops();
    benchmark::AddCustomContext("fp32_fma_peak_gflops", std::to_string(peak_gflops));
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}

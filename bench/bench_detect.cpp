// Face detection per part and per frame, ours next to OpenCV's (one thread each).
//   build-bench/bench/fer_bench_detect --benchmark_counters_tabular=true
#include <fer/fer.hpp>

#include <benchmark/benchmark.h>

#include <filesystem>

#ifdef FER_BENCH_WITH_OPENCV
#include <opencv2/core/utility.hpp>
#include <opencv2/objdetect.hpp>
#endif

namespace {

const fer::Image& frame() {  // a real photo at 640 x 480, gray
    static const fer::Image image = [] {
        const std::filesystem::path path =
            std::filesystem::path(FER_BENCH_ASSETS_DIR) / "face-api" / "sample1.jpg";
        if (!std::filesystem::exists(path))
            throw fer::error(path.string() + " is missing: run tools/fetch-assets.sh");
        return fer::resize_area(fer::to_gray(fer::load_image(path.string())), 640, 480);
    }();
    return image;
}

const fer::CascadeDetector& detector() {
    static const fer::CascadeDetector d(fer::load_cascade(fer::default_face_cascade_path()));
    return d;
}

fer::DetectionOptions frame_options(int threads) {
    fer::DetectionOptions o;
    o.min_width = o.min_height = 30;
    o.threads = threads;
    return o;
}

void BM_fer_detect_640x480(benchmark::State& state) {
    const fer::DetectionOptions o = frame_options(int(state.range(0)));
    for (auto _ : state) benchmark::DoNotOptimize(detector().detect(frame(), o));
    state.counters["frames/s"] =
        benchmark::Counter(1.0, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_fer_detect_640x480)->Arg(1)->Arg(2)->UseRealTime();

// BlazeFace on the same frame as RGB (the photo's pixels): Arg 1, one pass; Arg 2, the default
// with the mirrored picture's pass too.
void BM_fer_blazeface_detect_640x480(benchmark::State& state) {
    static const fer::BlazeFaceDetector blazeface(
        fer::load_network(fer::default_blazeface_model_path()));
    static const fer::Image rgb = [] {
        const std::filesystem::path path =
            std::filesystem::path(FER_BENCH_ASSETS_DIR) / "face-api" / "sample1.jpg";
        return fer::resize_area(fer::load_image(path.string(), fer::PixelFormat::rgb), 640, 480);
    }();
    fer::BlazeFaceOptions options;
    options.mirror = state.range(0) == 2;
    fer::BlazeFaceDetector::Workspace ws;
    for (auto _ : state) benchmark::DoNotOptimize(blazeface.detect(rgb, ws, options));
    state.counters["frames/s"] =
        benchmark::Counter(1.0, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_fer_blazeface_detect_640x480)->Arg(1)->Arg(2)->UseRealTime();

// The parts of one detection: the pyramid images and their integral tables.
void BM_fer_pyramid_and_tables_640x480(benchmark::State& state) {
    const auto levels = fer::detail::pyramid_levels(640, 480, 24, 24, frame_options(1));
    fer::Image scaled;
    fer::detail::LinearExactScratch scratch;
    fer::detail::LevelTables tables;
    for (auto _ : state)
        for (const auto& level : levels) {
            fer::detail::resize_linear_exact(frame(), level.width, level.height, scaled, scratch);
            tables.build(scaled, true, false);
            if (level.step == 2) tables.split_columns();
            benchmark::DoNotOptimize(tables.sum.data());
        }
    state.counters["levels"] = double(levels.size());
}
BENCHMARK(BM_fer_pyramid_and_tables_640x480);

#ifdef FER_BENCH_WITH_OPENCV
void BM_opencv_detect_640x480(benchmark::State& state) {
    cv::setNumThreads(1);
    static cv::CascadeClassifier classifier(fer::default_face_cascade_path());
    const cv::Mat pixels(480, 640, CV_8UC1, const_cast<std::uint8_t*>(frame().data()));
    std::vector<cv::Rect> faces;
    for (auto _ : state) classifier.detectMultiScale(pixels, faces, 1.1, 3, 0, cv::Size(30, 30));
    state.counters["frames/s"] =
        benchmark::Counter(1.0, benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_opencv_detect_640x480)->UseRealTime();
#endif

}  // namespace

BENCHMARK_MAIN();

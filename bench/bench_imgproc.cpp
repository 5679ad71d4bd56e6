// Image basics, ours next to OpenCV's on the same pixels (one thread each).
//   build-bench/bench/fer_bench_imgproc --benchmark_counters_tabular=true
#include <fer/fer.hpp>

#include <benchmark/benchmark.h>

#include <filesystem>
#include <random>

#ifdef FER_BENCH_WITH_OPENCV
#include <opencv2/core/utility.hpp>
#include <opencv2/imgproc.hpp>
#endif

namespace {

// A real photo when the assets are fetched (textures matter for nothing here but JPEG decoding),
// otherwise noise.
const fer::Image& photo() {
    static const fer::Image image = [] {
        const std::filesystem::path path =
            std::filesystem::path(FER_BENCH_ASSETS_DIR) / "face-api" / "sample1.jpg";
        if (std::filesystem::exists(path)) return fer::load_image(path.string());
        fer::Image noise(1920, 1280, fer::PixelFormat::rgb);
        std::mt19937 rng(1);
        for (std::size_t i = 0; i < std::size_t(noise.stride()) * noise.height(); ++i)
            noise.data()[i] = std::uint8_t(rng());
        return noise;
    }();
    return image;
}

const fer::Image& gray_photo() {
    static const fer::Image image = fer::to_gray(photo());
    return image;
}

void set_pixels_processed(benchmark::State& state, const fer::Image& input) {
    state.counters["Mpix/s"] = benchmark::Counter(double(input.width()) * input.height() * 1e-6,
                                                  benchmark::Counter::kIsIterationInvariantRate);
}

void BM_fer_to_gray(benchmark::State& state) {
    for (auto _ : state) benchmark::DoNotOptimize(fer::to_gray(photo()));
    set_pixels_processed(state, photo());
}
BENCHMARK(BM_fer_to_gray);

void BM_fer_resize_bilinear_third(benchmark::State& state) {
    for (auto _ : state) benchmark::DoNotOptimize(fer::resize_bilinear(gray_photo(), 640, 427));
    set_pixels_processed(state, gray_photo());
}
BENCHMARK(BM_fer_resize_bilinear_third);

void BM_fer_resize_area_third(benchmark::State& state) {
    for (auto _ : state) benchmark::DoNotOptimize(fer::resize_area(gray_photo(), 640, 427));
    set_pixels_processed(state, gray_photo());
}
BENCHMARK(BM_fer_resize_area_third);

void BM_fer_equalize(benchmark::State& state) {
    for (auto _ : state) benchmark::DoNotOptimize(fer::equalize_histogram(gray_photo()));
    set_pixels_processed(state, gray_photo());
}
BENCHMARK(BM_fer_equalize);

void BM_fer_integral(benchmark::State& state) {
    for (auto _ : state) benchmark::DoNotOptimize(fer::integral_images(gray_photo()));
    set_pixels_processed(state, gray_photo());
}
BENCHMARK(BM_fer_integral);

#ifdef FER_BENCH_WITH_OPENCV
cv::Mat as_mat(const fer::Image& image) {
    return cv::Mat(image.height(), image.width(), image.channels() == 1 ? CV_8UC1 : CV_8UC3,
                   const_cast<std::uint8_t*>(image.data()), std::size_t(image.stride()));
}

void BM_opencv_to_gray(benchmark::State& state) {
    cv::setNumThreads(1);
    cv::Mat out;
    for (auto _ : state) cv::cvtColor(as_mat(photo()), out, cv::COLOR_RGB2GRAY);
    set_pixels_processed(state, photo());
}
BENCHMARK(BM_opencv_to_gray);

void BM_opencv_resize_bilinear_third(benchmark::State& state) {
    cv::setNumThreads(1);
    cv::Mat out;
    for (auto _ : state)
        cv::resize(as_mat(gray_photo()), out, cv::Size(640, 427), 0, 0, cv::INTER_LINEAR);
    set_pixels_processed(state, gray_photo());
}
BENCHMARK(BM_opencv_resize_bilinear_third);

void BM_opencv_resize_area_third(benchmark::State& state) {
    cv::setNumThreads(1);
    cv::Mat out;
    for (auto _ : state)
        cv::resize(as_mat(gray_photo()), out, cv::Size(640, 427), 0, 0, cv::INTER_AREA);
    set_pixels_processed(state, gray_photo());
}
BENCHMARK(BM_opencv_resize_area_third);

void BM_opencv_equalize(benchmark::State& state) {
    cv::setNumThreads(1);
    cv::Mat out;
    for (auto _ : state) cv::equalizeHist(as_mat(gray_photo()), out);
    set_pixels_processed(state, gray_photo());
}
BENCHMARK(BM_opencv_equalize);

void BM_opencv_integral(benchmark::State& state) {
    cv::setNumThreads(1);
    cv::Mat sum, sqsum;
    for (auto _ : state) cv::integral(as_mat(gray_photo()), sum, sqsum, CV_32S, CV_64F);
    set_pixels_processed(state, gray_photo());
}
BENCHMARK(BM_opencv_integral);
#endif

}  // namespace

BENCHMARK_MAIN();

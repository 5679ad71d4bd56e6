// Face detection on 640 x 480 frames, one thread each, in one run, alternating:
// - the Viola-Jones cascade, fer against OpenCV 4's CascadeClassifier on the same gray pixels
//   with the same parameters (scale 1.1, 3 neighbours, minimum 30 x 30): median and fastest
//   times, the speed ratios and whether the boxes agree; then fer with two threads;
// - BlazeFace, fer's detect() in one pass (letterbox, network, decoding, merging; what the video
//   tracker runs) against the same network in OpenCV's DNN module and in ONNX Runtime (the ONNX
//   file tools/bench.sh writes; letterbox, blob and the network's four outputs, without
//   decoding), and against fer's cascade on the same frame; then fer's two-pass default for
//   photos (with the mirror).
// The fastest run is the least disturbed by other work on a shared machine; the median is what
// a user sees on average. Prints Markdown tables.
//
//   build-bench/bench/fer_compare_detect [--repeat N] [--cascade FILE] [IMAGE...]
//   (default images: the face-api sample photos and skimage's astronaut)
#include <fer/fer.hpp>

#include <opencv2/core/utility.hpp>
#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "onnxruntime.hpp"
#include "timing.hpp"

using bench::fastest;
using bench::median;
using bench::time_ms;

namespace {

// BlazeFace on each image as a 640x480 RGB frame: fer, OpenCV's DNN module, fer's cascade.
void compare_blazeface(const std::vector<std::string>& images, int repeat,
                       const fer::CascadeDetector& cascade, const fer::DetectionOptions& options) {
    const std::string onnx = std::string(FER_BENCH_ONNX_DIR) + "/blazeface.onnx";
    if (!std::filesystem::exists(onnx)) {
        std::printf("\nno %s: run tools/bench.sh for the BlazeFace comparison\n", onnx.c_str());
        return;
    }
    const fer::BlazeFaceDetector ours(fer::load_network(fer::default_blazeface_model_path()));
    fer::BlazeFaceDetector::Workspace ws;
    cv::dnn::Net theirs = cv::dnn::readNetFromONNX(onnx);
    const std::vector<std::string> heads = theirs.getUnconnectedOutLayersNames();
    const int side = ours.network().input().shape.width;
    std::vector<std::string> ort_heads;  // tools/convert.py names node i's output "t<i>"
    for (int node : ours.network().output_nodes()) ort_heads.push_back("t" + std::to_string(node));
    std::unique_ptr<bench::OnnxRuntime> runtime;
    if (std::filesystem::exists(FER_BENCH_ONNXRUNTIME))
        runtime = std::make_unique<bench::OnnxRuntime>(
            FER_BENCH_ONNXRUNTIME, onnx, std::vector<std::int64_t>{1, 3, side, side}, ort_heads);
    else
        std::printf("\n(no ONNX Runtime at %s: tools/fetch-assets.sh --bench)\n",
                    FER_BENCH_ONNXRUNTIME);
    fer::BlazeFaceOptions one_pass, two_passes;
    one_pass.mirror = false;
    one_pass.min_score = fer::TrackerOptions{}.min_face_score;
    std::printf(
        "\n| image (640x480) | faces | BlazeFace, fer, median (fastest) | BlazeFace, OpenCV DNN | "
        "OpenCV / fer | ONNX Runtime | ONNX Runtime / fer | Haar, fer | Haar / BlazeFace, fer | "
        "fer, two passes |\n");
    std::printf("|---|---|---|---|---|---|---|---|---|---|\n");
    double total_ours = 0, total_theirs = 0, total_ort = 0, total_haar = 0, total_two = 0;
    for (const std::string& path : images) {
        if (!std::filesystem::exists(path)) continue;
        const fer::Image frame =
            fer::resize_area(fer::load_image(path, fer::PixelFormat::rgb), 640, 480);
        const cv::Mat pixels(480, 640, CV_8UC3, const_cast<std::uint8_t*>(frame.data()));
        std::vector<double> t_ours, t_theirs, t_ort, t_haar, t_two;
        // The peers' input, prepared inside each timed run: letterboxed, scaled to -1..1, NCHW.
        auto letterboxed_blob = [&] {
            cv::Mat fitted, boxed;
            cv::resize(pixels, fitted, cv::Size(side, side * 480 / 640), 0, 0, cv::INTER_LINEAR);
            cv::copyMakeBorder(fitted, boxed, 0, side - fitted.rows, 0, 0, cv::BORDER_CONSTANT);
            return cv::dnn::blobFromImage(boxed, 1.0 / 127.5, cv::Size(),
                                          cv::Scalar(127.5, 127.5, 127.5));
        };
        std::vector<fer::FaceDetection> found;
        std::vector<cv::Mat> outputs;
        for (int r = 0; r < repeat; ++r) {  // alternating
            t_ours.push_back(bench::time_ms([&] { found = ours.detect(frame, ws, one_pass); }));
            t_theirs.push_back(bench::time_ms([&] {
                theirs.setInput(letterboxed_blob());
                theirs.forward(outputs, heads);
            }));
            if (runtime)
                t_ort.push_back(bench::time_ms([&] {
                    cv::Mat blob = letterboxed_blob();
                    runtime->run(blob.ptr<float>(), blob.total());
                }));
            t_haar.push_back(bench::time_ms([&] { cascade.detect(frame, options); }));
            t_two.push_back(bench::time_ms([&] { ours.detect(frame, ws, two_passes); }));
        }
        const double a = median(t_ours), c = median(t_theirs), h = median(t_haar),
                     t = median(t_two), o = runtime ? median(t_ort) : 0.0;
        total_ours += a, total_theirs += c, total_ort += o, total_haar += h, total_two += t;
        std::printf(
            "| %s | %zu | %.1f (%.1f) ms | %.1f (%.1f) ms | %.2fx | %.1f ms | %.2fx | %.1f ms | "
            "%.2fx | %.1f ms |\n",
            std::filesystem::path(path).filename().c_str(), found.size(), a, fastest(t_ours), c,
            fastest(t_theirs), c / a, o, o / a, h, h / a, t);
    }
    std::printf(
        "| **all** | | %.1f ms | %.1f ms | **%.2fx** | %.1f ms | **%.2fx** | %.1f ms | **%.2fx** | "
        "%.1f ms |\n",
        total_ours, total_theirs, total_theirs / total_ours, total_ort, total_ort / total_ours,
        total_haar, total_haar / total_ours, total_two);
}

}  // namespace

int main(int argc, char** argv) {
    int repeat = 9;
    std::string cascade_path;
    std::vector<std::string> images;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--repeat" && i + 1 < argc)
            repeat = std::max(1, std::atoi(argv[++i]));
        else if (a == "--cascade" && i + 1 < argc)
            cascade_path = argv[++i];
        else if (a == "-h" || a == "--help") {
            std::printf("usage: %s [--repeat N] [--cascade FILE] [IMAGE...]\n", argv[0]);
            return 0;
        } else
            images.push_back(a);
    }
    try {
        if (cascade_path.empty()) cascade_path = fer::default_face_cascade_path();
        if (images.empty()) {
            for (int i = 1; i <= 6; ++i)
                images.push_back(std::string(FER_BENCH_ASSETS_DIR) + "/face-api/sample" +
                                 std::to_string(i) + ".jpg");
            images.push_back("/usr/lib/python3/dist-packages/skimage/data/astronaut.png");
        }
        cv::setNumThreads(1);
        const fer::CascadeDetector ours(fer::load_cascade(cascade_path));
        cv::CascadeClassifier theirs(cascade_path);
        if (theirs.empty()) throw fer::error("OpenCV cannot load " + cascade_path);
        fer::DetectionOptions options;
        options.min_width = options.min_height = 30;
        fer::DetectionOptions two_threads = options;
        two_threads.threads = 2;

        std::printf(
            "| image (640x480) | faces | fer, median (fastest) | OpenCV, median (fastest) | "
            "OpenCV / fer, median (fastest) | fer, 2 threads |\n");
        std::printf("|---|---|---|---|---|---|\n");
        double total_ours = 0, total_theirs = 0, best_ours = 0, best_theirs = 0;
        bool all_same = true;
        for (const std::string& path : images) {
            if (!std::filesystem::exists(path)) {
                std::fprintf(stderr, "skipping %s: missing\n", path.c_str());
                continue;
            }
            const fer::Image gray = fer::resize_area(fer::to_gray(fer::load_image(path)), 640, 480);
            const cv::Mat pixels(480, 640, CV_8UC1, const_cast<std::uint8_t*>(gray.data()));
            std::vector<double> t_ours, t_two, t_theirs;
            std::vector<fer::Detection> found;
            std::vector<cv::Rect> cv_found;
            for (int r = 0; r < repeat; ++r) {  // alternating, so that load changes hit both alike
                t_ours.push_back(time_ms([&] { found = ours.detect(gray, options); }));
                t_theirs.push_back(time_ms([&] {
                    theirs.detectMultiScale(pixels, cv_found, 1.1, 3, 0, cv::Size(30, 30));
                }));
            }
            for (int r = 0; r < repeat; ++r)
                t_two.push_back(time_ms([&] { ours.detect(gray, two_threads); }));
            bool same = found.size() == cv_found.size();
            for (const cv::Rect& c : cv_found)
                same &= std::any_of(found.begin(), found.end(), [&](const fer::Detection& d) {
                    return d.box == fer::Rect{c.x, c.y, c.width, c.height};
                });
            all_same &= same;
            const double a = median(t_ours), c = median(t_theirs), fa = fastest(t_ours),
                         fc = fastest(t_theirs);
            total_ours += a, total_theirs += c, best_ours += fa, best_theirs += fc;
            std::printf(
                "| %s | %zu%s | %.1f (%.1f) ms | %.1f (%.1f) ms | %.2fx (%.2fx) | %.1f ms |\n",
                std::filesystem::path(path).filename().c_str(), found.size(),
                same ? "" : " (differs)", a, fa, c, fc, c / a, fc / fa, median(t_two));
        }
        std::printf("| **all** | | %.1f (%.1f) ms | %.1f (%.1f) ms | **%.2fx (%.2fx)** | |\n",
                    total_ours, best_ours, total_theirs, best_theirs, total_theirs / total_ours,
                    best_theirs / best_ours);
        std::printf("\nboxes identical to OpenCV's: %s\n", all_same ? "yes, on every image" : "NO");
        compare_blazeface(images, repeat, ours, options);
        return all_same ? 0 : 1;
    } catch (const fer::error& e) {
        std::fprintf(stderr, "fer_compare_detect: %s\n", e.what());
        return 1;
    }
}

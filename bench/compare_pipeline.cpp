// The whole job on a photo, fer against OpenCV 4 doing the same: decode the JPEG, detect faces
// (frontal cascade, scale 1.1, 3 neighbours, minimum 30 x 30), and classify each face with the
// same model (Human's emotion net; OpenCV's DNN runs the ONNX export tools/bench.sh writes). One
// thread each, alternating, in one run; prints a Markdown table of median times per photo.
//
//   build-bench/bench/fer_compare_pipeline [--repeat N] [IMAGE...]
//   (default images: the face-api sample photos)
#include <fer/fer.hpp>

#include <opencv2/core/utility.hpp>
#include <opencv2/dnn.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "timing.hpp"

using bench::median;
using bench::time_ms;

int main(int argc, char** argv) {
    int repeat = 5;
    std::vector<std::string> images;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--repeat" && i + 1 < argc)
            repeat = std::max(1, std::atoi(argv[++i]));
        else if (a == "-h" || a == "--help") {
            std::printf("usage: %s [--repeat N] [IMAGE...]\n", argv[0]);
            return 0;
        } else
            images.push_back(a);
    }
    try {
        const bool defaults = images.empty();
        for (int n = 1; defaults && n <= 6; ++n)
            images.push_back(std::string(FER_BENCH_ASSETS_DIR) + "/face-api/sample" +
                             std::to_string(n) + ".jpg");
        const std::string onnx = std::string(FER_BENCH_ONNX_DIR) + "/human_emotion.onnx";
        if (!std::filesystem::exists(onnx))
            fer::detail::fail("no " + onnx + ": run tools/bench.sh, which writes it");
        cv::setNumThreads(1);
        const std::string cascade = fer::default_face_cascade_path();
        fer::RecognizerOptions options;  // scale 1.1, 3 neighbours, minimum 30 x 30
        // Human's model alone, as OpenCV runs it (not a level's ensemble).
        const auto ours_with = [&](fer::Precision precision) {
            const auto detector =
                std::make_shared<const fer::CascadeDetector>(fer::load_cascade(cascade));
            const auto eyes = std::make_shared<const fer::CascadeDetector>(
                fer::load_cascade(fer::default_eye_cascade_path()));
            return fer::Recognizer(
                detector,
                fer::ExpressionClassifier::load(
                    {fer::shipped_model_path("human-emotion-int8.gguf")}, precision),
                options, eyes);
        };
        const fer::Recognizer ours_fp32 = ours_with(fer::Precision::fp32);
        const fer::Recognizer ours_int8 = ours_with(fer::Precision::int8);
        cv::CascadeClassifier their_detector(cascade);
        cv::dnn::Net their_net = cv::dnn::readNetFromONNX(onnx);
        const fer::NetworkInput& input = ours_fp32.classifier().models()[0].input();

        std::printf("| photo | faces | fer fp32 | fer int8 | OpenCV | OpenCV / fer fp32 |\n");
        std::printf("|---|---|---|---|---|---|\n");
        double total[3] = {0, 0, 0};
        for (const std::string& path : images) {
            std::vector<double> t[3];
            std::size_t faces = 0, their_faces = 0;
            fer::Recognizer::Workspace ws;
            for (int r = 0; r < repeat; ++r) {
                for (int k = 0; k < 2; ++k) {
                    const fer::Recognizer& ours = k == 0 ? ours_fp32 : ours_int8;
                    t[k].push_back(time_ms([&] {
                        const fer::Image photo = fer::load_image(path);
                        faces = ours.recognize(photo, ws).size();
                    }));
                }
                t[2].push_back(time_ms([&] {
                    const cv::Mat photo = cv::imread(path);
                    cv::Mat gray;
                    cv::cvtColor(photo, gray, cv::COLOR_BGR2GRAY);
                    std::vector<cv::Rect> boxes;
                    their_detector.detectMultiScale(gray, boxes, 1.1, 3, 0, cv::Size(30, 30));
                    for (const cv::Rect& b : boxes) {
                        cv::Mat face;
                        cv::resize(gray(b), face, cv::Size(input.shape.width, input.shape.height),
                                   0, 0, cv::INTER_LINEAR);
                        face.convertTo(face, CV_32F, input.scale, input.offset[0]);
                        their_net.setInput(cv::dnn::blobFromImage(face));
                        cv::Mat probabilities = their_net.forward();
                    }
                    their_faces = boxes.size();
                }));
            }
            const double m[3] = {median(t[0]), median(t[1]), median(t[2])};
            for (int k = 0; k < 3; ++k) total[k] += m[k];
            std::printf("| %s | %zu (OpenCV %zu) | %.1f ms | %.1f ms | %.1f ms | %.2fx |\n",
                        std::filesystem::path(path).filename().c_str(), faces, their_faces, m[0],
                        m[1], m[2], m[2] / m[0]);
        }
        std::printf("| **all** | | %.1f ms | %.1f ms | %.1f ms | **%.2fx** |\n", total[0], total[1],
                    total[2], total[2] / total[0]);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "fer_compare_pipeline: %s\n", e.what());
        return 1;
    }
    return 0;
}

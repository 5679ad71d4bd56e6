// `fer detect`: faces found by a Viola-Jones cascade.
#include <fer/fer.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "annotate.hpp"
#include "args.hpp"
#include "commands.hpp"
#include "detection.hpp"
#include "json.hpp"

namespace cli {
namespace {

// `fer detect`: faces found by a Viola-Jones cascade.
int run_detect(const Arguments& args) {
    if (args.positional.empty()) throw UsageError{"expected at least one IMAGE"};
    if (args.flag("annotate") && args.positional.size() != 1)
        throw UsageError{"--annotate draws one image; give exactly one IMAGE"};
    fer::DetectionOptions options;
    parse_detection(args, options);
    const long repeat = args.integer("repeat", 0, 0, 100000);
    const bool equalize = args.flag("equalize");
    const std::string cascade_path =
        args.flag("cascade") ? args.text("cascade") : fer::default_face_cascade_path();
    const fer::CascadeDetector detector(fer::load_cascade(cascade_path));
    std::optional<fer::CascadeDetector> eye_detector;
    if (args.flag("eyes")) eye_detector.emplace(fer::load_cascade(fer::default_eye_cascade_path()));

    int status = 0;
    for (const std::string& path : args.positional) {
        try {
            const fer::Image photo = fer::load_image(path);
            fer::Image gray = fer::to_gray(photo);
            if (equalize) gray = fer::equalize_histogram(gray);
            std::vector<fer::Detection> faces = detector.detect(gray, options);
            JsonObject out;
            out.text("image", path).number("width", photo.width()).number("height", photo.height());
            std::string list;
            std::vector<std::optional<fer::EyePair>> eye_pairs;
            for (const fer::Detection& f : faces) {
                JsonObject face;
                face.raw("box", box_json(f.box)).number("neighbors", f.neighbors);
                if (eye_detector) {
                    const std::optional<fer::EyePair> eyes =
                        fer::find_eyes(*eye_detector, gray, f.box);
                    eye_pairs.push_back(eyes);
                    if (eyes)
                        face.raw("eyes", "{\"left\": [" + json_number(eyes->left_x, 5) + ", " +
                                             json_number(eyes->left_y, 5) + "], \"right\": [" +
                                             json_number(eyes->right_x, 5) + ", " +
                                             json_number(eyes->right_y, 5) + "], \"roll\": " +
                                             json_number(eyes->roll_degrees, 3) + "}");
                    else
                        face.raw("eyes", "null");
                }
                list += std::string(list.empty() ? "" : ", ") + face.str();
            }
            out.raw("faces", "[" + list + "]");
            if (repeat > 0) {
                // The median of `repeat` detections on the decoded image: decoding is not timed.
                std::vector<double> ms;
                for (long r = 0; r < repeat; ++r) {
                    const auto start = std::chrono::steady_clock::now();
                    faces = detector.detect(gray, options);
                    ms.push_back(std::chrono::duration<double, std::milli>(
                                     std::chrono::steady_clock::now() - start)
                                     .count());
                }
                std::nth_element(ms.begin(), ms.begin() + long(ms.size() / 2), ms.end());
                out.number("ms", ms[ms.size() / 2], 4);
            }
            std::printf("%s\n", out.str().c_str());
            std::fflush(stdout);
            if (args.flag("annotate")) {
                fer::Image annotated = photo;
                const int thickness = std::max(2, std::min(photo.width(), photo.height()) / 300);
                for (std::size_t i = 0; i < faces.size(); ++i) {
                    const fer::Detection& f = faces[i];
                    fer::draw_rectangle(annotated.mutable_view(), f.box, {40, 220, 40}, thickness);
                    if (i < eye_pairs.size() && eye_pairs[i]) {
                        const int r = std::max(3, f.box.width / 20);
                        for (const auto& [ex, ey] :
                             {std::pair{eye_pairs[i]->left_x, eye_pairs[i]->left_y},
                              std::pair{eye_pairs[i]->right_x, eye_pairs[i]->right_y}})
                            fer::draw_rectangle(annotated.mutable_view(),
                                                {int(ex) - r, int(ey) - r, 2 * r, 2 * r},
                                                {250, 200, 0}, std::max(1, thickness / 2));
                    }
                    fer::draw_label(annotated.mutable_view(), f.box,
                                    "face " + std::to_string(f.neighbors), {40, 220, 40}, {0, 0, 0},
                                    std::max(2, thickness));
                }
                fer::save_image(args.text("annotate"), annotated);
            }
        } catch (const fer::error& e) {
            std::fprintf(stderr, "fer detect: %s\n", e.what());
            status = 1;
        }
    }
    return status;
}

}  // namespace

Command detect_command() {
    const fer::DetectionOptions defaults;  // OpenCV's
    return {
        "detect",
        "IMAGE...",
        "Find faces in photos with a Viola-Jones cascade.",
        "Prints one JSON object per image: image, width, height and faces, each face with\n"
        "box [x, y, w, h] in pixels and neighbors (supporting window hits; more is surer).\n"
        "Reads OpenCV's cascade XML files and, with the same parameters, finds the same boxes\n"
        "as OpenCV's CascadeClassifier::detectMultiScale; the defaults are OpenCV's.",
        with_face_detector_options(
            {{"equalize", "",
              "equalize the histogram before detecting (off: same pixels as OpenCV)"},
             {"eyes", "", "also find both eyes of each face and the roll angle (degrees)"},
             {"threads", "N", with_default("worker threads for each image", defaults.threads)},
             {"annotate", "OUT",
              "write the image with boxes drawn to OUT (.png or .jpg; one IMAGE)",
              ValueKind::output_file},
             {"repeat", "N", "detect N times on the decoded image and add ms, the median time"}},
            defaults),
        run_detect};
}

}  // namespace cli

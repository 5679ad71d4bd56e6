// `fer detect`: faces found by a Viola-Jones cascade, or by BlazeFace with keypoints.
#include <fer/fer.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
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

// The median time of `repeat` runs of `run` (detections on the decoded image: decoding is not
// timed), in milliseconds.
template <class Run>
double median_ms(long repeat, Run&& run) {
    std::vector<double> ms;
    for (long r = 0; r < repeat; ++r) {
        const auto start = std::chrono::steady_clock::now();
        run();
        ms.push_back(
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                .count());
    }
    std::nth_element(ms.begin(), ms.begin() + long(ms.size() / 2), ms.end());
    return ms[ms.size() / 2];
}

// Prints an image's JSON line: `out` with its faces and, when `repeat` > 0, the median time of
// `repeat` more runs of `detect`.
template <class Detect>
void print_faces(JsonObject& out, const std::string& faces, long repeat, Detect&& detect) {
    out.raw("faces", "[" + faces + "]");
    if (repeat > 0) out.number("ms", median_ms(repeat, detect), 4);
    std::printf("%s\n", out.str().c_str());
    std::fflush(stdout);
}

// `fer detect --detector blazeface`: faces with a score and six keypoints.
int run_blazeface(const Arguments& args) {
    if (args.flag("eyes") || args.flag("equalize"))
        throw UsageError{std::string("--") + (args.flag("eyes") ? "eyes" : "equalize") +
                         " does not apply to --detector blazeface"};
    const fer::BlazeFaceOptions options = parse_blazeface(args);
    const long repeat = args.integer("repeat", 0, 0, 100000);
    const std::shared_ptr<const fer::BlazeFaceDetector> loaded = load_blazeface(args);
    const fer::BlazeFaceDetector& detector = *loaded;
    fer::BlazeFaceDetector::Workspace ws;
    int status = 0;
    for (const std::string& path : args.positional) {
        try {
            const fer::Image photo = fer::load_image(path);
            std::vector<fer::FaceDetection> faces = detector.detect(photo, ws, options);
            JsonObject out;
            out.text("image", path).number("width", photo.width()).number("height", photo.height());
            std::string list;
            for (const fer::FaceDetection& f : faces) {
                JsonObject face;
                face.raw("box", box_json(f.box()))
                    .number("score", f.score, 4)
                    .raw("keypoints", keypoints_json(f.keypoints));
                list += std::string(list.empty() ? "" : ", ") + face.str();
            }
            print_faces(out, list, repeat, [&] { faces = detector.detect(photo, ws, options); });
            if (args.flag("annotate")) {
                fer::Image annotated = photo;
                const int thickness = std::max(2, std::min(photo.width(), photo.height()) / 300);
                for (const fer::FaceDetection& f : faces) {
                    fer::draw_rectangle(annotated.mutable_view(), f.box(), {40, 220, 40},
                                        thickness);
                    draw_keypoints(annotated, f.keypoints, int(f.width), {250, 200, 0}, thickness);
                    fer::draw_label(annotated.mutable_view(), f.box(),
                                    "face " + std::to_string(int(std::lround(100 * f.score))) + "%",
                                    {40, 220, 40}, {0, 0, 0}, std::max(2, thickness));
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

// `fer detect`: faces found by a Viola-Jones cascade (or, with --detector blazeface, the CNN).
int run_detect(const Arguments& args) {
    if (args.positional.empty()) throw UsageError{"expected at least one IMAGE"};
    if (args.flag("annotate") && args.positional.size() != 1)
        throw UsageError{"--annotate draws one image; give exactly one IMAGE"};
    if (parse_detector_kind(args) == fer::DetectorKind::blazeface) return run_blazeface(args);
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
            print_faces(out, list, repeat, [&] { faces = detector.detect(gray, options); });
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
        "Find faces in photos with BlazeFace or a Viola-Jones cascade.",
        "Prints one JSON object per image: image, width, height and faces.\n"
        "--detector blazeface (the default), MediaPipe's CNN face detector: each face with box\n"
        "[x, y, w, h] in pixels (it may reach past the picture's edge), score (0-1) and\n"
        "keypoints (right_eye, left_eye, nose, mouth, right_ear, left_ear: [x, y] in pixels;\n"
        "right is the person's right).\n"
        "--detector haar: each face with box and neighbors (supporting window hits; more is\n"
        "surer). Reads OpenCV's cascade XML files and, with the same parameters, finds the same\n"
        "boxes as OpenCV's CascadeClassifier::detectMultiScale; the defaults are OpenCV's.",
        with_face_detector_options(
            {{"equalize", "",
              "haar: equalize the histogram before detecting (off: same pixels as OpenCV)"},
             {"eyes", "", "haar: also find both eyes of each face and the roll angle (degrees)"},
             {"threads", "N", with_default("haar: worker threads per image", defaults.threads)},
             {"annotate", "OUT",
              "write the image with boxes drawn to OUT (.png or .jpg; one IMAGE)",
              ValueKind::output_file},
             {"repeat", "N", "detect N times on the decoded image and add ms, the median time"}},
            defaults),
        run_detect};
}

}  // namespace cli

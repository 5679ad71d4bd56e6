// `fer classify`: the faces in photos and their expressions.
#pragma once

#include <fer/fer.hpp>

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "args.hpp"
#include "json.hpp"
#include "models.hpp"

namespace cli {

inline std::string probabilities_json(const fer::Probabilities& p) {
    JsonObject o;
    for (int c = 0; c < fer::expression_count; ++c)
        o.number(fer::to_string(fer::Expression(c)), p[std::size_t(c)], 4);
    return o.str();
}

// One colour per expression, for boxes, plots and legends.
inline fer::Color expression_colour(fer::Expression e) {
    static const fer::Color colours[fer::expression_count] = {
        {230, 40, 40},  {120, 170, 40}, {150, 60, 200}, {250, 200, 0},
        {40, 110, 230}, {250, 120, 0},  {160, 160, 160}};
    return colours[int(e)];
}

inline std::string box_json(const fer::Rect& r) {
    return "[" + std::to_string(r.x) + ", " + std::to_string(r.y) + ", " + std::to_string(r.width) +
           ", " + std::to_string(r.height) + "]";
}

// One face's box and caption ("<prefix>label score"), in the expression's colour.
inline void annotate_face(fer::Image& picture, const fer::Rect& box, fer::Expression label,
                          float score, const std::string& prefix, int thickness, int text_scale) {
    const fer::Color c = expression_colour(label);
    fer::draw_rectangle(picture.mutable_view(), box, c, thickness);
    char text[64];
    std::snprintf(text, sizeof text, "%s%s %.0f%%", prefix.c_str(), fer::to_string(label),
                  100.0 * score);
    fer::draw_label(picture.mutable_view(), box, text, c, {0, 0, 0}, text_scale);
}

// Boxes with "label score" on the picture.
inline void annotate_faces(fer::Image& photo, const std::vector<fer::FaceResult>& faces) {
    const int thickness = std::max(2, std::min(photo.width(), photo.height()) / 300);
    for (const fer::FaceResult& f : faces)
        annotate_face(photo, f.box, f.label, f.score, "", thickness, std::max(2, f.box.width / 80));
}

inline int run_classify(const Arguments& args,
                        void (*parse_detection)(const Arguments&, fer::DetectionOptions&)) {
    if (args.positional.empty()) throw UsageError{"expected at least one IMAGE"};
    if (args.flag("annotate") && args.positional.size() != 1)
        throw UsageError{"--annotate draws one image; give one IMAGE, or use --annotate-dir"};
    fer::RecognizerOptions options;
    parse_detection(args, options.detection);
    options.flip = args.flag("tta");
    options.margin = args.real("margin", 0.0, 0.0, 1.0);
    const bool no_detect = args.flag("no-detect"), largest = args.flag("largest");
    options.align = !args.flag("no-align");
    options.require_eyes = args.flag("require-eyes");
    LoadedModels models = load_models(args);
    std::shared_ptr<const fer::CascadeDetector> detector;
    if (!no_detect)
        detector = std::make_shared<const fer::CascadeDetector>(fer::load_cascade(
            args.flag("cascade") ? args.text("cascade") : fer::default_face_cascade_path()));
    std::shared_ptr<const fer::CascadeDetector> eyes;
    if (!no_detect && (options.align || options.require_eyes))
        eyes = std::make_shared<const fer::CascadeDetector>(
            fer::load_cascade(fer::default_eye_cascade_path()));
    const fer::Recognizer recognizer(detector, std::move(models.classifier), options, eyes);
    if (args.flag("annotate-dir")) std::filesystem::create_directories(args.text("annotate-dir"));

    fer::Recognizer::Workspace ws;
    int status = 0;
    for (const std::string& path : args.positional) {
        try {
            fer::Image photo = fer::load_image(path);
            std::vector<fer::FaceResult> faces;
            if (no_detect)
                faces.push_back(recognizer.classify_face(photo, ws));
            else
                faces = recognizer.recognize(photo, ws);
            if (largest && faces.size() > 1)
                faces = {*std::max_element(faces.begin(), faces.end(), [](auto& a, auto& b) {
                    return a.box.width * a.box.height < b.box.width * b.box.height;
                })};
            std::string list;
            for (const fer::FaceResult& f : faces) {
                JsonObject face;
                face.raw("box", box_json(f.box))
                    .text("label", fer::to_string(f.label))
                    .number("score", f.score, 4)
                    .raw("probabilities", probabilities_json(f.probabilities))
                    .raw("aligned", f.aligned ? "true" : "false");
                if (f.aligned) face.number("roll", f.roll_degrees, 3);
                list += (list.empty() ? "" : ", ") + face.str();
            }
            JsonObject out;
            out.text("image", path)
                .number("width", photo.width())
                .number("height", photo.height())
                .raw("faces", "[" + list + "]");
            std::printf("%s\n", out.str().c_str());
            std::fflush(stdout);
            if (args.flag("annotate") || args.flag("annotate-dir")) {
                annotate_faces(photo, faces);
                const std::string target =
                    args.flag("annotate") ? args.text("annotate")
                                          : (std::filesystem::path(args.text("annotate-dir")) /
                                             (std::filesystem::path(path).stem().string() + ".png"))
                                                .string();
                fer::save_image(target, photo);
            }
        } catch (const fer::error& e) {
            std::fprintf(stderr, "fer classify: %s\n", e.what());
            status = 1;
        }
    }
    return status;
}

}  // namespace cli

// The face detector and its options, as `fer detect`, `fer classify`, `fer eval` and `fer video`
// take them; the defaults are the library's (fer::default_detector, fer::DetectionOptions,
// fer::BlazeFaceOptions, fer::RecognizerOptions).
#pragma once

#include <fer/fer.hpp>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "args.hpp"

namespace cli {

// "N" or "WxH" as a size in pixels, 0 to the image size limit; unchanged when absent.
inline void parse_size(const Arguments& args, const std::string& name, int& width, int& height) {
    if (!args.flag(name)) return;
    const std::string text = args.text(name);
    const std::size_t x = text.find('x');
    auto number = [&](const std::string& part) {
        char* end = nullptr;
        const long v = std::strtol(part.c_str(), &end, 10);
        if (part.empty() || *end != '\0' || v < 0 || v > fer::limits::max_image_side)
            throw UsageError{"--" + name + " expects N or WxH in pixels (0 to " +
                             std::to_string(fer::limits::max_image_side) + "), got '" + text + "'"};
        return int(v);
    };
    width = number(x == std::string::npos ? text : text.substr(0, x));
    height = x == std::string::npos ? width : number(text.substr(x + 1));
}

// Fills `options` from the command line; what is not given keeps the value `options` had.
inline void parse_detection(const Arguments& args, fer::DetectionOptions& options) {
    if (args.flag("scale-factor")) {
        const std::string text = args.text("scale-factor");
        char* end = nullptr;
        const double v = std::strtod(text.c_str(), &end);
        if (text.empty() || *end != '\0' || !(v > 1.0 && v <= 10.0))
            throw UsageError{"--scale-factor expects a number above 1 and at most 10, got '" +
                             text + "'"};
        options.scale_factor = v;
    }
    options.min_neighbors = int(args.integer("min-neighbors", options.min_neighbors, 0, 10000));
    options.threads = int(args.integer("threads", options.threads, 1, fer::limits::max_threads));
    parse_size(args, "min-size", options.min_width, options.min_height);
    parse_size(args, "max-size", options.max_width, options.max_height);
}

// "N" for a square size, "WxH" otherwise, or `zero` when it is 0.
inline std::string size_text(int width, int height, const std::string& zero) {
    if (width == 0 && height == 0) return zero;
    return width == height ? std::to_string(width)
                           : std::to_string(width) + "x" + std::to_string(height);
}

// The options that apply to one detector only.
inline const std::vector<std::string> cascade_only_options = {
    "cascade", "scale-factor", "min-neighbors", "min-size", "max-size", "require-eyes"};
inline const std::vector<std::string> blazeface_only_options = {"min-score", "detector-model",
                                                                "second-scale-from", "no-mirror"};

// --detector (default: the library's), refusing the other detector's options.
inline fer::DetectorKind parse_detector_kind(const Arguments& args) {
    fer::DetectorKind kind = fer::default_detector;
    if (args.flag("detector")) {
        const std::string name = args.text("detector");
        if (name != "haar" && name != "blazeface")
            throw UsageError{"--detector expects haar or blazeface, got '" + name + "'"};
        kind = fer::parse_detector(name);
    }
    for (const std::string& name :
         kind == fer::DetectorKind::haar ? blazeface_only_options : cascade_only_options)
        if (args.flag(name))
            throw UsageError{"--" + name + " does not apply to --detector " +
                             fer::detector_name(kind)};
    return kind;
}

// BlazeFace's options from the command line.
inline fer::BlazeFaceOptions parse_blazeface(const Arguments& args) {
    fer::BlazeFaceOptions options;
    options.min_score = float(args.real("min-score", options.min_score, 0.01, 0.99));
    options.mirror = !args.flag("no-mirror");
    options.second_scale_from = int(args.integer("second-scale-from", options.second_scale_from, 0,
                                                 fer::limits::max_image_side));
    return options;
}

// The BlazeFace detector of --detector-model, or the shipped one.
inline std::shared_ptr<const fer::BlazeFaceDetector> load_blazeface(const Arguments& args) {
    return std::make_shared<const fer::BlazeFaceDetector>(
        fer::load_network(args.flag("detector-model") ? args.text("detector-model")
                                                      : fer::default_blazeface_model_path()));
}

// How a command runs BlazeFace: on photos (two passes, a second scale for large pictures) or on
// video frames (one pass, the tracker's own score threshold).
enum class BlazeFaceUse { photos, video };

// `own` followed by the face detectors' options with `defaults` shown in their help.
inline std::vector<Option> with_face_detector_options(std::vector<Option> own,
                                                      const fer::DetectionOptions& defaults,
                                                      BlazeFaceUse use = BlazeFaceUse::photos) {
    const fer::BlazeFaceOptions photos;
    own.push_back({"detector", "haar|blazeface",
                   std::string("the face detector: the Viola-Jones cascade or the CNN with "
                               "keypoints (default: ") +
                       fer::detector_name(fer::default_detector) + ")"});
    if (use == BlazeFaceUse::video) {
        own.push_back({"min-score", "F",
                       with_default("blazeface: least score of a face in a frame",
                                    fer::TrackerOptions{}.min_face_score)});
    } else {
        own.insert(
            own.end(),
            {{"min-score", "F",
              with_default("blazeface: least score of a face (mean of the two passes)",
                           photos.min_score)},
             {"no-mirror", "", "blazeface: one pass, without the mirrored picture (half the time)"},
             {"second-scale-from", "N",
              with_default("blazeface: pictures from N pixels (longer side) are searched again "
                           "at twice the resolution for small faces, 5x the time; 0: never",
                           photos.second_scale_from)}});
    }
    own.insert(
        own.end(),
        {{"detector-model", "FILE",
          "blazeface: model file (default: the shipped weights/blazeface.gguf)"},
         {"cascade", "FILE", "haar: face cascade XML (default: OpenCV's frontal face cascade)"},
         {"scale-factor", "F", with_default("haar: pyramid step", defaults.scale_factor)},
         {"min-neighbors", "N",
          with_default("haar: window hits a face needs beyond N", defaults.min_neighbors)},
         {"min-size", "N|WxH",
          with_default("haar: smallest face in pixels",
                       size_text(defaults.min_width, defaults.min_height, "the cascade window"))},
         {"max-size", "N|WxH",
          with_default("haar: largest face in pixels",
                       size_text(defaults.max_width, defaults.max_height, "the whole picture"))}});
    return own;
}

// The recognizer's options from the command line: the detectors', --tta, --margin, --no-align,
// --require-eyes.
inline fer::RecognizerOptions parse_recognizer_options(const Arguments& args) {
    fer::RecognizerOptions options;
    parse_detection(args, options.detection);
    options.blazeface = parse_blazeface(args);
    options.flip = args.flag("tta");
    options.margin = args.real("margin", options.margin, -0.25, 1.0);
    options.align = !args.flag("no-align");
    options.require_eyes = args.flag("require-eyes");
    return options;
}

// A recognizer with the detector of --detector: BlazeFace, or the face cascade of --cascade (or
// the default) and, when aligning or requiring eyes, the eye cascade; without `detect`, one that
// only classifies crops.
inline fer::Recognizer make_recognizer(const Arguments& args, fer::ExpressionClassifier classifier,
                                       const fer::RecognizerOptions& options, bool detect) {
    const fer::DetectorKind kind = parse_detector_kind(args);
    if (!detect) return fer::Recognizer(std::move(classifier), options);
    if (kind == fer::DetectorKind::blazeface)
        return fer::Recognizer(load_blazeface(args), std::move(classifier), options);
    auto faces = std::make_shared<const fer::CascadeDetector>(fer::load_cascade(
        args.flag("cascade") ? args.text("cascade") : fer::default_face_cascade_path()));
    std::shared_ptr<const fer::CascadeDetector> eyes;
    if (options.align || options.require_eyes)
        eyes = std::make_shared<const fer::CascadeDetector>(
            fer::load_cascade(fer::default_eye_cascade_path()));
    return fer::Recognizer(faces, std::move(classifier), options, eyes);
}

// `own` followed by the crop options of parse_recognizer_options (the detector's are apart).
inline std::vector<Option> with_crop_options(std::vector<Option> own,
                                             const fer::RecognizerOptions& defaults) {
    own.insert(
        own.end(),
        {{"tta", "", "average each face with its mirror image"},
         {"no-align", "", "do not turn crops to level the eyes"},
         {"require-eyes", "", "haar: drop boxes without two eyes (most false positives)"},
         {"margin", "F",
          with_default("enlarge each face crop by F of its side on every side", defaults.margin)}});
    return own;
}

// The face with the largest box, or none.
inline std::vector<fer::FaceResult> largest_face(const std::vector<fer::FaceResult>& faces) {
    if (faces.empty()) return {};
    return {*std::max_element(faces.begin(), faces.end(), [](const auto& a, const auto& b) {
        return a.box.width * a.box.height < b.box.width * b.box.height;
    })};
}

}  // namespace cli

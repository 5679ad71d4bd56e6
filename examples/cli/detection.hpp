// The face detector's options, as `fer detect`, `fer classify` and `fer video` take them; the
// defaults are the library's (fer::DetectionOptions, fer::RecognizerOptions).
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

// `own` followed by the face detector's options with `defaults` shown in their help.
inline std::vector<Option> with_face_detector_options(std::vector<Option> own,
                                                      const fer::DetectionOptions& defaults) {
    own.insert(
        own.end(),
        {{"cascade", "FILE", "face cascade XML (default: OpenCV's frontal face cascade)"},
         {"scale-factor", "F", with_default("detector pyramid step", defaults.scale_factor)},
         {"min-neighbors", "N",
          with_default("detector hits a face needs beyond N", defaults.min_neighbors)},
         {"min-size", "N|WxH",
          with_default("smallest face in pixels",
                       size_text(defaults.min_width, defaults.min_height, "the cascade window"))},
         {"max-size", "N|WxH",
          with_default("largest face in pixels",
                       size_text(defaults.max_width, defaults.max_height, "the whole picture"))}});
    return own;
}

// The recognizer's options from the command line: the detector's, --tta, --margin, --no-align,
// --require-eyes.
inline fer::RecognizerOptions parse_recognizer_options(const Arguments& args) {
    fer::RecognizerOptions options;
    parse_detection(args, options.detection);
    options.flip = args.flag("tta");
    options.margin = args.real("margin", options.margin, -0.25, 1.0);
    options.align = !args.flag("no-align");
    options.require_eyes = args.flag("require-eyes");
    return options;
}

// A recognizer with the face cascade of --cascade (or the default) and, when aligning or
// requiring eyes, the eye cascade; without `detect`, one that only classifies crops.
inline fer::Recognizer make_recognizer(const Arguments& args, fer::ExpressionClassifier classifier,
                                       const fer::RecognizerOptions& options, bool detect) {
    std::shared_ptr<const fer::CascadeDetector> faces, eyes;
    if (detect) {
        faces = std::make_shared<const fer::CascadeDetector>(fer::load_cascade(
            args.flag("cascade") ? args.text("cascade") : fer::default_face_cascade_path()));
        if (options.align || options.require_eyes)
            eyes = std::make_shared<const fer::CascadeDetector>(
                fer::load_cascade(fer::default_eye_cascade_path()));
    }
    return fer::Recognizer(faces, std::move(classifier), options, eyes);
}

// `own` followed by the crop options of parse_recognizer_options (the detector's are apart).
inline std::vector<Option> with_crop_options(std::vector<Option> own,
                                             const fer::RecognizerOptions& defaults) {
    own.insert(
        own.end(),
        {{"tta", "", "average each face with its mirror image"},
         {"no-align", "", "do not turn crops to level the eyes"},
         {"require-eyes", "", "drop boxes without two eyes (most cascade false positives)"},
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

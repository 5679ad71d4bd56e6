// The face detector's options, as `fer detect`, `fer classify` and `fer video` take them; the
// defaults are the library's (fer::DetectionOptions, fer::RecognizerOptions).
#pragma once

#include <fer/fer.hpp>

#include <cstdlib>
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

}  // namespace cli

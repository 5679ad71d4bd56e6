// fer/detect/default_detector.hpp - the two face detectors by name, and which one is the default.
//
// haar: OpenCV's frontal-face Viola-Jones cascade (fer/detect/detector.hpp), exact to OpenCV.
// blazeface: MediaPipe's CNN detector (fer/detect/blazeface.hpp) with six keypoints; on the FDDB
// dev photos it finds more faces with far fewer false ones, in a fifth of the time on a 640x480
// frame, and its eye keypoints level the crops without an eye cascade (README, "Detectors").
#pragma once

#include <string>
#include <string_view>

#include "../default_model.hpp"
#include "../error.hpp"

namespace fer {

enum class DetectorKind { haar, blazeface };

inline constexpr DetectorKind default_detector = DetectorKind::blazeface;

inline const char* detector_name(DetectorKind kind) {
    return kind == DetectorKind::haar ? "haar" : "blazeface";
}

// Throws: fer::error naming the detectors for any other word.
inline DetectorKind parse_detector(std::string_view name) {
    for (DetectorKind kind : {DetectorKind::haar, DetectorKind::blazeface})
        if (name == detector_name(kind)) return kind;
    detail::fail("face detector", "haar or blazeface", std::string("'") + std::string(name) + "'");
}

// The shipped BlazeFace model (weights/blazeface.gguf).
// Throws: fer::error saying where it looked when the file is missing.
inline std::string default_blazeface_model_path() {
    return shipped_model_path("blazeface.gguf");
}

}  // namespace fer

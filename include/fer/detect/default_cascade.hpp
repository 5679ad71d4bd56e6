// fer/detect/default_cascade.hpp - finding OpenCV's frontal-face cascade without being told where.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "../error.hpp"

namespace fer {

// The standard frontal-face cascade (haarcascade_frontalface_default.xml): the file named by the
// environment variable FER_FACE_CASCADE if set, else the first that exists of the places
// OpenCV's data packages install it (Debian's opencv-data first).
// Throws: fer::error saying what to install when there is none.
inline std::string default_face_cascade_path() {
    if (const char* env = std::getenv("FER_FACE_CASCADE"); env != nullptr && *env != '\0') {
        if (!std::filesystem::exists(env))
            detail::fail("FER_FACE_CASCADE", "the path of a cascade file",
                         std::string("'") + env + "', which does not exist");
        return env;
    }
    const std::vector<std::string> candidates = {
        "/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml",
        "/usr/local/share/opencv4/haarcascades/haarcascade_frontalface_default.xml",
        "/usr/share/opencv/haarcascades/haarcascade_frontalface_default.xml",
        "/usr/local/share/opencv/haarcascades/haarcascade_frontalface_default.xml",
    };
    for (const std::string& path : candidates)
        if (std::filesystem::exists(path)) return path;
    detail::fail(
        "no frontal-face cascade found: install Debian's opencv-data (apt-get install "
        "opencv-data), "
        "set FER_FACE_CASCADE, or name a cascade file");
}

}  // namespace fer

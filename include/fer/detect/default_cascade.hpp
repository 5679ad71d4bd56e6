// fer/detect/default_cascade.hpp - finding OpenCV's face and eye cascades without being told where.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>

#include "../error.hpp"

namespace fer {

namespace detail {

// `file_name` in the first of the places OpenCV's data packages install Haar cascades (Debian's
// opencv-data first), unless the environment variable `variable` names a file.
inline std::string find_haar_cascade(const std::string& file_name, const char* variable) {
    if (const char* env = std::getenv(variable); env != nullptr && *env != '\0') {
        if (!std::filesystem::exists(env))
            fail(variable, "the path of a cascade file",
                 std::string("'") + env + "', which does not exist");
        return env;
    }
    for (const char* dir :
         {"/usr/share/opencv4/haarcascades/", "/usr/local/share/opencv4/haarcascades/",
          "/usr/share/opencv/haarcascades/", "/usr/local/share/opencv/haarcascades/"})
        if (std::filesystem::exists(dir + file_name)) return dir + file_name;
    fail(concat("no ", file_name,
                " found: install Debian's opencv-data (apt-get install opencv-data), set ",
                variable, ", or name a cascade file"));
}

}  // namespace detail

// The standard frontal-face cascade (haarcascade_frontalface_default.xml), or the file named by
// the environment variable FER_FACE_CASCADE.
// Throws: fer::error saying what to install when there is none.
inline std::string default_face_cascade_path() {
    return detail::find_haar_cascade("haarcascade_frontalface_default.xml", "FER_FACE_CASCADE");
}

// The standard eye cascade (haarcascade_eye.xml), or the file named by FER_EYE_CASCADE.
// Throws: fer::error saying what to install when there is none.
inline std::string default_eye_cascade_path() {
    return detail::find_haar_cascade("haarcascade_eye.xml", "FER_EYE_CASCADE");
}

}  // namespace fer

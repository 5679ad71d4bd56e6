// fer/default_model.hpp - finding the shipped expression models without being told where, and
// the speed levels users pick them by.
//
// A level names one shipped ensemble file (fer/ensemble.hpp), fitted on the dev sets by
// tools/fit-ensemble.py: fast, balanced and best cost about 1, 2 and 3-4 model passes per face
// (weights/README.md has what each holds and measures). Shipped files live in the weights folder
// the build system compiled in (FER_WEIGHTS_DIR: the source tree's weights/ when fer is used from
// its build tree, <prefix>/share/fer/weights once installed); the environment variable FER_MODEL
// names a file that replaces the default.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>

#include "error.hpp"

namespace fer {

enum class Level { fast, balanced, best };

inline constexpr Level default_level = Level::best;        // photos: the most accurate answer
inline constexpr Level default_video_level = Level::fast;  // real time with several faces

inline const char* level_name(Level level) {
    switch (level) {
        case Level::fast:
            return "fast";
        case Level::balanced:
            return "balanced";
        case Level::best:
            return "best";
    }
    return "best";
}

// Throws: fer::error naming the levels for any other word.
inline Level parse_level(std::string_view name) {
    for (Level level : {Level::fast, Level::balanced, Level::best})
        if (name == level_name(level)) return level;
    detail::fail("level", "fast, balanced or best", std::string("'") + std::string(name) + "'");
}

// The path of a file shipped in the weights folder, e.g. "human-emotion-int8.gguf".
// Throws: fer::error saying where it looked when the file is missing.
inline std::string shipped_model_path(const std::string& file) {
#ifdef FER_WEIGHTS_DIR
    const std::string shipped = std::string(FER_WEIGHTS_DIR) + "/" + file;
    if (std::filesystem::exists(shipped)) return shipped;
    detail::fail(detail::concat("no model file: ", shipped,
                                " is missing; set FER_MODEL or name a model file"));
#else
    detail::fail(detail::concat("no model file: fer was built without FER_WEIGHTS_DIR, so ", file,
                                " cannot be found; set FER_MODEL or name a model file"));
#endif
}

// The ensemble file of `level`.
inline std::string level_model_path(Level level) {
    return shipped_model_path(std::string("fer-") + level_name(level) + ".gguf");
}

// FER_MODEL when set, otherwise the ensemble file of `level`.
// Throws: fer::error saying where it looked when there is no model file.
inline std::string default_model_path(Level level = default_level) {
    if (const char* env = std::getenv("FER_MODEL"); env != nullptr && *env != '\0') {
        if (!std::filesystem::exists(env))
            detail::fail("FER_MODEL", "the path of a model file",
                         std::string("'") + env + "', which does not exist");
        return env;
    }
    return level_model_path(level);
}

}  // namespace fer

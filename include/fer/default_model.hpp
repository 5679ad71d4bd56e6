// fer/default_model.hpp - finding the shipped expression model without being told where.
//
// Looked for, in order: the file named by the environment variable FER_MODEL; the weights folder
// the build system compiled in (FER_WEIGHTS_DIR: the source tree's weights/ when fer is used from
// its build tree, <prefix>/share/fer/weights once installed).
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>

#include "error.hpp"

namespace fer {

// The model fer uses when none is named (see weights/README.md for why this one).
inline constexpr const char* default_model_file = "human-emotion-int8.gguf";

// Throws: fer::error saying where it looked when there is no model file.
inline std::string default_model_path() {
    if (const char* env = std::getenv("FER_MODEL"); env != nullptr && *env != '\0') {
        if (!std::filesystem::exists(env))
            detail::fail("FER_MODEL", "the path of a model file",
                         std::string("'") + env + "', which does not exist");
        return env;
    }
#ifdef FER_WEIGHTS_DIR
    const std::string shipped = std::string(FER_WEIGHTS_DIR) + "/" + default_model_file;
    if (std::filesystem::exists(shipped)) return shipped;
    detail::fail(detail::concat("no model file: ", shipped,
                                " is missing; set FER_MODEL or name a model file"));
#else
    detail::fail(
        "no model file: fer was built without FER_WEIGHTS_DIR; set FER_MODEL or name a model "
        "file");
#endif
}

}  // namespace fer

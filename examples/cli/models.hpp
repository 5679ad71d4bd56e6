// Model options shared by the fer tool's commands: --model (repeatable), --precision.
#pragma once

#include <fer/fer.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "args.hpp"
#include "json.hpp"

namespace cli {

inline const Option model_option{
    "model", "FILE", "model file (.gguf; repeat for an ensemble; default: the shipped model)"};
inline const Option precision_option{"precision", "fp32|int8",
                                     "arithmetic: fp32 (default) or int8 (int8 model files)"};

struct LoadedModels {
    fer::ExpressionClassifier classifier;
    std::string names_json;   // ["a.gguf", ...]
    std::string description;  // "a.gguf" or "ensemble of a.gguf + b.gguf"
    std::string precision;
};

inline LoadedModels load_models(const Arguments& args, const char* command) {
    std::vector<std::string> paths = args.all("model");
    if (paths.empty()) paths.push_back(fer::default_model_path());
    const std::string precision = args.text("precision", "fp32");
    if (precision != "fp32" && precision != "int8")
        throw UsageError{"--precision expects fp32 or int8, got '" + precision + "'"};
    if (precision == "int8")
        fer::detail::fail(std::string("--precision int8: int8 arithmetic is not available in "
                                      "this version of fer (int8 model files run in fp32); ") +
                          command + " runs with --precision fp32");
    std::string names = "[", description;
    for (const std::string& p : paths) {
        const std::string name = std::filesystem::path(p).filename().string();
        names += (names.size() > 1 ? ", " : "") + json_string(name);
        description += (description.empty() ? "" : " + ") + name;
    }
    if (paths.size() > 1) description = "ensemble of " + description;
    return {fer::ExpressionClassifier::load(paths), names + "]", description, precision};
}

}  // namespace cli

// Model options shared by the fer tool's commands: --level, --model (repeatable), --precision.
#pragma once

#include <fer/fer.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include "args.hpp"
#include "json.hpp"

namespace cli {

inline const Option model_option{
    "model", "FILE", "model or ensemble file (.gguf; repeat to average several; replaces --level)"};

// --level with the command's default level shown.
inline Option level_option(fer::Level default_level) {
    return {"level", "fast|balanced|best",
            std::string("shipped models by speed (default: ") + fer::level_name(default_level) +
                "; weights/README.md)"};
}
inline const Option precision_option{
    "precision", "fp32|int8",
    "arithmetic: fp32 (default), or int8 convolutions (models with int8 weights)"};

struct LoadedModels {
    fer::ExpressionClassifier classifier;
    std::string names_json;   // ["a.gguf", ...]
    std::string description;  // "a.gguf" or "ensemble of a.gguf + b.gguf"
    std::string precision;
};

// The models of --model, or of --level (`default_level` when neither is given).
inline LoadedModels load_models(const Arguments& args, fer::Level default_level) {
    std::vector<std::string> paths = args.all("model");
    if (!paths.empty() && args.flag("level"))
        throw UsageError{"--level and --model both name the models; give one of them"};
    if (paths.empty()) {
        fer::Level level = default_level;
        if (args.flag("level")) {
            try {
                level = fer::parse_level(args.text("level"));
            } catch (const fer::error&) {
                throw UsageError{"--level expects fast, balanced or best, got '" +
                                 args.text("level") + "'"};
            }
            paths.push_back(fer::level_model_path(level));
        } else {
            paths.push_back(fer::default_model_path(level));
        }
    }
    const std::string precision = args.text("precision", "fp32");
    if (precision != "fp32" && precision != "int8")
        throw UsageError{"--precision expects fp32 or int8, got '" + precision + "'"};
    std::string names = "[", description;
    for (const std::string& p : paths) {
        const std::string name = std::filesystem::path(p).filename().string();
        names += (names.size() > 1 ? ", " : "") + json_string(name);
        description += (description.empty() ? "" : " + ") + name;
    }
    if (paths.size() > 1) description = "ensemble of " + description;
    return {fer::ExpressionClassifier::load(
                paths, precision == "int8" ? fer::Precision::int8 : fer::Precision::fp32),
            names + "]", description, precision};
}

}  // namespace cli

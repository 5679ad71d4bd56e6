// fer/ensemble.hpp - several expression models answering as one: how their answers combine, and
// the ensemble file that names them.
//
// The combined probabilities of models m = 1..M with weights w_m, each model's probabilities p_m
// (averaged with its answer for the mirrored face when that member is mirrored):
//
//   mixture_c = sum_m w_m p_m,c / sum_m w_m
//   p_c       = softmax_c((log mixture_c + class_bias_c) / temperature)
//
// The class bias shifts the prior between expressions (the data sets it is fitted on have
// different class shares); the temperature calibrates the probabilities and never changes the
// top label. With equal weights, no bias and temperature 1, p is the plain mean.
//
// An ensemble file is a GGUF file (fer/model/gguf.hpp) without tensors, whose
// general.architecture is "fer-ensemble":
//   fer.ensemble.members      strings: model files in the ensemble file's own folder (plain
//                             names: no folders, never an ensemble file)
//   fer.ensemble.weights      float32 per member (>= 0, finite, not all 0)
//   fer.ensemble.flip         int32 per member: 1 to also classify the mirrored face
//   fer.ensemble.class_bias   7 float32 (finite, |b| <= 20), in fer's expression order
//   fer.ensemble.temperature  float32, 0.05 to 20
// tools/fit-ensemble.py fits and writes them; weights/README.md has the shipped ones.
#pragma once

#include <array>
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "error.hpp"
#include "limits.hpp"
#include "model/gguf.hpp"

namespace fer {

inline constexpr const char* ensemble_architecture = "fer-ensemble";
inline constexpr int ensemble_class_count = 7;  // fer's seven expressions (fer/classifier.hpp)

struct Combination {
    std::vector<float> weights;  // one per model; empty: equal weights
    std::vector<bool> mirrored;  // one per model; empty: none mirrored
    std::array<float, ensemble_class_count> class_bias{};
    float temperature = 1.0f;

    // Throws: fer::error for counts that do not match `models` or values out of range.
    void validate(std::size_t models) const {
        if (!weights.empty()) {
            if (weights.size() != models) detail::fail("ensemble weights", models, weights.size());
            float total = 0;
            for (float w : weights) {
                if (!(std::isfinite(w) && w >= 0))
                    detail::fail("ensemble weight", "a finite number >= 0", w);
                total += w;
            }
            if (!(total > 0)) detail::fail("ensemble weights", "at least one above 0", "all 0");
        }
        if (!mirrored.empty() && mirrored.size() != models)
            detail::fail("ensemble flip flags", models, mirrored.size());
        for (float b : class_bias)
            if (!(std::isfinite(b) && std::abs(b) <= 20.0f))
                detail::fail("ensemble class bias", "a finite number from -20 to 20", b);
        if (!(temperature >= 0.05f && temperature <= 20.0f))
            detail::fail("ensemble temperature", "0.05 to 20", temperature);
    }

    float weight(std::size_t model) const { return weights.empty() ? 1.0f : weights[model]; }
    bool mirror(std::size_t model) const { return !mirrored.empty() && mirrored[model]; }
    bool is_plain_mean() const {
        for (float b : class_bias)
            if (b != 0.0f) return false;
        return temperature == 1.0f;
    }
};

struct EnsembleFile {
    std::vector<std::string> member_paths;  // resolved against the ensemble file's folder
    Combination combination;
};

inline bool is_ensemble(const GgufFile& file) {
    const GgufValue* architecture = file.find("general.architecture");
    const auto* name = architecture ? std::get_if<std::string>(&architecture->value) : nullptr;
    return name != nullptr && *name == ensemble_architecture;
}

namespace detail {

// The values of an array key, each of type T (std::string, double or std::int64_t).
template <class T>
std::vector<T> ensemble_array(const GgufFile& file, const std::string& key, const char* what) {
    std::vector<T> out;
    for (const GgufValue& v : file.get_array(key)) {
        const T* x = std::get_if<T>(&v.value);
        if (x == nullptr) fail(file.source() + " " + key, what, "another type");
        out.push_back(*x);
    }
    return out;
}

// A member's file name: a plain name in the ensemble's folder, so that a file cannot reach
// elsewhere on the disk.
inline void check_member_name(const std::string& source, const std::string& name) {
    const bool plain = !name.empty() && name != "." && name != ".." &&
                       name.find_first_of("/\\:") == std::string::npos &&
                       name.find('\0') == std::string::npos;
    if (!plain)
        fail(source + " fer.ensemble.members", "plain file names (no folders)", "'" + name + "'");
}

}  // namespace detail

// The members and combination an ensemble file names; the members are not loaded.
// Throws: fer::error naming the key that is missing, mistyped or out of range.
inline EnsembleFile read_ensemble(const GgufFile& file) {
    if (!is_ensemble(file))
        detail::fail(file.source() + " general.architecture",
                     std::string("'") + ensemble_architecture + "'", "another");
    const auto names = detail::ensemble_array<std::string>(file, "fer.ensemble.members", "strings");
    if (names.empty() || names.size() > std::size_t(limits::max_ensemble_members))
        detail::fail(file.source() + " fer.ensemble.members",
                     detail::concat("1 to ", limits::max_ensemble_members), names.size());
    const auto weights = detail::ensemble_array<double>(file, "fer.ensemble.weights", "floats");
    const auto flips = detail::ensemble_array<std::int64_t>(file, "fer.ensemble.flip", "integers");
    const auto bias = detail::ensemble_array<double>(file, "fer.ensemble.class_bias", "floats");
    if (weights.size() != names.size())
        detail::fail(file.source() + " fer.ensemble.weights", names.size(), weights.size());
    if (flips.size() != names.size())
        detail::fail(file.source() + " fer.ensemble.flip", names.size(), flips.size());
    if (bias.size() != std::size_t(ensemble_class_count))
        detail::fail(file.source() + " fer.ensemble.class_bias", ensemble_class_count, bias.size());

    EnsembleFile out;
    const std::filesystem::path folder = std::filesystem::path(file.source()).parent_path();
    for (std::size_t m = 0; m < names.size(); ++m) {
        detail::check_member_name(file.source(), names[m]);
        if (flips[m] != 0 && flips[m] != 1)
            detail::fail(file.source() + " fer.ensemble.flip", "0 or 1", flips[m]);
        out.member_paths.push_back((folder / names[m]).string());
        out.combination.weights.push_back(float(weights[m]));
        out.combination.mirrored.push_back(flips[m] == 1);
    }
    for (std::size_t c = 0; c < bias.size(); ++c) out.combination.class_bias[c] = float(bias[c]);
    out.combination.temperature = float(file.get_float("fer.ensemble.temperature"));
    try {
        out.combination.validate(names.size());
    } catch (const error& e) {
        throw error(file.source() + ": " + e.what());
    }
    return out;
}

// The bytes of an ensemble file naming `members` (plain file names) with `combination`.
// Throws: fer::error for names or values read_ensemble would refuse.
inline std::vector<std::uint8_t> save_ensemble(const std::vector<std::string>& members,
                                               const Combination& combination,
                                               const std::string& name = "fer ensemble") {
    combination.validate(members.size());
    if (members.empty() || members.size() > std::size_t(limits::max_ensemble_members))
        detail::fail("ensemble members", detail::concat("1 to ", limits::max_ensemble_members),
                     members.size());
    for (const std::string& m : members) detail::check_member_name("ensemble", m);
    GgufWriter w;
    w.add_string("general.architecture", ensemble_architecture);
    w.add_string("general.name", name);
    w.add_strings("fer.ensemble.members", members);
    std::vector<float> weights;
    std::vector<std::int32_t> flips;
    for (std::size_t m = 0; m < members.size(); ++m) {
        weights.push_back(combination.weight(m));
        flips.push_back(combination.mirror(m) ? 1 : 0);
    }
    w.add_float32s("fer.ensemble.weights", weights);
    w.add_int32s("fer.ensemble.flip", flips);
    w.add_float32s("fer.ensemble.class_bias", std::vector<float>(combination.class_bias.begin(),
                                                                 combination.class_bias.end()));
    w.add_float32("fer.ensemble.temperature", combination.temperature);
    return w.bytes();
}

}  // namespace fer

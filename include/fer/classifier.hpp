// fer/classifier.hpp - the seven expressions, and a face crop classified by one model or an
// ensemble.
//
// Models name their outputs in their own words and order (face-api says "fearful" and starts
// with "neutral"); ExpressionClassifier maps every model's outputs onto fer's fixed order (angry,
// disgust, fear, happy, sad, surprise, neutral) by name, so ensembles of differently ordered
// models combine the right numbers (fer/ensemble.hpp says how). A mirrored member, or every
// member when classify() is asked to `flip`, also sees the mirrored face and the two answers are
// averaged (test-time augmentation). classify() is const: threads may share one classifier, each
// with its own Workspace.
#pragma once

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <string>
#include <vector>

#include "ensemble.hpp"
#include "error.hpp"
#include "image.hpp"
#include "model/model_file.hpp"
#include "nn/network.hpp"
#include "preprocess.hpp"

namespace fer {

inline constexpr int expression_count = ensemble_class_count;
enum class Expression : std::uint8_t { angry, disgust, fear, happy, sad, surprise, neutral };
using Probabilities = std::array<float, expression_count>;

inline const char* to_string(Expression e) {
    static const char* const names[expression_count] = {"angry", "disgust",  "fear",   "happy",
                                                        "sad",   "surprise", "neutral"};
    return names[int(e)];
}

// The expression a word names: the seven names and their common variants (anger, disgusted,
// fearful, happiness, sadness, surprised; any case). Returns false for anything else.
inline bool expression_from_name(std::string name, Expression& out) {
    for (char& c : name) c = char(std::tolower(static_cast<unsigned char>(c)));
    static const std::pair<const char*, Expression> words[] = {
        {"angry", Expression::angry},       {"anger", Expression::angry},
        {"disgust", Expression::disgust},   {"disgusted", Expression::disgust},
        {"fear", Expression::fear},         {"fearful", Expression::fear},
        {"happy", Expression::happy},       {"happiness", Expression::happy},
        {"sad", Expression::sad},           {"sadness", Expression::sad},
        {"surprise", Expression::surprise}, {"surprised", Expression::surprise},
        {"neutral", Expression::neutral}};
    for (const auto& [word, e] : words)
        if (name == word) {
            out = e;
            return true;
        }
    return false;
}

// The most probable expression.
inline Expression top_expression(const Probabilities& p) {
    return Expression(std::max_element(p.begin(), p.end()) - p.begin());
}

class ExpressionClassifier {
  public:
    struct Workspace {
        Network::Workspace network;
        Tensor input;
        FacePixelsScratch pixels;
    };

    // Throws: fer::error if there is no model, a model's outputs are not exactly the seven
    // expressions (in any order, under any of their names), int8 is asked of a model without
    // int8 weights, or the combination does not fit the models.
    explicit ExpressionClassifier(std::vector<Network> models,
                                  Precision precision = Precision::fp32,
                                  Combination combination = {})
        : models_(std::move(models)), precision_(precision), combination_(std::move(combination)) {
        if (models_.empty()) detail::fail("expression classifier models", "at least one", 0);
        combination_.validate(models_.size());
        for (std::size_t m = 0; m < models_.size(); ++m) {
            const Network& net = models_[m];
            if (precision == Precision::int8 && !net.supports_int8())
                detail::fail(detail::concat("model ", m + 1, " for int8 arithmetic"),
                             "int8 weights (fer quantize)", "none");
            std::array<int, expression_count> order{};
            std::array<bool, expression_count> seen{};
            if (net.labels.size() != std::size_t(expression_count))
                detail::fail(detail::concat("model ", m + 1, " outputs"), expression_count,
                             net.labels.size());
            for (int i = 0; i < expression_count; ++i) {
                Expression e;
                if (!expression_from_name(net.labels[std::size_t(i)], e) || seen[int(e)])
                    detail::fail(detail::concat("model ", m + 1, " label ", i + 1),
                                 "one of the seven expressions, each once",
                                 "'" + net.labels[std::size_t(i)] + "'");
                seen[int(e)] = true;
                order[std::size_t(i)] = int(e);
            }
            orders_.push_back(order);
        }
    }

    // Model files (several: their plain mean), or one ensemble file with the models it names.
    // Throws: fer::error for an unreadable or invalid file (naming it), or an ensemble file
    // named with other files.
    static ExpressionClassifier load(const std::vector<std::string>& paths,
                                     Precision precision = Precision::fp32) {
        std::vector<Network> models;
        for (const std::string& path : paths) {
            GgufFile file = GgufFile::load(path);
            if (!is_ensemble(file)) {
                models.push_back(load_network(file));
                continue;
            }
            if (paths.size() != 1)
                detail::fail(path, "a model file (an ensemble file is named alone)",
                             "an ensemble file");
            const EnsembleFile ensemble = read_ensemble(file);
            for (const std::string& member : ensemble.member_paths)
                models.push_back(load_network(member));
            return ExpressionClassifier(std::move(models), precision, ensemble.combination);
        }
        return ExpressionClassifier(std::move(models), precision);
    }

    const std::vector<Network>& models() const { return models_; }
    const Combination& combination() const { return combination_; }

    // Whether every model takes a gray face: a caller that has the gray picture already can
    // crop from it, a third of the pixels of a colour crop.
    bool takes_gray() const {
        return std::all_of(models_.begin(), models_.end(),
                           [](const Network& m) { return m.input().shape.channels == 1; });
    }
    Precision precision() const { return precision_; }

    // The combined probabilities of the models (fer/ensemble.hpp), in fer's expression order;
    // `flip` mirrors every member. Throws: fer::error for an empty face.
    Probabilities classify(const ImageView& face, Workspace& ws, bool flip = false) const {
        Probabilities mixture{};
        float total_weight = 0;
        for (std::size_t m = 0; m < models_.size(); ++m) {
            const bool mirror = flip || combination_.mirror(m);
            const float weight = combination_.weight(m) / (mirror ? 2.0f : 1.0f);
            for (int mirrored = 0; mirrored <= int(mirror); ++mirrored) {
                make_input(face, models_[m].input(), ws.input, mirrored == 1, ws.pixels);
                add_outputs(m, models_[m].forward(ws.input, ws.network, precision_), weight,
                            mixture);
            }
            total_weight += combination_.weight(m);
        }
        for (float& p : mixture) p /= total_weight;
        return combination_.is_plain_mean() ? mixture : calibrated(mixture);
    }

  private:
    std::vector<Network> models_;
    Precision precision_;
    Combination combination_;
    std::vector<std::array<int, expression_count>> orders_;  // model output -> Expression

    void add_outputs(std::size_t model, const Tensor& out, float weight, Probabilities& sum) const {
        for (int i = 0; i < expression_count; ++i)
            sum[std::size_t(orders_[model][std::size_t(i)])] += weight * out.data()[i];
    }

    // softmax((log mixture + class bias) / temperature), computed from the largest logit down
    // so that nothing overflows; a class with zero mixture keeps zero.
    Probabilities calibrated(const Probabilities& mixture) const {
        std::array<double, expression_count> logit{};
        double top = -HUGE_VAL;
        for (std::size_t c = 0; c < logit.size(); ++c) {
            logit[c] = mixture[c] > 0
                           ? (std::log(double(mixture[c])) + combination_.class_bias[c]) /
                                 combination_.temperature
                           : -HUGE_VAL;
            top = std::max(top, logit[c]);
        }
        if (top == -HUGE_VAL) return mixture;  // all zero: nothing to calibrate
        double total = 0;
        for (double& l : logit) total += (l = std::exp(l - top));
        Probabilities p{};
        for (std::size_t c = 0; c < p.size(); ++c) p[c] = float(logit[c] / total);
        return p;
    }
};

}  // namespace fer

// fer/classifier.hpp - the seven expressions, and a face crop classified by one model or an
// ensemble.
//
// Models name their outputs in their own words and order (face-api says "fearful" and starts
// with "neutral"); ExpressionClassifier maps every model's outputs onto fer's fixed order (angry,
// disgust, fear, happy, sad, surprise, neutral) by name, so ensembles of differently ordered
// models average the right numbers. With `flip`, each model also sees the mirrored face and the
// two answers are averaged (test-time augmentation). classify() is const: threads may share one
// classifier, each with its own Workspace.
#pragma once

#include <algorithm>
#include <array>
#include <cctype>
#include <string>
#include <vector>

#include "error.hpp"
#include "image.hpp"
#include "model/model_file.hpp"
#include "nn/network.hpp"
#include "preprocess.hpp"

namespace fer {

inline constexpr int expression_count = 7;
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
    };

    // Throws: fer::error if there is no model, a model's outputs are not exactly the seven
    // expressions (in any order, under any of their names), or int8 is asked of a model without
    // int8 weights.
    explicit ExpressionClassifier(std::vector<Network> models,
                                  Precision precision = Precision::fp32)
        : models_(std::move(models)), precision_(precision) {
        if (models_.empty()) detail::fail("expression classifier models", "at least one", 0);
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

    // Throws: fer::error for an unreadable or invalid model file (naming it).
    static ExpressionClassifier load(const std::vector<std::string>& paths,
                                     Precision precision = Precision::fp32) {
        std::vector<Network> models;
        for (const std::string& path : paths) models.push_back(load_network(path));
        return ExpressionClassifier(std::move(models), precision);
    }

    const std::vector<Network>& models() const { return models_; }

    // Whether every model takes a gray face: a caller that has the gray picture already can
    // crop from it, a third of the pixels of a colour crop.
    bool takes_gray() const {
        return std::all_of(models_.begin(), models_.end(),
                           [](const Network& m) { return m.input().shape.channels == 1; });
    }
    Precision precision() const { return precision_; }

    // The averaged probabilities of every model (and of the mirrored face, when `flip`), in
    // fer's expression order. Throws: fer::error for an empty face.
    Probabilities classify(const ImageView& face, Workspace& ws, bool flip = false) const {
        Probabilities sum{};
        for (std::size_t m = 0; m < models_.size(); ++m)
            for (int mirrored = 0; mirrored <= int(flip); ++mirrored) {
                make_input(face, models_[m].input(), ws.input, mirrored == 1);
                add_outputs(m, models_[m].forward(ws.input, ws.network, precision_), sum);
            }
        const float runs = float(models_.size() * (flip ? 2 : 1));
        for (float& p : sum) p /= runs;
        return sum;
    }

  private:
    std::vector<Network> models_;
    Precision precision_;
    std::vector<std::array<int, expression_count>> orders_;  // model output -> Expression

    void add_outputs(std::size_t model, const Tensor& out, Probabilities& sum) const {
        for (int i = 0; i < expression_count; ++i)
            sum[std::size_t(orders_[model][std::size_t(i)])] += out.data()[i];
    }
};

}  // namespace fer

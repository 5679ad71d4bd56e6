// What `fer eval` measures: accuracy, per-class precision and recall, macro-F1, the confusion
// matrix, and how well the probabilities are calibrated; with pictures of the confusion matrix
// and of the reliability diagram.
#pragma once

#include <fer/fer.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

namespace cli {

// One image's outcome: a predicted expression with its probabilities, no face found (whole
// pictures through detection), or an image that could not be read.
struct Prediction {
    enum class Kind { classified, no_face, unreadable };
    Kind kind = Kind::unreadable;
    fer::Probabilities probabilities{};
    fer::Expression label() const { return fer::top_expression(probabilities); }
};

// Top-label confidence against accuracy in equal-width bins of confidence.
struct Calibration {
    static constexpr int bins = 10;
    std::array<std::size_t, bins> count{};
    std::array<double, bins> confidence{}, accuracy{};  // means per bin
    double expected_error = 0;  // ECE: the count-weighted mean of |accuracy - confidence|
    double mean_log_loss = 0;   // -log of the true class's probability (floored at 1e-7)
};

struct EvalScores {
    std::size_t n = 0;        // images read (classified or no face found)
    std::size_t no_face = 0;  // of them, pictures where the detector found no face (wrong)
    double accuracy = 0, macro_f1 = 0;
    std::array<double, fer::expression_count> precision{}, recall{}, f1{};
    std::array<std::size_t, fer::expression_count> support{}, missed{};  // missed: no face
    std::array<std::array<std::size_t, fer::expression_count>, fer::expression_count> confusion{};
    Calibration calibration;  // over the classified images
};

inline Calibration calibrate_scores(const std::vector<fer::Expression>& truth,
                                    const std::vector<Prediction>& predictions) {
    Calibration c;
    std::size_t total = 0;
    for (std::size_t i = 0; i < truth.size(); ++i) {
        const Prediction& p = predictions[i];
        if (p.kind != Prediction::Kind::classified) continue;
        const double confidence = p.probabilities[std::size_t(p.label())];
        const int bin = std::min(Calibration::bins - 1, int(confidence * Calibration::bins));
        ++c.count[std::size_t(bin)];
        c.confidence[std::size_t(bin)] += confidence;
        c.accuracy[std::size_t(bin)] += p.label() == truth[i] ? 1.0 : 0.0;
        c.mean_log_loss -= std::log(std::max(1e-7, double(p.probabilities[std::size_t(truth[i])])));
        ++total;
    }
    for (std::size_t b = 0; b < std::size_t(Calibration::bins); ++b) {
        if (c.count[b] == 0) continue;
        c.confidence[b] /= double(c.count[b]);
        c.accuracy[b] /= double(c.count[b]);
        c.expected_error +=
            double(c.count[b]) / double(total) * std::abs(c.accuracy[b] - c.confidence[b]);
    }
    if (total) c.mean_log_loss /= double(total);
    return c;
}

inline EvalScores score(const std::vector<fer::Expression>& truth,
                        const std::vector<Prediction>& predictions) {
    EvalScores s;
    std::size_t correct = 0;
    for (std::size_t i = 0; i < truth.size(); ++i) {
        const Prediction& p = predictions[i];
        const std::size_t t = std::size_t(truth[i]);
        if (p.kind == Prediction::Kind::unreadable) continue;
        ++s.n;
        if (p.kind == Prediction::Kind::no_face) {
            ++s.no_face;
            ++s.missed[t];
            continue;
        }
        ++s.confusion[t][std::size_t(p.label())];
        correct += p.label() == truth[i];
    }
    s.accuracy = s.n ? double(correct) / double(s.n) : 0.0;
    for (std::size_t c = 0; c < std::size_t(fer::expression_count); ++c) {
        std::size_t row = s.missed[c], column = 0;
        for (std::size_t k = 0; k < std::size_t(fer::expression_count); ++k)
            row += s.confusion[c][k], column += s.confusion[k][c];
        s.support[c] = row;
        s.precision[c] = column ? double(s.confusion[c][c]) / double(column) : 0.0;
        s.recall[c] = row ? double(s.confusion[c][c]) / double(row) : 0.0;
        const double pr = s.precision[c] + s.recall[c];
        s.f1[c] = pr > 0 ? 2 * s.precision[c] * s.recall[c] / pr : 0.0;
        s.macro_f1 += s.f1[c] / fer::expression_count;
    }
    s.calibration = calibrate_scores(truth, predictions);
    return s;
}

inline fer::Image white_canvas(int width, int height) {
    fer::Image image(width, height, fer::PixelFormat::rgb);
    std::fill(image.data(), image.data() + image.stride() * image.height(), std::uint8_t(255));
    return image;
}

// The confusion matrix as a picture: rows are the true class, columns the predicted one, each
// cell shaded by its share of the row (recall on the diagonal) and labelled with its count.
inline fer::Image draw_confusion(const EvalScores& s, const std::string& title) {
    const int cell = 64, left = 80, top = 44, n = fer::expression_count;
    fer::Image image = white_canvas(left + n * cell + 16, top + n * cell + 40);
    const fer::Color black{0, 0, 0};
    fer::draw_text(image.mutable_view(), 8, 6, title, black, 2);
    for (int r = 0; r < n; ++r) {
        const std::string name = fer::to_string(fer::Expression(r));
        fer::draw_text(image.mutable_view(), 8, top + r * cell + cell / 2 - 4, name, black, 1);
        fer::draw_text(image.mutable_view(), left + r * cell + 4, top + n * cell + 6, name, black,
                       1);
        for (int c = 0; c < n; ++c) {
            const std::size_t count = s.confusion[std::size_t(r)][std::size_t(c)];
            const double share =
                s.support[std::size_t(r)] ? double(count) / double(s.support[std::size_t(r)]) : 0.0;
            // White to dark blue; text turns white on dark cells.
            const auto shade = [&](int full) { return std::uint8_t(255 - (255 - full) * share); };
            const fer::Color fill{shade(r == c ? 20 : 200), shade(r == c ? 90 : 40),
                                  shade(r == c ? 170 : 40)};
            const fer::Rect box{left + c * cell, top + r * cell, cell - 2, cell - 2};
            fer::fill_rectangle(image.mutable_view(), box, fill);
            const std::string text = std::to_string(count);
            fer::draw_text(image.mutable_view(), box.x + (cell - fer::text_width(text, 2)) / 2,
                           box.y + (cell - fer::text_height(2)) / 2, text,
                           share > 0.5 ? fer::Color{255, 255, 255} : black, 2);
        }
    }
    fer::draw_text(image.mutable_view(), left, top + n * cell + 22,
                   "rows: true class, columns: predicted", black, 1);
    return image;
}

// The reliability diagram: per confidence bin, a bar as high as the accuracy of the faces whose
// top probability fell in it (its width shows how many did), against the diagonal a calibrated
// model would follow.
inline fer::Image draw_reliability(const EvalScores& s, const std::string& title) {
    const int side = 400, left = 56, top = 44, bottom = 56;
    fer::Image image = white_canvas(left + side + 24, top + side + bottom);
    const fer::MutableImageView view = image.mutable_view();
    const fer::Color black{0, 0, 0}, grid{220, 220, 220}, bar{40, 100, 180}, gap{230, 120, 60};
    fer::draw_text(view, 8, 6, title, black, 2);
    const auto x_of = [&](double v) { return left + int(std::lround(v * side)); };
    const auto y_of = [&](double v) { return top + side - int(std::lround(v * side)); };
    for (int k = 0; k <= 10; ++k) {
        const double v = k / 10.0;
        fer::draw_line(view, x_of(v), y_of(0), x_of(v), y_of(1), grid);
        fer::draw_line(view, x_of(0), y_of(v), x_of(1), y_of(v), grid);
        char label[8];
        std::snprintf(label, sizeof label, "%.1f", v);
        if (k % 2 == 0) {
            fer::draw_text(view, x_of(v) - 8, y_of(0) + 6, label, black, 1);
            fer::draw_text(view, 20, y_of(v) - 4, label, black, 1);
        }
    }
    const Calibration& c = s.calibration;
    std::size_t largest = 1;
    for (std::size_t n : c.count) largest = std::max(largest, n);
    for (int b = 0; b < Calibration::bins; ++b) {
        const std::size_t n = c.count[std::size_t(b)];
        if (n == 0) continue;
        const double width = 1.0 / Calibration::bins;
        // Bars narrower for bins with fewer faces (at least a third of the bin).
        const double share = 1.0 / 3.0 + 2.0 / 3.0 * double(n) / double(largest);
        const double x0 = b * width + width * (1 - share) / 2, x1 = x0 + width * share;
        const double accuracy = c.accuracy[std::size_t(b)];
        const double confidence = c.confidence[std::size_t(b)];
        fer::fill_rectangle(
            view, {x_of(x0), y_of(accuracy), x_of(x1) - x_of(x0), y_of(0) - y_of(accuracy)}, bar);
        // The gap to the mean confidence, the part ECE adds up.
        const double low = std::min(accuracy, confidence), high = std::max(accuracy, confidence);
        fer::draw_rectangle(
            view, {x_of(x0), y_of(high), x_of(x1) - x_of(x0), y_of(low) - y_of(high) + 1}, gap, 2);
    }
    fer::draw_line(view, x_of(0), y_of(0), x_of(1), y_of(1), black, 1);
    fer::draw_text(view, left, top + side + 24,
                   "x: top probability, y: share right (blue); orange: gap to confidence", black,
                   1);
    return image;
}

}  // namespace cli

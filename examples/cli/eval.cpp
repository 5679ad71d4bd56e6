// `fer eval`: accuracy of one model or an ensemble on a folder of class folders.

#include <fer/fer.hpp>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "args.hpp"
#include "commands.hpp"
#include "json.hpp"
#include "models.hpp"

namespace cli {
namespace {

struct LabelledImage {
    std::string path;
    fer::Expression truth;
};

// Every file in the class folders of `root` whose folder names an expression, sorted by path;
// `skipped` gets the folders that name none.
std::vector<LabelledImage> scan_dataset(const std::string& root,
                                        std::vector<std::string>& skipped) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (!fs::is_directory(root, ec)) throw Failure{root + ": not a folder of class folders"};
    std::vector<LabelledImage> images;
    for (const fs::directory_entry& folder : fs::directory_iterator(root)) {
        if (!folder.is_directory()) continue;
        fer::Expression e;
        if (!fer::expression_from_name(folder.path().filename().string(), e)) {
            skipped.push_back(folder.path().filename().string());
            continue;
        }
        for (const fs::directory_entry& file : fs::directory_iterator(folder.path()))
            if (file.is_regular_file()) images.push_back({file.path().string(), e});
    }
    std::sort(images.begin(), images.end(),
              [](const LabelledImage& a, const LabelledImage& b) { return a.path < b.path; });
    std::sort(skipped.begin(), skipped.end());
    return images;
}

// "[#####-----] 512/3589 14% 3.1 s" on stderr, redrawn in place, only on a terminal.
class ProgressBar {
  public:
    explicit ProgressBar(std::size_t total) : total_(total), tty_(isatty(STDERR_FILENO) != 0) {}

    void update(std::size_t done) {
        if (!tty_) return;
        const auto now = std::chrono::steady_clock::now();
        if (done != total_ && now - last_ < std::chrono::milliseconds(100)) return;
        last_ = now;
        const int width = 30;
        const int filled = total_ ? int(double(done) / double(total_) * width) : width;
        std::fprintf(stderr, "\r[%s%s] %zu/%zu %3d%% %.1f s", std::string(filled, '#').c_str(),
                     std::string(width - filled, '-').c_str(), done, total_,
                     total_ ? int(100.0 * double(done) / double(total_)) : 100, seconds());
        if (done == total_) std::fprintf(stderr, "\n");
    }
    double seconds() const {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    }

  private:
    std::size_t total_;
    bool tty_;
    std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now(), last_ = start_;
};

struct EvalScores {
    std::size_t n = 0;
    double accuracy = 0, macro_f1 = 0;
    std::array<double, fer::expression_count> precision{}, recall{}, f1{};
    std::array<std::size_t, fer::expression_count> support{};
    std::array<std::array<std::size_t, fer::expression_count>, fer::expression_count> confusion{};
};

EvalScores score(const std::vector<LabelledImage>& images, const std::vector<int>& predicted) {
    EvalScores s;
    std::size_t correct = 0;
    for (std::size_t i = 0; i < images.size(); ++i) {
        if (predicted[i] < 0) continue;  // unreadable image
        ++s.n;
        ++s.confusion[std::size_t(images[i].truth)][std::size_t(predicted[i])];
        correct += int(images[i].truth) == predicted[i];
    }
    s.accuracy = s.n ? double(correct) / double(s.n) : 0.0;
    for (std::size_t c = 0; c < std::size_t(fer::expression_count); ++c) {
        std::size_t row = 0, column = 0;
        for (std::size_t k = 0; k < std::size_t(fer::expression_count); ++k)
            row += s.confusion[c][k], column += s.confusion[k][c];
        s.support[c] = row;
        s.precision[c] = column ? double(s.confusion[c][c]) / double(column) : 0.0;
        s.recall[c] = row ? double(s.confusion[c][c]) / double(row) : 0.0;
        const double pr = s.precision[c] + s.recall[c];
        s.f1[c] = pr > 0 ? 2 * s.precision[c] * s.recall[c] / pr : 0.0;
        s.macro_f1 += s.f1[c] / fer::expression_count;
    }
    return s;
}

// The confusion matrix as a picture: rows are the true class, columns the predicted one, each
// cell shaded by its share of the row (recall on the diagonal) and labelled with its count.
fer::Image draw_confusion(const EvalScores& s, const std::string& title) {
    const int cell = 64, left = 80, top = 44, n = fer::expression_count;
    fer::Image image(left + n * cell + 16, top + n * cell + 40, fer::PixelFormat::rgb);
    std::fill(image.data(), image.data() + image.stride() * image.height(), std::uint8_t(255));
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

int run_eval(const Arguments& args) {
    if (args.positional.size() != 1) throw UsageError{"expected one DATASET_DIR"};
    const bool flip = args.flag("tta");
    const int threads = int(args.integer("threads", 1, 1, fer::limits::max_threads));
    const LoadedModels loaded = load_models(args);

    std::vector<std::string> skipped;
    const std::vector<LabelledImage> images = scan_dataset(args.positional[0], skipped);
    for (const std::string& s : skipped)
        std::fprintf(stderr, "fer eval: skipping folder '%s' (not an expression name)\n",
                     s.c_str());
    if (images.empty())
        throw Failure{args.positional[0] + ": no images in expression-named folders"};

    std::vector<int> predicted(images.size(), -1);
    std::vector<fer::Probabilities> probabilities(images.size());
    std::atomic<std::size_t> next{0}, done{0};
    std::mutex report;
    std::size_t unreadable = 0;
    ProgressBar progress(images.size());
    auto worker = [&] {
        fer::ExpressionClassifier::Workspace ws;
        for (std::size_t i; (i = next++) < images.size();) {
            try {
                const fer::Image face = fer::load_image(images[i].path, fer::PixelFormat::rgb);
                probabilities[i] = loaded.classifier.classify(face, ws, flip);
                predicted[i] = int(fer::top_expression(probabilities[i]));
            } catch (const fer::error& e) {
                const std::lock_guard<std::mutex> lock(report);
                std::fprintf(stderr, "\nfer eval: %s\n", e.what());
                ++unreadable;
            }
            const std::size_t finished = ++done;
            const std::lock_guard<std::mutex> lock(report);
            progress.update(finished);
        }
    };
    std::vector<std::thread> pool;
    for (int t = 1; t < threads; ++t) pool.emplace_back(worker);
    worker();
    for (std::thread& t : pool) t.join();
    const double seconds = progress.seconds();
    const EvalScores s = score(images, predicted);

    if (args.flag("predictions")) {
        std::string csv = "image,truth,predicted";
        for (int c = 0; c < fer::expression_count; ++c)
            csv += std::string(",") + fer::to_string(fer::Expression(c));
        csv += "\n";
        for (std::size_t i = 0; i < images.size(); ++i) {
            if (predicted[i] < 0) continue;
            csv += "\"" + images[i].path + "\"," + fer::to_string(images[i].truth) + "," +
                   fer::to_string(fer::Expression(predicted[i]));
            for (float p : probabilities[i]) csv += "," + json_number(p, 6);
            csv += "\n";
        }
        fer::write_file(args.text("predictions"),
                        std::vector<std::uint8_t>(csv.begin(), csv.end()));
    }
    if (args.flag("confusion-png")) {
        char title[96];
        std::snprintf(title, sizeof title, "accuracy %.2f%% of %zu", 100 * s.accuracy, s.n);
        fer::save_image(args.text("confusion-png"), draw_confusion(s, title));
    }
    if (args.flag("json")) {
        std::string per_class = "{", confusion = "[";
        for (std::size_t c = 0; c < std::size_t(fer::expression_count); ++c) {
            JsonObject o;
            o.number("precision", s.precision[c], 6)
                .number("recall", s.recall[c], 6)
                .number("f1", s.f1[c], 6)
                .number("support", double(s.support[c]), 15);
            per_class +=
                (c ? ", " : "") + json_string(fer::to_string(fer::Expression(c))) + ": " + o.str();
            confusion += c ? ", [" : "[";
            for (std::size_t k = 0; k < std::size_t(fer::expression_count); ++k)
                confusion += (k ? ", " : "") + std::to_string(s.confusion[c][k]);
            confusion += "]";
        }
        JsonObject out;
        out.text("dataset", args.positional[0])
            .raw("models", loaded.names_json)
            .text("precision", loaded.precision)
            .raw("tta", flip ? "true" : "false")
            .number("n", double(s.n), 15)
            .number("unreadable", double(unreadable), 15)
            .number("accuracy", s.accuracy, 6)
            .number("macro_f1", s.macro_f1, 6)
            .raw("per_class", per_class + "}")
            .raw("confusion", confusion + "]")
            .number("seconds", seconds, 4);
        std::printf("%s\n", out.str().c_str());
    } else {
        std::printf("%zu faces, accuracy %.2f%%, macro-F1 %.4f (%s, %s%s, %.1f s)\n\n", s.n,
                    100 * s.accuracy, s.macro_f1, loaded.description.c_str(),
                    loaded.precision.c_str(), flip ? ", flip averaged" : "", seconds);
        std::printf("%-9s %9s %9s %9s %8s\n", "class", "precision", "recall", "f1", "support");
        for (std::size_t c = 0; c < std::size_t(fer::expression_count); ++c)
            std::printf("%-9s %9.4f %9.4f %9.4f %8zu\n", fer::to_string(fer::Expression(c)),
                        s.precision[c], s.recall[c], s.f1[c], s.support[c]);
        std::printf("\nconfusion (rows: true, columns: predicted)\n%-9s", "");
        for (int c = 0; c < fer::expression_count; ++c)
            std::printf(" %8.8s", fer::to_string(fer::Expression(c)));
        std::printf("\n");
        for (std::size_t r = 0; r < std::size_t(fer::expression_count); ++r) {
            std::printf("%-9s", fer::to_string(fer::Expression(r)));
            for (std::size_t c = 0; c < std::size_t(fer::expression_count); ++c)
                std::printf(" %8zu", s.confusion[r][c]);
            std::printf("\n");
        }
    }
    return unreadable ? 1 : 0;
}

}  // namespace

Command eval_command() {
    return {"eval",
            "DATASET_DIR",
            "Measure accuracy on a folder of class folders.",
            "DATASET_DIR holds one folder per class, named by the expression (angry/anger,\n"
            "disgust/disgusted, fear/fearful, happy/happiness, sad/sadness, surprise/surprised,\n"
            "neutral; other folders are skipped with a warning). Each image is taken as a face\n"
            "crop (no detection) and resized to the model's input with its own preprocessing.\n"
            "Prints N, accuracy, per-class precision and recall, macro-F1 and the confusion\n"
            "matrix; a progress bar goes to stderr on a terminal.",
            {model_option,
             precision_option,
             {"tta", "", "average each face with its mirror image (test-time flip)"},
             {"threads", "N", "worker threads (default 1)"},
             {"json", "", "print one JSON object: n, accuracy, macro_f1, per_class, confusion"},
             {"confusion-png", "FILE", "draw the confusion matrix into FILE (.png or .jpg)",
              ValueKind::output_file},
             {"predictions", "FILE", "write each image's label and probabilities as CSV",
              ValueKind::output_file}},
            run_eval};
}

}  // namespace cli

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
#include "detection.hpp"
#include "json.hpp"
#include "models.hpp"
#include "scores.hpp"

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

// The predicted expressions, with the JSON, CSV and pictures the options ask for.
void report(const Arguments& args, const std::vector<LabelledImage>& images,
            const std::vector<Prediction>& predictions, const EvalScores& s,
            const LoadedModels& loaded, bool detect, bool flip, double seconds) {
    const Calibration& cal = s.calibration;
    if (args.flag("predictions")) {
        std::string csv = "image,truth,predicted";
        for (int c = 0; c < fer::expression_count; ++c)
            csv += std::string(",") + fer::to_string(fer::Expression(c));
        csv += "\n";
        for (std::size_t i = 0; i < images.size(); ++i) {
            const Prediction& p = predictions[i];
            if (p.kind == Prediction::Kind::unreadable) continue;
            csv += "\"" + images[i].path + "\"," + fer::to_string(images[i].truth) + ",";
            if (p.kind == Prediction::Kind::no_face) {
                csv += "none" + std::string(fer::expression_count, ',') + "\n";
                continue;
            }
            csv += fer::to_string(p.label());
            for (float v : p.probabilities) csv += "," + json_number(v, 6);
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
    if (args.flag("reliability-png")) {
        char title[96];
        std::snprintf(title, sizeof title, "calibration error %.3f", cal.expected_error);
        fer::save_image(args.text("reliability-png"), draw_reliability(s, title));
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
            .raw("detect", detect ? "true" : "false")
            .number("n", double(s.n), 15)
            .number("no_face", double(s.no_face), 15)
            .number("unreadable", double(images.size() - s.n), 15)
            .number("accuracy", s.accuracy, 6)
            .number("macro_f1", s.macro_f1, 6)
            .number("calibration_error", cal.expected_error, 6)
            .number("log_loss", cal.mean_log_loss, 6)
            .raw("per_class", per_class + "}")
            .raw("confusion", confusion + "]")
            .number("seconds", seconds, 4);
        std::printf("%s\n", out.str().c_str());
        return;
    }
    std::printf("%zu %s, accuracy %.2f%%, macro-F1 %.4f (%s, %s%s, %.1f s)\n", s.n,
                detect ? "pictures" : "faces", 100 * s.accuracy, s.macro_f1,
                loaded.description.c_str(), loaded.precision.c_str(), flip ? ", flip averaged" : "",
                seconds);
    if (detect) std::printf("no face found in %zu (counted wrong)\n", s.no_face);
    std::printf("calibration error (ECE, %d bins) %.4f, log loss %.4f\n\n", Calibration::bins,
                cal.expected_error, cal.mean_log_loss);
    std::printf("%-9s %9s %9s %9s %8s\n", "class", "precision", "recall", "f1", "support");
    for (std::size_t c = 0; c < std::size_t(fer::expression_count); ++c)
        std::printf("%-9s %9.4f %9.4f %9.4f %8zu\n", fer::to_string(fer::Expression(c)),
                    s.precision[c], s.recall[c], s.f1[c], s.support[c]);
    std::printf("\nconfusion (rows: true, columns: predicted%s)\n%-9s",
                detect ? "; no face found: the last column" : "", "");
    for (int c = 0; c < fer::expression_count; ++c)
        std::printf(" %8.8s", fer::to_string(fer::Expression(c)));
    std::printf(detect ? "     none\n" : "\n");
    for (std::size_t r = 0; r < std::size_t(fer::expression_count); ++r) {
        std::printf("%-9s", fer::to_string(fer::Expression(r)));
        for (std::size_t c = 0; c < std::size_t(fer::expression_count); ++c)
            std::printf(" %8zu", s.confusion[r][c]);
        if (detect) std::printf(" %8zu", s.missed[r]);
        std::printf("\n");
    }
}

int run_eval(const Arguments& args) {
    if (args.positional.size() != 1) throw UsageError{"expected one DATASET_DIR"};
    const bool detect = args.flag("detect");
    const int threads = int(args.integer("threads", 1, 1, fer::limits::max_threads));
    fer::RecognizerOptions options = parse_recognizer_options(args);
    options.detection.threads = 1;  // --threads here are workers, one picture each
    LoadedModels loaded = load_models(args, fer::default_level);
    const fer::Recognizer recognizer =
        make_recognizer(args, std::move(loaded.classifier), options, detect);

    std::vector<std::string> skipped;
    const std::vector<LabelledImage> images = scan_dataset(args.positional[0], skipped);
    for (const std::string& s : skipped)
        std::fprintf(stderr, "fer eval: skipping folder '%s' (not an expression name)\n",
                     s.c_str());
    if (images.empty())
        throw Failure{args.positional[0] + ": no images in expression-named folders"};

    std::vector<Prediction> predictions(images.size());
    std::atomic<std::size_t> next{0}, done{0};
    std::mutex progress_lock;
    ProgressBar progress(images.size());
    auto worker = [&] {
        fer::Recognizer::Workspace ws;
        for (std::size_t i; (i = next++) < images.size();) {
            Prediction& p = predictions[i];
            try {
                const fer::Image picture = fer::load_image(images[i].path, fer::PixelFormat::rgb);
                const std::vector<fer::FaceResult> faces =
                    detect ? largest_face(recognizer.recognize(picture, ws))
                           : std::vector<fer::FaceResult>{recognizer.classify_face(picture, ws)};
                p.kind = faces.empty() ? Prediction::Kind::no_face : Prediction::Kind::classified;
                if (!faces.empty()) p.probabilities = faces[0].probabilities;
            } catch (const fer::error& e) {
                const std::lock_guard<std::mutex> lock(progress_lock);
                std::fprintf(stderr, "\nfer eval: %s\n", e.what());
            }
            const std::size_t finished = ++done;
            const std::lock_guard<std::mutex> lock(progress_lock);
            progress.update(finished);
        }
    };
    std::vector<std::thread> pool;
    for (int t = 1; t < threads; ++t) pool.emplace_back(worker);
    worker();
    for (std::thread& t : pool) t.join();

    std::vector<fer::Expression> truth;
    for (const LabelledImage& image : images) truth.push_back(image.truth);
    const EvalScores s = score(truth, predictions);
    report(args, images, predictions, s, loaded, detect, options.flip, progress.seconds());
    return s.n == images.size() ? 0 : 1;
}

}  // namespace

Command eval_command() {
    const fer::RecognizerOptions defaults;
    return {
        "eval",
        "DATASET_DIR",
        "Measure accuracy and calibration on a folder of class folders.",
        "DATASET_DIR holds one folder per class, named by the expression (angry/anger,\n"
        "disgust/disgusted, fear/fearful, happy/happiness, sad/sadness, surprise/surprised,\n"
        "neutral; other folders are skipped with a warning). Each image is taken as a face\n"
        "crop and resized to the model's input with its own preprocessing; with --detect,\n"
        "each image is a picture and its largest face is found, aligned, cropped and\n"
        "classified as 'fer classify' does (a picture without a face counts as wrong).\n"
        "Prints N, accuracy, per-class precision and recall, macro-F1, the confusion matrix\n"
        "and the calibration error (ECE: how far the top probability is from the share of\n"
        "faces it gets right, in 10 bins); a progress bar goes to stderr on a terminal.\n"
        "Exit status 1 when an image could not be read (it is left out of the scores).",
        with_face_detector_options(
            with_crop_options(
                {level_option(fer::default_level),
                 model_option,
                 precision_option,
                 {"detect", "", "whole pictures: classify the largest face found in each"},
                 {"threads", "N", "worker threads (default 1)"},
                 {"json", "",
                  "print one JSON object: n, accuracy, macro_f1, calibration_error, "
                  "per_class, confusion"},
                 {"confusion-png", "FILE", "draw the confusion matrix into FILE (.png or .jpg)",
                  ValueKind::output_file},
                 {"reliability-png", "FILE", "draw the reliability diagram (calibration) into FILE",
                  ValueKind::output_file},
                 {"predictions", "FILE",
                  "write each image's label and probabilities as CSV ('none': no face)",
                  ValueKind::output_file}},
                defaults),
            defaults.detection),
        run_eval};
}

}  // namespace cli

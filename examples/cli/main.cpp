// fer - the command-line tool: describe, detect, classify, follow faces in video, evaluate.
//
// Every subcommand prints one JSON object per input on stdout and reasons for failures, one line
// each, on stderr. Exit status: 0 success, 1 some input failed, 2 bad command line.
#include <fer/fer.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "args.hpp"
#include "classify.hpp"
#include "eval.hpp"
#include "json.hpp"
#include "models.hpp"
#include "video.hpp"

namespace {

// `fer info`: what the image is, as the library sees it.
int run_info(const cli::Arguments& args) {
    if (args.positional.empty()) throw cli::UsageError{"expected at least one IMAGE"};
    int status = 0;
    for (const std::string& path : args.positional) {
        try {
            const std::vector<std::uint8_t> bytes = fer::read_file_bytes(path);
            const fer::Image gray = fer::decode_image(bytes, fer::PixelFormat::gray);
            double sum = 0.0, sum_squares = 0.0;
            for (int y = 0; y < gray.height(); ++y)
                for (int x = 0; x < gray.width(); ++x) {
                    const double v = gray.row(y)[x];
                    sum += v;
                    sum_squares += v * v;
                }
            const double n = double(gray.width()) * gray.height();
            const double mean = sum / n;
            const double stddev = std::sqrt(std::max(0.0, sum_squares / n - mean * mean));
            cli::JsonObject out;
            out.text("image", path)
                .text("format", fer::to_string(fer::sniff_image_format(bytes.data(), bytes.size())))
                .number("file_bytes", double(bytes.size()), 15)
                .number("width", gray.width())
                .number("height", gray.height())
                .number("megapixels", n / 1e6, 3)
                .number("mean_luma", mean, 4)
                .number("luma_stddev", stddev, 4);
            std::printf("%s\n", out.str().c_str());
        } catch (const fer::error& e) {
            std::fprintf(stderr, "fer info: %s\n", e.what());
            status = 1;
        }
    }
    return status;
}

// "N" or "WxH" as a size in pixels, 0 to the image size limit.
void parse_size(const cli::Arguments& args, const std::string& name, int& width, int& height) {
    if (!args.flag(name)) return;
    const std::string text = args.text(name);
    const std::size_t x = text.find('x');
    auto number = [&](const std::string& part) {
        char* end = nullptr;
        const long v = std::strtol(part.c_str(), &end, 10);
        if (part.empty() || *end != '\0' || v < 0 || v > fer::limits::max_image_side)
            throw cli::UsageError{"--" + name + " expects N or WxH in pixels (0 to " +
                                  std::to_string(fer::limits::max_image_side) + "), got '" + text +
                                  "'"};
        return int(v);
    };
    width = number(x == std::string::npos ? text : text.substr(0, x));
    height = x == std::string::npos ? width : number(text.substr(x + 1));
}

double parse_scale_factor(const cli::Arguments& args) {
    if (!args.flag("scale-factor")) return 1.1;
    const std::string text = args.text("scale-factor");
    char* end = nullptr;
    const double v = std::strtod(text.c_str(), &end);
    if (text.empty() || *end != '\0' || !(v > 1.0 && v <= 10.0))
        throw cli::UsageError{"--scale-factor expects a number above 1 and at most 10, got '" +
                              text + "'"};
    return v;
}

// The detector options `fer detect` and `fer classify` share.
void parse_detection(const cli::Arguments& args, fer::DetectionOptions& options) {
    options.scale_factor = parse_scale_factor(args);
    options.min_neighbors = int(args.integer("min-neighbors", 3, 0, 10000));
    options.threads = int(args.integer("threads", 1, 1, 256));
    parse_size(args, "min-size", options.min_width, options.min_height);
    parse_size(args, "max-size", options.max_width, options.max_height);
}

// `fer detect`: faces found by a Viola-Jones cascade.
int run_detect(const cli::Arguments& args) {
    if (args.positional.empty()) throw cli::UsageError{"expected at least one IMAGE"};
    if (args.flag("annotate") && args.positional.size() != 1)
        throw cli::UsageError{"--annotate draws one image; give exactly one IMAGE"};
    fer::DetectionOptions options;
    parse_detection(args, options);
    const long repeat = args.integer("repeat", 0, 0, 100000);
    const bool equalize = args.flag("equalize");
    const std::string cascade_path =
        args.flag("cascade") ? args.text("cascade") : fer::default_face_cascade_path();
    const fer::CascadeDetector detector(fer::load_cascade(cascade_path));
    std::optional<fer::CascadeDetector> eye_detector;
    if (args.flag("eyes")) eye_detector.emplace(fer::load_cascade(fer::default_eye_cascade_path()));

    int status = 0;
    for (const std::string& path : args.positional) {
        try {
            const fer::Image photo = fer::load_image(path);
            fer::Image gray = fer::to_gray(photo);
            if (equalize) gray = fer::equalize_histogram(gray);
            std::vector<fer::Detection> faces = detector.detect(gray, options);
            cli::JsonObject out;
            out.text("image", path).number("width", photo.width()).number("height", photo.height());
            std::string list;
            std::vector<std::optional<fer::EyePair>> eye_pairs;
            for (const fer::Detection& f : faces) {
                cli::JsonObject face;
                face.raw("box", cli::box_json(f.box)).number("neighbors", f.neighbors);
                if (eye_detector) {
                    const std::optional<fer::EyePair> eyes =
                        fer::find_eyes(*eye_detector, gray, f.box);
                    eye_pairs.push_back(eyes);
                    if (eyes)
                        face.raw("eyes", "{\"left\": [" + cli::json_number(eyes->left_x, 5) + ", " +
                                             cli::json_number(eyes->left_y, 5) + "], \"right\": [" +
                                             cli::json_number(eyes->right_x, 5) + ", " +
                                             cli::json_number(eyes->right_y, 5) + "], \"roll\": " +
                                             cli::json_number(eyes->roll_degrees, 3) + "}");
                    else
                        face.raw("eyes", "null");
                }
                list += std::string(list.empty() ? "" : ", ") + face.str();
            }
            out.raw("faces", "[" + list + "]");
            if (repeat > 0) {
                // The median of `repeat` detections on the decoded image: decoding is not timed.
                std::vector<double> ms;
                for (long r = 0; r < repeat; ++r) {
                    const auto start = std::chrono::steady_clock::now();
                    faces = detector.detect(gray, options);
                    ms.push_back(std::chrono::duration<double, std::milli>(
                                     std::chrono::steady_clock::now() - start)
                                     .count());
                }
                std::nth_element(ms.begin(), ms.begin() + long(ms.size() / 2), ms.end());
                out.number("ms", ms[ms.size() / 2], 4);
            }
            std::printf("%s\n", out.str().c_str());
            std::fflush(stdout);
            if (args.flag("annotate")) {
                fer::Image annotated = photo;
                const int thickness = std::max(2, std::min(photo.width(), photo.height()) / 300);
                for (std::size_t i = 0; i < faces.size(); ++i) {
                    const fer::Detection& f = faces[i];
                    fer::draw_rectangle(annotated.mutable_view(), f.box, {40, 220, 40}, thickness);
                    if (i < eye_pairs.size() && eye_pairs[i]) {
                        const int r = std::max(3, f.box.width / 20);
                        for (const auto& [ex, ey] :
                             {std::pair{eye_pairs[i]->left_x, eye_pairs[i]->left_y},
                              std::pair{eye_pairs[i]->right_x, eye_pairs[i]->right_y}})
                            fer::draw_rectangle(annotated.mutable_view(),
                                                {int(ex) - r, int(ey) - r, 2 * r, 2 * r},
                                                {250, 200, 0}, std::max(1, thickness / 2));
                    }
                    fer::draw_label(annotated.mutable_view(), f.box,
                                    "face " + std::to_string(f.neighbors), {40, 220, 40}, {0, 0, 0},
                                    std::max(2, thickness));
                }
                fer::save_image(args.text("annotate"), annotated);
            }
        } catch (const fer::error& e) {
            std::fprintf(stderr, "fer detect: %s\n", e.what());
            status = 1;
        }
    }
    return status;
}

// Up to `count` image files under `dir` (any depth), spread evenly over the sorted list.
std::vector<std::string> sample_images(const std::string& dir, std::size_t count) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) fer::detail::fail(dir + ": not a directory");
    std::vector<std::string> all;
    for (const fs::directory_entry& e : fs::recursive_directory_iterator(dir))
        if (e.is_regular_file()) all.push_back(e.path().string());
    std::sort(all.begin(), all.end());
    std::vector<std::string> picked;
    for (std::size_t i = 0; i < count && i < all.size(); ++i)
        picked.push_back(all[i * all.size() / std::min(count, all.size())]);
    return picked;
}

// `fer quantize`: a model file with int8 weights (per output channel, fer/quant.hpp), and with
// --calibrate equalized and bias-corrected on sample faces (fer/calibrate.hpp).
int run_quantize(const cli::Arguments& args) {
    if (args.positional.size() != 2) throw cli::UsageError{"expected IN.gguf and OUT.gguf"};
    fer::Network net = fer::load_network(args.positional[0]);
    if (args.flag("calibrate")) {
        const std::size_t count = std::size_t(args.integer("calibration-count", 300, 1, 100000));
        std::vector<fer::Tensor> inputs;
        for (const std::string& path : sample_images(args.text("calibrate"), count)) {
            inputs.emplace_back();
            fer::make_input(fer::load_image(path), net.input(), inputs.back());
        }
        fer::calibrate_int8(net, inputs);
        std::fprintf(stderr, "fer quantize: calibrated on %zu faces\n", inputs.size());
    }
    for (const std::string& item : args.all("info")) {
        const std::size_t eq = item.find('=');
        if (eq == std::string::npos || eq == 0)
            throw cli::UsageError{"--info expects KEY=VALUE, got '" + item + "'"};
        net.info[item.substr(0, eq)] = item.substr(eq + 1);
    }
    const std::vector<std::uint8_t> bytes = fer::save_network(net, true);
    fer::write_file(args.positional[1], bytes);
    std::fprintf(stderr, "fer quantize: %s: %zu layers, %zu bytes (int8 weights)\n",
                 args.positional[1].c_str(), net.nodes().size(), bytes.size());
    return 0;
}

// `own` followed by the face detector's options, as classify and video take them.
std::vector<cli::Option> with_face_detector_options(std::vector<cli::Option> own) {
    own.insert(own.end(),
               {{"cascade", "FILE", "face cascade XML (default: OpenCV's frontal face cascade)"},
                {"scale-factor", "F", "detector pyramid step (default 1.1)"},
                {"min-neighbors", "N", "detector hits a face needs beyond N (default 3)"},
                {"min-size", "N|WxH", "smallest face in pixels (default 30)"},
                {"max-size", "N|WxH", "largest face in pixels (default: the whole picture)"}});
    return own;
}

std::vector<cli::Command> commands() {
    return {
        {"info",
         "IMAGE...",
         "Describe images: format, size, brightness and contrast.",
         "Prints one JSON object per image: image, format, file_bytes, width, height,\n"
         "megapixels, mean_luma and luma_stddev (BT.601 luma, 0 to 255).",
         {},
         run_info},
        {"classify", "IMAGE...", "Find the faces in photos and classify their expressions.",
         "Prints one JSON object per image: image, width, height and faces, each face with\n"
         "box [x, y, w, h], label, score (the label's probability) and probabilities (the\n"
         "seven expressions), aligned (whether the crop was turned to level the eyes) and\n"
         "roll (the eyes' slope in degrees, when aligned). Faces come from the frontal-face\n"
         "cascade (faces from 30 pixels; detector options as in 'fer detect'); each is cropped\n"
         "square around its box, turned so that the eyes are level when the eye cascade finds\n"
         "both, and classified by the shipped model unless --model says otherwise. An\n"
         "unreadable image is reported on stderr and the others are still processed; the exit\n"
         "status is then 1.",
         with_face_detector_options(
             {cli::model_option,
              cli::precision_option,
              {"tta", "", "average each face with its mirror image"},
              {"no-detect", "", "the whole image is one face (a crop)"},
              {"no-align", "", "do not turn crops to level the eyes"},
              {"require-eyes", "", "drop boxes without two eyes (most cascade false positives)"},
              {"largest", "", "only the largest face of each image"},
              {"margin", "F", "enlarge each face crop by F of its side on every side (default 0)"},
              {"threads", "N", "detector threads per image (default 1)"},
              {"annotate", "OUT", "write the picture with boxes and labels to OUT (one IMAGE)"},
              {"annotate-dir", "DIR", "write each picture, annotated, into DIR as NAME.png"}}),
         [](const cli::Arguments& a) { return cli::run_classify(a, parse_detection); }},
        {"detect",
         "IMAGE...",
         "Find faces in photos with a Viola-Jones cascade.",
         "Prints one JSON object per image: image, width, height and faces, each face with\n"
         "box [x, y, w, h] in pixels and neighbors (supporting window hits; more is surer).\n"
         "Reads OpenCV's cascade XML files and, with the same parameters, finds the same boxes\n"
         "as OpenCV's CascadeClassifier::detectMultiScale; the defaults are OpenCV's.",
         {{"cascade", "FILE",
           "cascade XML (default: OpenCV's haarcascade_frontalface_default.xml)"},
          {"scale-factor", "F", "pyramid step, above 1 (default 1.1)"},
          {"min-neighbors", "N", "hits a box needs beyond N (default 3)"},
          {"min-size", "N|WxH", "smallest face in pixels (default: the cascade window)"},
          {"max-size", "N|WxH", "largest face in pixels (default: the image)"},
          {"equalize", "", "equalize the histogram before detecting (off: same pixels as OpenCV)"},
          {"eyes", "", "also find both eyes of each face and the roll angle (degrees)"},
          {"threads", "N", "worker threads for each image (default 1)"},
          {"annotate", "OUT", "write the image with boxes drawn to OUT (.png or .jpg; one IMAGE)"},
          {"repeat", "N", "detect N times on the decoded image and add ms, the median time"}},
         run_detect},
        {"video", "INPUT", "Follow faces and their expressions through a video stream.",
         "INPUT is a Y4M file, - for a Y4M stream on standard input (for example\n"
         "  ffmpeg -i clip.mp4 -f yuv4mpegpipe - | fer video -)\n"
         "or a V4L2 camera such as /dev/video0 (YUYV capture; frames are dropped rather than\n"
         "queued when recognition falls behind). Prints one JSON object per frame: frame (from\n"
         "0), time (seconds) and faces, each with id (stable while the face is tracked), box\n"
         "[x, y, w, h], label, score and probabilities (smoothed over the track's frames).\n"
         "Known faces are looked for near their last place in every frame; new faces come\n"
         "from a search of the whole frame, one per --detect-interval frames, spread over\n"
         "those frames (about the same work in each; --whole-search: all at once instead).\n"
         "At the end a summary goes to stderr: frames, faces, tracks, seconds, frames per\n"
         "second (and dropped frames for a camera).",
         with_face_detector_options(
             {cli::model_option,
              cli::precision_option,
              {"output", "OUT.y4m", "write the frames with boxes, IDs and labels (Y4M 4:2:0)"},
              {"csv", "FILE",
               "one row per frame and face: frame, time, id, box, label, score, ..."},
              {"timeline", "FILE.png", "draw each face's probabilities over time"},
              {"smoothing", "ema|window|none",
               "averaging of each face's probabilities (default ema)"},
              {"alpha", "F", "ema: weight of the newest frame (default 0.15)"},
              {"window", "N", "window: frames averaged (default 10)"},
              {"detect-interval", "N", "one search of the whole frame per N frames (default 10)"},
              {"whole-search", "", "search the whole frame at once on every Nth frame"},
              {"max-missed", "N", "frames a face may go unseen before its track ends (default 10)"},
              {"max-frames", "N", "stop after N frames (default: the whole stream)"},
              {"no-align", "", "do not turn crops to level the eyes"},
              {"camera-size", "WxH", "size to ask a camera for (default 640x480)"},
              {"threads", "N", "threads for detection and for classifying faces (default 1)"}}),
         [](const cli::Arguments& a) { return cli::run_video(a, parse_detection); }},
        {"quantize",
         "IN.gguf OUT.gguf",
         "Write a model with int8 weights.",
         "Quantizes the weights of every convolution and dense layer with at least 64\n"
         "multiply-adds per output to int8, with one scale per output channel (symmetric,\n"
         "round to nearest; see fer/quant.hpp). Biases and smaller layers stay float.\n"
         "The file is about a quarter of the fp32 size; fp32 arithmetic runs on the\n"
         "dequantized weights, and --precision int8 on the int8 weights themselves.\n"
         "With --calibrate, sample faces (image files anywhere under DIR, spread evenly\n"
         "over their sorted list) first even out the channel ranges of depthwise ->\n"
         "convolution pairs and correct the biases for the weight rounding, which makes\n"
         "both arithmetics agree better with the fp32 model.",
         {{"calibrate", "DIR", "sample faces for equalization and bias correction"},
          {"calibration-count", "N", "how many faces to use (default 300)"},
          {"info", "KEY=VALUE", "add or replace a provenance string fer.info.KEY (repeatable)"}},
         run_quantize},
        {"eval",
         "DATASET_DIR",
         "Measure accuracy on a folder of class folders.",
         "DATASET_DIR holds one folder per class, named by the expression (angry/anger,\n"
         "disgust/disgusted, fear/fearful, happy/happiness, sad/sadness, surprise/surprised,\n"
         "neutral; other folders are skipped with a warning). Each image is taken as a face\n"
         "crop (no detection) and resized to the model's input with its own preprocessing.\n"
         "Prints N, accuracy, per-class precision and recall, macro-F1 and the confusion\n"
         "matrix; a progress bar goes to stderr on a terminal.",
         {cli::model_option,
          cli::precision_option,
          {"tta", "", "average each face with its mirror image (test-time flip)"},
          {"threads", "N", "worker threads (default 1)"},
          {"json", "", "print one JSON object: n, accuracy, macro_f1, per_class, confusion"},
          {"confusion-png", "FILE", "draw the confusion matrix into FILE (.png or .jpg)"},
          {"predictions", "FILE", "write each image's label and probabilities as CSV"}},
         cli::run_eval},
    };
}

void print_usage(std::FILE* out, const std::vector<cli::Command>& all) {
    std::fprintf(out,
                 "usage: fer COMMAND [options] ...\n\n"
                 "Facial expression recognition on the CPU (fer %s).\n\ncommands:\n",
                 FER_VERSION_STRING);
    for (const cli::Command& c : all)
        std::fprintf(out, "  %-10s %s\n", c.name.c_str(), c.summary.c_str());
    std::fprintf(out,
                 "\nRun 'fer COMMAND --help' for a command's options.\n"
                 "  --version  print the version and exit\n  -h, --help show this help and exit\n");
}

}  // namespace

int main(int argc, char** argv) {
    const std::vector<cli::Command> all = commands();
    if (argc < 2) {
        print_usage(stderr, all);
        return 2;
    }
    const std::string first = argv[1];
    if (first == "-h" || first == "--help" || first == "help") {
        print_usage(stdout, all);
        return 0;
    }
    if (first == "--version") {
        std::printf("fer %s\n", FER_VERSION_STRING);
        return 0;
    }
    for (const cli::Command& command : all) {
        if (command.name != first) continue;
        try {
            const cli::Arguments args = command.parse(argc - 2, argv + 2);
            if (args.flag("help")) {
                command.print_help(stdout);
                return 0;
            }
            return command.run(args);
        } catch (const cli::UsageError& e) {
            std::fprintf(stderr, "fer %s: %s (see 'fer %s --help')\n", command.name.c_str(),
                         e.message.c_str(), command.name.c_str());
            return 2;
        } catch (const fer::error& e) {
            std::fprintf(stderr, "fer %s: %s\n", command.name.c_str(), e.what());
            return 1;
        }
    }
    std::fprintf(stderr, "fer: unknown command '%s' (see 'fer --help')\n", first.c_str());
    return 2;
}

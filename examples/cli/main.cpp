// fer - the command-line tool: describe, detect, classify, follow faces in video, evaluate.
//
// Every subcommand prints one JSON object per input on stdout and reasons for failures, one line
// each, on stderr. Exit status: 0 success, 1 some input failed, 2 bad command line.
#include <fer/fer.hpp>

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "args.hpp"
#include "json.hpp"

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

// A subcommand whose implementation has not landed yet: says so and fails.
std::function<int(const cli::Arguments&)> not_yet(const std::string& name,
                                                  const std::string& needs) {
    return [name, needs](const cli::Arguments&) {
        std::fprintf(stderr, "fer %s: not available in this version of fer (it needs %s)\n",
                     name.c_str(), needs.c_str());
        return 1;
    };
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
        {"classify",
         "IMAGE...",
         "Find the faces in photos and classify their expressions.",
         "Not available yet: it needs the face detector and the expression models.",
         {},
         not_yet("classify", "the face detector and the expression models")},
        {"detect",
         "IMAGE...",
         "Find faces in photos with a Viola-Jones cascade.",
         "Not available yet: it needs the face detector.",
         {},
         not_yet("detect", "the face detector")},
        {"video",
         "INPUT",
         "Follow faces and their expressions through a video stream.",
         "Not available yet: it needs the recognition pipeline and the tracker.",
         {},
         not_yet("video", "the recognition pipeline and the tracker")},
        {"eval",
         "DATASET_DIR",
         "Measure accuracy on a folder of class folders.",
         "Not available yet: it needs the expression models.",
         {},
         not_yet("eval", "the expression models")},
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

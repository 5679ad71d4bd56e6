// `fer info`: what images are, as the library sees them.
#include <fer/fer.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "args.hpp"
#include "commands.hpp"
#include "json.hpp"

namespace cli {
namespace {

// `fer info`: what the image is, as the library sees it.
int run_info(const Arguments& args) {
    if (args.positional.empty()) throw UsageError{"expected at least one IMAGE"};
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
            JsonObject out;
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

}  // namespace

Command info_command() {
    return {"info",
            "IMAGE...",
            "Describe images: format, size, brightness and contrast.",
            "Prints one JSON object per image: image, format, file_bytes, width, height,\n"
            "megapixels, mean_luma and luma_stddev (BT.601 luma, 0 to 255).",
            {},
            run_info};
}

}  // namespace cli

// `fer quantize`: a model file with int8 weights, optionally calibrated.
#include <fer/fer.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "args.hpp"
#include "commands.hpp"

namespace cli {
namespace {

// Up to `count` image files under `dir` (any depth), spread evenly over the sorted list.
std::vector<std::string> sample_images(const std::string& dir, std::size_t count) {
    namespace fs = std::filesystem;
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) throw Failure{"--calibrate " + dir + ": not a folder"};
    std::vector<std::string> all;
    for (const fs::directory_entry& e : fs::recursive_directory_iterator(dir))
        if (e.is_regular_file()) all.push_back(e.path().string());
    std::sort(all.begin(), all.end());
    std::vector<std::string> picked;
    for (std::size_t i = 0; i < count && i < all.size(); ++i)
        picked.push_back(all[i * all.size() / std::min(count, all.size())]);
    return picked;
}

// `fer quantize`: a model file with int8 weights (per output channel, fer/nn/quant.hpp), and with
// --calibrate equalized and bias-corrected on sample faces (fer/nn/calibrate.hpp).
int run_quantize(const Arguments& args) {
    if (args.positional.size() != 2) throw UsageError{"expected IN.gguf and OUT.gguf"};
    check_output_file("OUT.gguf", args.positional[1]);
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
            throw UsageError{"--info expects KEY=VALUE, got '" + item + "'"};
        net.info[item.substr(0, eq)] = item.substr(eq + 1);
    }
    const std::vector<std::uint8_t> bytes = fer::save_network(net, true);
    fer::write_file(args.positional[1], bytes);
    std::fprintf(stderr, "fer quantize: %s: %zu layers, %zu bytes (int8 weights)\n",
                 args.positional[1].c_str(), net.nodes().size(), bytes.size());
    return 0;
}

}  // namespace

Command quantize_command() {
    return {"quantize",
            "IN.gguf OUT.gguf",
            "Write a model with int8 weights.",
            "Quantizes the weights of every convolution and dense layer with at least 64\n"
            "multiply-adds per output to int8, with one scale per output channel (symmetric,\n"
            "round to nearest; see fer/nn/quant.hpp). Biases and smaller layers stay float.\n"
            "The file is about a quarter of the fp32 size; fp32 arithmetic runs on the\n"
            "dequantized weights, and --precision int8 on the int8 weights themselves.\n"
            "With --calibrate, sample faces (image files anywhere under DIR, spread evenly\n"
            "over their sorted list) first even out the channel ranges of depthwise ->\n"
            "convolution pairs and correct the biases for the weight rounding, which makes\n"
            "both arithmetics agree better with the fp32 model.",
            {{"calibrate", "DIR", "sample faces for equalization and bias correction"},
             {"calibration-count", "N", "how many faces to use (default 300)"},
             {"info", "KEY=VALUE", "add or replace a provenance string fer.info.KEY (repeatable)"}},
            run_quantize};
}

}  // namespace cli

// Where a network's time goes, layer by layer: runs each shipped model (and BlazeFace) many times
// on one core and prints, per node, its kind, output shape, multiply-accumulates and the median
// time of its forward(), then the share of each layer kind. One thread, fp32 unless --int8.
//   fer_profile_layers [--int8] [--runs N] [MODEL.gguf ...]
// Without model files it profiles the shipped ones in weights/.
#include <fer/fer.hpp>

#include "timing.hpp"

#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <variant>
#include <vector>

namespace {

const char* const default_models[] = {"human-emotion-int8.gguf", "faceapi-expression-int8.gguf",
                                      "xception-int8.gguf", "blazeface.gguf"};

double node_macs(const fer::Network::Node& n) {
    if (const auto* c = std::get_if<fer::Conv2D>(&n.layer))
        return double(n.output.size()) * c->kernel_h * c->kernel_w * c->in_channels;
    if (const auto* d = std::get_if<fer::DepthwiseConv2D>(&n.layer))
        return double(n.output.size()) * d->kernel_h * d->kernel_w;
    if (const auto* f = std::get_if<fer::Dense>(&n.layer)) return double(f->inputs) * f->outputs;
    return 0;
}

// A layer's kind as the table names it: conv2d splits into its kernel sizes.
std::string kind_of(const fer::Network::Node& n) {
    const std::string type = std::visit([](const auto& l) { return l.file_type(); }, n.layer);
    if (const auto* c = std::get_if<fer::Conv2D>(&n.layer))
        return type + (c->pointwise()
                           ? " 1x1"
                           : " " + std::to_string(c->kernel_h) + "x" + std::to_string(c->kernel_w));
    return type;
}

void profile(const std::string& path, fer::Precision precision, int runs) {
    const fer::Network net = fer::load_network(path);
    if (precision == fer::Precision::int8 && !net.supports_int8()) {
        std::printf("%s: no int8 weights, skipped\n\n", path.c_str());
        return;
    }
    fer::Tensor input(net.input().shape);
    std::mt19937 rng(1);
    for (std::int64_t i = 0; i < input.size(); ++i)
        input.data()[i] = float(rng() % 256) / 128.0f - 1.0f;

    using clock = std::chrono::steady_clock;
    const std::size_t count = net.nodes().size();
    std::vector<std::vector<double>> times(count);
    std::vector<double> totals;
    fer::Network::Workspace ws;
    for (int run = -3; run < runs; ++run) {  // three warm-up runs
        clock::time_point last = clock::now();
        const clock::time_point start = last;
        net.forward(input, ws, precision, [&](std::size_t n) {
            const clock::time_point now = clock::now();
            if (run >= 0)
                times[n].push_back(std::chrono::duration<double, std::micro>(now - last).count());
            last = now;
        });
        if (run >= 0)
            totals.push_back(std::chrono::duration<double, std::milli>(last - start).count());
    }

    std::printf("%s (%s), median of %d runs: %.3f ms\n", path.c_str(),
                precision == fer::Precision::int8 ? "int8" : "fp32", runs, bench::median(totals));
    std::printf("%5s  %-18s %-12s %9s %9s %6s\n", "node", "kind", "output", "kMAC", "us", "%");
    std::vector<double> medians(count);
    double sum = 0;
    for (std::size_t n = 0; n < count; ++n) sum += medians[n] = bench::median(times[n]);
    std::map<std::string, double> by_kind;
    for (std::size_t n = 0; n < count; ++n) {
        const fer::Network::Node& node = net.nodes()[n];
        std::string kind = kind_of(node);
        // An add computing a convolution in its epilogue takes that convolution's time too.
        for (std::size_t c = 0; c < count; ++c)
            if (net.computed_by(c, precision) == int(n)) kind = kind_of(net.nodes()[c]) + "+add";
        by_kind[kind] += medians[n];
        const fer::Shape s = node.output;
        const std::string shape = std::to_string(s.height) + "x" + std::to_string(s.width) + "x" +
                                  std::to_string(s.channels);
        std::printf("%5zu  %-18s %-12s %9.1f %9.1f %6.1f\n", n, kind.c_str(), shape.c_str(),
                    node_macs(node) * 1e-3, medians[n], 100 * medians[n] / sum);
    }
    std::printf("by kind:");
    for (const auto& [kind, us] : by_kind) std::printf("  %s %.1f%%", kind.c_str(), 100 * us / sum);
    std::printf("\n\n");
}

}  // namespace

int main(int argc, char** argv) {
    fer::Precision precision = fer::Precision::fp32;
    int runs = 200;
    std::vector<std::string> paths;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "--int8") {
            precision = fer::Precision::int8;
        } else if (arg == "--runs" && i + 1 < argc) {
            runs = std::atoi(argv[++i]);
            if (runs < 1) {
                std::fprintf(stderr, "fer_profile_layers: --runs: expected a positive count\n");
                return 2;
            }
        } else if (arg == "-h" || arg == "--help") {
            std::printf("usage: fer_profile_layers [--int8] [--runs N] [MODEL.gguf ...]\n");
            return 0;
        } else if (!arg.empty() && arg[0] == '-') {
            std::fprintf(stderr, "fer_profile_layers: unknown option '%s'\n", arg.c_str());
            return 2;
        } else {
            paths.push_back(arg);
        }
    }
    if (paths.empty())
        for (const char* file : default_models)
            paths.push_back(std::string(FER_WEIGHTS_DIR) + "/" + file);
    try {
        for (const std::string& path : paths) profile(path, precision, runs);
    } catch (const fer::error& e) {
        std::fprintf(stderr, "fer_profile_layers: %s\n", e.what());
        return 1;
    }
    return 0;
}

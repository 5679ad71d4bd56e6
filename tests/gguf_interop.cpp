// Writes a GGUF file with fer's writer and records what fer's reader finds in it, as JSON, for
// tests/gguf-interop/compare.js to check against an independent reader.
// Usage: fer_gguf_interop OUT.gguf OUT.json
#include <fer/model/gguf.hpp>

#include <cstdio>
#include <fstream>
#include <string>

namespace {

std::string json(const fer::GgufValue& v) {
    if (const auto* i = std::get_if<std::int64_t>(&v.value)) return std::to_string(*i);
    if (const auto* u = std::get_if<std::uint64_t>(&v.value)) return std::to_string(*u);
    if (const auto* d = std::get_if<double>(&v.value)) {
        char text[40];
        std::snprintf(text, sizeof text, "%.9g", *d);
        return text;
    }
    if (const auto* b = std::get_if<bool>(&v.value)) return *b ? "true" : "false";
    if (const auto* s = std::get_if<std::string>(&v.value))
        return "\"" + *s + "\"";  // plain ASCII here
    std::string out = "[";
    for (const fer::GgufValue& e : std::get<std::vector<fer::GgufValue>>(v.value))
        out += (out.size() > 1 ? ", " : "") + json(e);
    return out + "]";
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: %s OUT.gguf OUT.json\n", argv[0]);
        return 2;
    }
    try {
        fer::GgufWriter w;
        w.add_string("general.architecture", "fer");
        w.add_string("general.name", "interop sample");
        w.add_uint32("fer.input.size", 64);
        w.add_int32("fer.offset", -3);
        w.add_float32("fer.input.scale", 1.0f / 255.0f);
        w.add_bool("fer.flip", true);
        w.add_strings("fer.labels",
                      {"angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"});
        w.add_int32s("fer.layer.kernels", {3, 3, 1, 1});
        w.add_float32s("fer.activation.scales", {0.5f, 0.125f, 3.25f});
        std::vector<float> weights(3 * 3 * 8, 0.25f);
        std::vector<std::int8_t> quantized(37, -7);
        std::vector<std::int32_t> counts = {1, 2, 3};
        w.add_tensor("conv1.weight", {8, 1, 3, 3}, fer::GgufTensorType::f32, weights.data(),
                     weights.size() * 4);
        w.add_tensor("conv1.weight.q", {37}, fer::GgufTensorType::i8, quantized.data(),
                     quantized.size());
        w.add_tensor("counts", {3}, fer::GgufTensorType::i32, counts.data(), counts.size() * 4);
        fer::write_file(argv[1], w.bytes());

        const fer::GgufFile f = fer::GgufFile::load(argv[1]);
        std::string out = "{\"metadata\": {";
        bool first = true;
        for (const auto& [key, value] : f.metadata()) {
            out += std::string(first ? "" : ", ") + "\"" + key + "\": " + json(value);
            first = false;
        }
        out += "}, \"tensors\": [";
        for (std::size_t i = 0; i < f.tensors().size(); ++i) {
            const fer::GgufTensor& t = f.tensors()[i];
            std::string dims;
            for (std::int64_t d : t.dims) dims += (dims.empty() ? "" : ", ") + std::to_string(d);
            out += std::string(i ? ", " : "") + "{\"name\": \"" + t.name + "\", \"dims\": [" +
                   dims + "], \"type\": " + std::to_string(std::uint32_t(t.type)) +
                   ", \"offset\": " + std::to_string(t.offset) + "}";
        }
        out += "]}\n";
        std::ofstream(argv[2]) << out;
    } catch (const fer::error& e) {
        std::fprintf(stderr, "fer_gguf_interop: %s\n", e.what());
        return 1;
    }
    return 0;
}

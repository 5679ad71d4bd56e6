// fer_model_runner MODEL OUT_DIR IMAGE... - what fer computes for a model on face crops, written
// for the model parity checks (tests/model-parity/): OUT_DIR/pixels.f32 holds each crop resized
// to the model input (0-255 floats, HWC, before normalization), OUT_DIR/probabilities.f32 the
// model's outputs in its own label order (a model with several outputs: all of them, in order,
// each in HWC order, per image), OUT_DIR/meta.json the sizes. A reference framework
// then runs the original model on exactly the same pixels.
// fer_model_runner --layer-types - the layer types fer's model files may name, one per line (the
// converter's table must list the same: tests/converter/layer_types_check.sh).
#include <fer/fer.hpp>

#include <cstdio>
#include <string>
#include <vector>

int main(int argc, char** argv) {
    if (argc == 2 && std::string(argv[1]) == "--layer-types") {
        for (const std::string& type : fer::layer_file_types()) std::printf("%s\n", type.c_str());
        return 0;
    }
    if (argc < 4) {
        std::fprintf(stderr, "usage: fer_model_runner MODEL OUT_DIR IMAGE... | --layer-types\n");
        return 2;
    }
    try {
        const fer::Network net = fer::load_network(argv[1]);
        const std::string dir = argv[2];
        std::vector<float> pixels, probabilities;
        fer::Tensor face, input;
        fer::Network::Workspace ws;
        for (int i = 3; i < argc; ++i) {
            fer::face_pixels(fer::load_image(argv[i]), net.input().shape, false, face);
            pixels.insert(pixels.end(), face.data(), face.data() + face.size());
            input = face;
            fer::normalize_input(input.mutable_view(), net.input());
            net.forward(input, ws);
            for (std::size_t k = 0; k < net.output_nodes().size(); ++k) {
                const fer::Tensor& out = net.output(ws, k);
                probabilities.insert(probabilities.end(), out.data(), out.data() + out.size());
            }
        }
        auto bytes = [](const std::vector<float>& v) {
            const auto* p = reinterpret_cast<const std::uint8_t*>(v.data());
            return std::vector<std::uint8_t>(p, p + v.size() * sizeof(float));
        };
        fer::write_file(dir + "/pixels.f32", bytes(pixels));
        fer::write_file(dir + "/probabilities.f32", bytes(probabilities));
        const fer::Shape s = net.input().shape;
        const std::string meta =
            fer::detail::concat("{\"n\": ", argc - 3, ", \"height\": ", s.height,
                                ", \"width\": ", s.width, ", \"channels\": ", s.channels,
                                ", \"outputs\": ", probabilities.size() / (argc - 3), "}\n");
        fer::write_file(dir + "/meta.json", std::vector<std::uint8_t>(meta.begin(), meta.end()));
    } catch (const fer::error& e) {
        std::fprintf(stderr, "fer_model_runner: %s\n", e.what());
        return 1;
    }
    return 0;
}

// libFuzzer target: model files. Parse the GGUF container; an ensemble file has its members and
// combination read and checked; otherwise build the network (and, with four outputs, a BlazeFace
// detector on it), and when it loads run it once on a zero input in fp32 (and int8 where it has
// int8 weights): a file that passes the load-time checks must also be safe to run.
#include <fer/detect/blazeface.hpp>
#include <fer/ensemble.hpp>
#include <fer/model/model_file.hpp>
#include <fer/nn/network.hpp>

#include <cstddef>
#include <cstdint>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        const fer::GgufFile file =
            fer::GgufFile::parse(std::vector<std::uint8_t>(data, data + size));
        if (fer::is_ensemble(file)) {
            const fer::EnsembleFile ensemble = fer::read_ensemble(file);
            ensemble.combination.validate(ensemble.member_paths.size());
            return 0;
        }
        const fer::Network net = fer::load_network(file);
        if (net.output_nodes().size() == 4) fer::BlazeFaceDetector{net};  // its shape checks
        const fer::Shape in = net.input().shape;
        if (in.size() > 96 * 96 * 3) return 0;  // big inputs only slow the fuzzer down
        fer::Tensor input(in);
        fer::Network::Workspace ws;
        net.forward(input.view(), ws, fer::Precision::fp32);
        if (net.supports_int8()) net.forward(input.view(), ws, fer::Precision::int8);
    } catch (const fer::error&) {
    }
    return 0;
}

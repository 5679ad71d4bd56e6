#include <fer/model/model_file.hpp>
#include <fer/nn/calibrate.hpp>
#include "reference/reference_layers.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <random>
#include <thread>

#include "helpers.hpp"

namespace {

std::vector<float> random_values(std::size_t n, float scale) {
    std::vector<float> v(n);
    for (float& x : v) x = std::uniform_real_distribution<float>(-scale, scale)(test::rng());
    return v;
}

fer::Conv2D conv(int k, int stride, int cin, int cout, fer::Activation a) {
    fer::Conv2D c;
    c.kernel_h = c.kernel_w = k;
    c.stride_h = c.stride_w = stride;
    c.in_channels = cin, c.out_channels = cout, c.activation = a;
    c.weights = random_values(std::size_t(k) * k * cin * cout, 0.5f);
    c.bias = random_values(std::size_t(cout), 0.1f);
    return c;
}

// A small network with every layer kind and residual joins, shaped like the face models (node 9
// computes node 8, a 1x1 convolution, in its epilogue).
fer::Network small_network() {
    fer::Network net;
    net.set_input({fer::Shape{16, 16, 1}, 1.0f / 255.0f, {0.0f}});
    net.add(conv(3, 1, 1, 8, fer::Activation::relu), {-1});  // 0
    fer::DepthwiseConv2D dw;
    dw.channels = 8;
    dw.weights = random_values(9 * 8, 0.5f);
    dw.bias = random_values(8, 0.1f);
    net.add(dw, {0});                                        // 1
    net.add(conv(1, 1, 8, 16, fer::Activation::none), {1});  // 2
    fer::Pool2D pool;
    pool.kernel_h = pool.kernel_w = 3;
    pool.padding = fer::Padding::explicit_pads;
    pool.pads = {1, 0, 0, 1};
    net.add(pool, {2});                                         // 3: 8x8x16
    net.add(conv(1, 2, 8, 12, fer::Activation::none), {0});     // 4: the strided shortcut
    net.add(fer::ChannelPad{4}, {4});                           // 5: widened with zeros to 16
    net.add(fer::AddLayer{fer::Activation::none}, {3, 5, 5});   // 6: three-way join
    net.add(fer::ActivationLayer{fer::Activation::relu}, {6});  // 7
    net.add(conv(1, 1, 16, 16, fer::Activation::none), {7});    // 8
    net.add(fer::AddLayer{fer::Activation::relu}, {8, 7});      // 9
    net.add(conv(3, 1, 16, 7, fer::Activation::none), {9});     // 10
    net.add(fer::GlobalAveragePool{}, {10});                    // 11
    net.add(fer::SoftmaxLayer{}, {11});                         // 12
    net.labels = {"angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"};
    net.info["name"] = "test network";
    return net;
}

fer::Tensor random_input(const fer::Shape& s) {
    fer::Tensor t(s);
    for (std::int64_t i = 0; i < t.size(); ++i)
        t.data()[i] = std::uniform_real_distribution<float>(0.0f, 1.0f)(test::rng());
    return t;
}

fer::Tensor to_tensor(const fer::reference::ReferenceResult& r) {
    fer::Tensor t(r.shape);
    for (std::size_t i = 0; i < r.values.size(); ++i) t.data()[i] = float(r.values[i]);
    return t;
}

// The network's graph run node by node with the plain-loop references: every node's output.
std::vector<fer::Tensor> reference_outputs(const fer::Network& net, const fer::Tensor& input) {
    std::vector<fer::Tensor> ref;
    const auto& nodes = net.nodes();
    auto in = [&](int i) -> fer::TensorView {
        return i < 0 ? input.view() : ref[std::size_t(i)].view();
    };
    for (const fer::Network::Node& node : nodes) {
        if (auto* c = std::get_if<fer::Conv2D>(&node.layer))
            ref.push_back(to_tensor(fer::reference::conv2d_reference(*c, in(node.inputs[0]))));
        else if (auto* d = std::get_if<fer::DepthwiseConv2D>(&node.layer))
            ref.push_back(to_tensor(fer::reference::depthwise_reference(*d, in(node.inputs[0]))));
        else if (auto* p = std::get_if<fer::Pool2D>(&node.layer))
            ref.push_back(to_tensor(fer::reference::pool_reference(*p, in(node.inputs[0]))));
        else if (std::holds_alternative<fer::GlobalAveragePool>(node.layer))
            ref.push_back(
                to_tensor(fer::reference::global_average_pool_reference(in(node.inputs[0]))));
        else if (auto* pad = std::get_if<fer::ChannelPad>(&node.layer))
            ref.push_back(
                to_tensor(fer::reference::channel_pad_reference(*pad, in(node.inputs[0]))));
        else if (auto* add = std::get_if<fer::AddLayer>(&node.layer)) {
            fer::Tensor t(node.output);
            for (std::int64_t i = 0; i < t.size(); ++i) {
                double sum = 0;
                for (int source : node.inputs) sum += in(source).data[i];
                t.data()[i] = float(fer::reference::reference_activate(sum, add->activation));
            }
            ref.push_back(std::move(t));
        } else if (std::holds_alternative<fer::ActivationLayer>(node.layer)) {
            fer::Tensor t(node.output);
            for (std::int64_t i = 0; i < t.size(); ++i)
                t.data()[i] = std::max(0.0f, in(node.inputs[0]).data[i]);
            ref.push_back(std::move(t));
        } else {  // softmax from its definition
            fer::Tensor t(node.output);
            double total = 0;
            for (int i = 0; i < 7; ++i) total += std::exp(double(in(node.inputs[0]).data[i]));
            for (int i = 0; i < 7; ++i)
                t.data()[i] = float(std::exp(double(in(node.inputs[0]).data[i])) / total);
            ref.push_back(std::move(t));
        }
    }
    return ref;
}

}  // namespace

TEST_CASE("a network's forward pass equals its layers run one by one with the references") {
    INFO("seed ", test::seed());
    const fer::Network net = small_network();
    CHECK(net.output_shape() == fer::Shape{1, 1, 7});
    const fer::Tensor input = random_input(net.input().shape);
    fer::Network::Workspace ws;
    const fer::Tensor& out = net.forward(input, ws);

    // The same graph, node by node, with the plain-loop references.
    const std::vector<fer::Tensor> ref = reference_outputs(net, input);
    const auto& nodes = net.nodes();
    for (int i = 0; i < 7; ++i)
        CHECK(out.data()[i] == doctest::Approx(ref.back().data()[i]).epsilon(1e-4));
    // Workspace reuse gives the same answer.
    const std::vector<float> first(out.data(), out.data() + 7);
    CHECK(std::equal(first.begin(), first.end(), net.forward(input, ws).data()));
    // Outputs share buffers by lifetime: while node m runs, its inputs still hold their values.
    std::int64_t every_output = 0;
    for (const fer::Network::Node& node : nodes) every_output += node.output.size();
    CHECK(net.activation_floats() < every_output);
    auto same_as_reference = [&](std::size_t n) {
        const fer::Tensor& got = net.node_output(ws, n);
        REQUIRE(got.shape() == ref[n].shape());
        for (std::int64_t i = 0; i < got.size(); ++i)
            if (got.data()[i] != doctest::Approx(ref[n].data()[i]).epsilon(1e-4).scale(1.0))
                return false;
        return true;
    };
    int checked = 0;
    net.forward(input, ws, fer::Precision::fp32, [&](std::size_t m) {
        // Node 8 never holds its output: node 9 computes it in its epilogue.
        for (int i : nodes[m].inputs)
            if (i >= 0 && i != 8)
                CHECK_MESSAGE(same_as_reference(std::size_t(i)), "input ", i, " of ", m);
        if (m != 8) CHECK_MESSAGE(same_as_reference(m), "node ", m);
        ++checked;
    });
    CHECK(checked == int(nodes.size()));
    // A convolution an add would compute in its epilogue, named an output, is written out.
    fer::Network two_outputs = net;
    two_outputs.set_outputs({8, 12});
    two_outputs.forward(input, ws);
    const fer::Tensor& conv_out = two_outputs.output(ws, 0);
    REQUIRE(conv_out.shape() == ref[8].shape());
    for (std::int64_t i = 0; i < conv_out.size(); ++i)
        CHECK(conv_out.data()[i] == doctest::Approx(ref[8].data()[i]).epsilon(1e-4));
}

TEST_CASE("a dense block's adds run in its convolutions' epilogues, with the same answers") {
    INFO("seed ", test::seed());
    fer::Network net;
    net.set_input({fer::Shape{12, 12, 3}, 1.0f / 255.0f, {0.0f, 0.0f, 0.0f}});
    auto separable = [&](int source) {
        fer::DepthwiseConv2D dw;
        dw.channels = 64;
        dw.weights = random_values(9 * 64, 0.5f);
        dw.bias = random_values(64, 0.1f);
        net.add(dw, {source});
        // 64 deep: deep enough for an int8 form.
        net.add(conv(1, 1, 64, 64, fer::Activation::none), {int(net.nodes().size()) - 1});
        return int(net.nodes().size()) - 1;
    };
    const auto relu = fer::AddLayer{fer::Activation::relu};
    // face-api's dense block: relu(a + b), relu(a + b + c), relu(a + b + c + d).
    net.add(conv(3, 1, 3, 64, fer::Activation::relu), {-1});  // 0: a
    const int b = separable(0);                               // 1, 2
    net.add(relu, {0, b});                                    // 3
    const int c = separable(3);                               // 4, 5
    net.add(relu, {b, 0, c});                                 // 6: inputs in any order
    const int d = separable(6);                               // 7, 8
    net.add(relu, {0, b, c, d});                              // 9
    // The same shape of chain, but its second convolution is also read elsewhere: no fusion.
    const int e = separable(9);                                 // 10, 11
    net.add(relu, {9, e});                                      // 12
    const int f = separable(12);                                // 13, 14
    net.add(relu, {9, e, f});                                   // 15
    net.add(fer::ActivationLayer{fer::Activation::relu}, {f});  // 16
    net.add(fer::AddLayer{fer::Activation::none}, {15, 16});    // 17
    net.add(conv(3, 1, 64, 7, fer::Activation::none), {17});    // 18
    net.add(fer::GlobalAveragePool{}, {18});                    // 19
    net.add(fer::SoftmaxLayer{}, {19});                         // 20
    // Epilogues need the packed kernels (a vector CPU; not FER_NO_SIMD builds).
    const bool fuses =
        std::get<fer::Conv2D>(net.nodes()[2].layer).fuses_residual(fer::Precision::fp32);
    if (!fuses) MESSAGE("no packed kernels here: the adds run as nodes");
    for (std::size_t n = 0; n < net.nodes().size(); ++n) {
        const int by = !fuses ? -1 : n == 2 ? 3 : n == 5 ? 6 : n == 8 ? 9 : -1;
        CHECK_MESSAGE(net.computed_by(n) == by, "node ", n);
    }
    net.labels = {"angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"};

    fer::Network::Workspace ws;
    for (int trial = 0; trial < 3; ++trial) {
        const fer::Tensor input = random_input(net.input().shape);
        const std::vector<fer::Tensor> ref = reference_outputs(net, input);
        int checked = 0;
        const fer::Tensor& out = net.forward(input, ws, fer::Precision::fp32, [&](std::size_t m) {
            if (net.computed_by(m) >= 0) return;
            const fer::Tensor& got = net.node_output(ws, m);
            REQUIRE(got.shape() == ref[m].shape());
            double worst = 0;
            for (std::int64_t i = 0; i < got.size(); ++i)
                worst = std::max(worst, double(std::abs(got.data()[i] - ref[m].data()[i])) /
                                            (1.0 + std::abs(ref[m].data()[i])));
            // Float sums against a double reference: the last 3x3 layer's 576-term sums of the
            // chain's growing values reach 1.03e-4 (FER_TEST_SEED=218669742); a wrong epilogue is
            // off by whole units.
            CHECK_MESSAGE(worst < 3e-4, "node ", m);
            ++checked;
        });
        CHECK(checked == int(net.nodes().size()) - (fuses ? 3 : 0));
        for (int i = 0; i < 7; ++i)
            CHECK(out.data()[i] == doctest::Approx(ref.back().data()[i]).epsilon(1e-4));
    }

    // With int8 convolutions the chain runs node by node, in the same buffers: the same bits as
    // a network whose chain cannot fuse (its first convolution is also an output).
    const fer::Network quantized =
        fer::load_network(fer::GgufFile::parse(fer::save_network(net, true), "dense-int8.gguf"));
    fer::Network unfused = quantized;
    unfused.set_outputs({20, 2});
    CHECK(quantized.computed_by(2, fer::Precision::fp32) == (fuses ? 3 : -1));
    CHECK(quantized.computed_by(2, fer::Precision::int8) == -1);
    CHECK(unfused.computed_by(2, fer::Precision::fp32) == -1);
    const fer::Tensor input = random_input(net.input().shape);
    fer::Network::Workspace ws_unfused;
    for (fer::Precision precision : {fer::Precision::int8, fer::Precision::fp32}) {
        const std::vector<float> got(quantized.forward(input, ws, precision).data(),
                                     quantized.forward(input, ws, precision).data() + 7);
        const fer::Tensor& want = unfused.forward(input, ws_unfused, precision);
        for (int i = 0; i < 7; ++i)
            if (precision == fer::Precision::int8)
                CHECK(got[std::size_t(i)] == want.data()[i]);
            else
                CHECK(got[std::size_t(i)] == doctest::Approx(want.data()[i]).epsilon(1e-5));
    }
}

TEST_CASE("model files: fp32 round trip is exact, int8 stays close, threads agree") {
    INFO("seed ", test::seed());
    const fer::Network net = small_network();
    const fer::Network loaded =
        fer::load_network(fer::GgufFile::parse(fer::save_network(net), "net.gguf"));
    CHECK(loaded.labels == net.labels);
    CHECK(loaded.info == net.info);
    CHECK(loaded.nodes().size() == net.nodes().size());
    const fer::Network quantized =
        fer::load_network(fer::GgufFile::parse(fer::save_network(net, true), "net-int8.gguf"));
    fer::Network::Workspace a, b, c;
    double worst_int8 = 0;
    for (int trial = 0; trial < 10; ++trial) {
        const fer::Tensor input = random_input(net.input().shape);
        const fer::Tensor& x = net.forward(input, a);
        const fer::Tensor& y = loaded.forward(input, b);
        CHECK(std::equal(x.data(), x.data() + 7, y.data()));
        const fer::Tensor& z = quantized.forward(input, c);
        for (int i = 0; i < 7; ++i)
            worst_int8 = std::max(worst_int8, double(std::abs(x.data()[i] - z.data()[i])));
    }
    MESSAGE("largest probability difference, int8 weights vs fp32: ", worst_int8);
    CHECK(worst_int8 < 0.02);

    const fer::Tensor input = random_input(net.input().shape);
    const std::vector<float> expected(net.forward(input, a).data(),
                                      net.forward(input, a).data() + 7);
    std::vector<int> mismatches(3, 0);
    std::vector<std::thread> threads;
    for (int t = 0; t < 3; ++t)
        threads.emplace_back([&, t] {
            fer::Network::Workspace mine;
            for (int r = 0; r < 20; ++r) {
                const fer::Tensor& out = loaded.forward(input, mine);
                mismatches[std::size_t(t)] +=
                    !std::equal(expected.begin(), expected.end(), out.data());
            }
        });
    for (std::thread& t : threads) t.join();
    for (int m : mismatches) CHECK(m == 0);
}

TEST_CASE("several outputs: named nodes, kept through the model file, hostile lists refused") {
    INFO("seed ", test::seed());
    fer::Network net = small_network();
    net.labels.clear();        // a network with several outputs (a detector's heads) has no labels
    net.set_outputs({10, 5});  // the 8x8x7 map and the widened shortcut
    CHECK(net.output_nodes() == std::vector<int>{10, 5});
    CHECK(net.output_shape() == fer::Shape{8, 8, 7});
    const fer::Network loaded =
        fer::load_network(fer::GgufFile::parse(fer::save_network(net), "heads.gguf"));
    CHECK(loaded.output_nodes() == std::vector<int>{10, 5});
    fer::Network::Workspace a, b;
    const fer::Tensor input = random_input(net.input().shape);
    const fer::Tensor& first = loaded.forward(input, b);
    CHECK(&first == &loaded.output(b, 0));
    net.forward(input, a);
    for (std::size_t k = 0; k < 2; ++k) {
        const fer::Tensor& x = net.output(a, k);
        const fer::Tensor& y = loaded.output(b, k);
        REQUIRE(x.shape() == y.shape());
        CHECK(x.shape() == net.nodes()[std::size_t(net.output_nodes()[k])].output);
        CHECK(std::equal(x.data(), x.data() + x.size(), y.data()));
    }
    CHECK_THROWS_AS(net.set_outputs({}), fer::error);
    CHECK_THROWS_AS(net.set_outputs({13}), fer::error);
    CHECK_THROWS_AS(net.set_outputs({-1}), fer::error);
    CHECK_THROWS_AS(net.set_outputs({3, 3}), fer::error);

    // Hand-made files (a 3x3 convolution to one value, then a ReLU): indices out of range,
    // repeated or of the wrong type, an empty list, labels with several outputs.
    auto two_layers = [](const std::function<void(fer::GgufWriter&)>& outputs,
                         const std::vector<std::string>& labels) {
        fer::GgufWriter w;
        w.add_string("general.architecture", "fer");
        w.add_uint32("fer.input.height", 3);
        w.add_uint32("fer.input.width", 3);
        w.add_uint32("fer.input.channels", 1);
        w.add_float32("fer.input.scale", 1.0f);
        w.add_float32s("fer.input.offset", {0.0f});
        w.add_strings("fer.labels", labels);
        w.add_uint32("fer.layer_count", 2);
        w.add_int32s("fer.layer.0.inputs", {-1});
        w.add_string("fer.layer.0.type", "conv2d");
        w.add_int32s("fer.layer.0.kernel", {3, 3});
        w.add_int32s("fer.layer.0.stride", {1, 1});
        w.add_string("fer.layer.0.padding", "valid");
        w.add_string("fer.layer.0.activation", "none");
        w.add_uint32("fer.layer.0.outputs", 1);
        w.add_int32s("fer.layer.1.inputs", {0});
        w.add_string("fer.layer.1.type", "activation");
        w.add_string("fer.layer.1.activation", "relu");
        outputs(w);
        const std::vector<float> weights(9, 0.1f), bias(1, 0.0f);
        w.add_tensor("layer.0.weight", {1, 1, 3, 3}, fer::GgufTensorType::f32, weights.data(), 36);
        w.add_tensor("layer.0.bias", {1}, fer::GgufTensorType::f32, bias.data(), 4);
        return fer::GgufFile::parse(w.bytes(), "heads.gguf");
    };
    const auto outputs_key = [](std::vector<std::int32_t> v) {
        return [v](fer::GgufWriter& w) { w.add_int32s("fer.outputs", v); };
    };
    CHECK(fer::load_network(two_layers(outputs_key({1, 0}), {})).output_nodes() ==
          std::vector<int>{1, 0});
    CHECK(fer::load_network(two_layers([](fer::GgufWriter&) {}, {"a"})).output_nodes() ==
          std::vector<int>{1});
    CHECK_THROWS_WITH_AS(fer::load_network(two_layers(outputs_key({1, 2}), {})),
                         doctest::Contains("fer.outputs"), fer::error);
    CHECK_THROWS_WITH_AS(fer::load_network(two_layers(outputs_key({0, 0}), {})),
                         doctest::Contains("twice"), fer::error);
    CHECK_THROWS_WITH_AS(fer::load_network(two_layers(outputs_key({}), {})),
                         doctest::Contains("fer.outputs"), fer::error);
    CHECK_THROWS_WITH_AS(fer::load_network(two_layers(
                             [](fer::GgufWriter& w) { w.add_strings("fer.outputs", {"1"}); }, {})),
                         doctest::Contains("fer.outputs"), fer::error);
    CHECK_THROWS_WITH_AS(fer::load_network(two_layers(outputs_key({1, 0}), {"a"})),
                         doctest::Contains("none for several outputs"), fer::error);
    CHECK_THROWS_WITH_AS(fer::load_network(two_layers(outputs_key({0}), {})),
                         doctest::Contains("fer.labels"), fer::error);
}

TEST_CASE("network inputs: per-channel offsets are checked") {
    fer::Network net;
    CHECK_THROWS_WITH_AS(net.set_input({fer::Shape{8, 8, 3}, 1.0f, {0.0f}}),
                         doctest::Contains("one per channel"), fer::error);
    CHECK_THROWS_WITH_AS(net.set_input({fer::Shape{8, 8, 2}, 1.0f, {0.0f, 0.0f}}),
                         doctest::Contains("1 (gray) or 3 (RGB)"), fer::error);
    CHECK_THROWS_AS(net.set_input({fer::Shape{8, 8, 1}, 0.0f, {0.0f}}), fer::error);
    CHECK_THROWS_AS(net.set_input({fer::Shape{8, 8, 1}, 1.0f, {NAN}}), fer::error);
    CHECK_NOTHROW(net.set_input({fer::Shape{8, 8, 3}, 1.0f / 255, {-0.48f, -0.46f, -0.41f}}));
}

TEST_CASE("broken model files give fer::error naming what is wrong") {
    const std::vector<std::uint8_t> good = fer::save_network(small_network());
    int accepted = 0;
    // Truncations throughout the file (the last 32 bytes may be alignment padding only).
    for (std::size_t n = 0; n + 32 < good.size(); n += 97) {
        try {
            fer::load_network(fer::GgufFile::parse(
                std::vector<std::uint8_t>(good.begin(), good.begin() + long(n))));
            ++accepted;
        } catch (const fer::error&) {
        }
    }
    CHECK(accepted == 0);

    // Hand-made files: wrong architecture, bad padding, a forward reference, wrong tensor shape.
    auto file_with = [](const std::string& key, const std::string& value) {
        fer::GgufWriter w;
        w.add_string("general.architecture", key == "general.architecture" ? value : "fer");
        w.add_uint32("fer.input.height", 3);  // a VALID 3x3 convolution makes one output
        w.add_uint32("fer.input.width", 3);
        w.add_uint32("fer.input.channels", 1);
        w.add_float32("fer.input.scale", 1.0f);
        w.add_float32s("fer.input.offset",
                       key == "offset" ? std::vector<float>{0.0f, 1.0f} : std::vector<float>{0.0f});
        w.add_strings("fer.labels", {"a"});
        w.add_uint32("fer.layer_count", 1);
        w.add_int32s("fer.layer.0.inputs", {key == "inputs" ? 0 : -1});
        w.add_string("fer.layer.0.type", "conv2d");
        w.add_int32s("fer.layer.0.kernel", {3, 3});
        w.add_int32s("fer.layer.0.stride", {1, 1});
        w.add_string("fer.layer.0.padding", key == "padding" ? value : "valid");
        if (key == "pads") w.add_int32s("fer.layer.0.pads", {std::stoi(value), 0, 0, 0});
        if (key == "input_scale") w.add_float32("fer.layer.0.input_scale", 0.01f);
        const std::vector<std::int8_t> int8_weights(
            9, key == "int8" ? std::int8_t(std::stoi(value)) : std::int8_t(1));
        const float weight_scale = 0.1f;
        w.add_string("fer.layer.0.activation", "none");
        w.add_uint32("fer.layer.0.outputs", 1);
        const std::vector<float> weights(key == "weights" ? 8 : 9, 0.1f), bias(1, 0.0f);
        if (key == "int8") {
            w.add_tensor("layer.0.weight", {1, 1, 3, 3}, fer::GgufTensorType::i8,
                         int8_weights.data(), 9);
            w.add_tensor("layer.0.weight_scale", {1}, fer::GgufTensorType::f32, &weight_scale, 4);
        } else {
            w.add_tensor("layer.0.weight", {1, 1, 3, key == "weights" ? 2 : 3},
                         fer::GgufTensorType::f32, weights.data(), weights.size() * 4);
        }
        w.add_tensor("layer.0.bias", {1}, fer::GgufTensorType::f32, bias.data(), 4);
        return fer::GgufFile::parse(w.bytes(), "hand.gguf");
    };
    CHECK_NOTHROW(fer::load_network(file_with("", "")));  // the unaltered file is fine
    CHECK_THROWS_WITH_AS(fer::load_network(file_with("general.architecture", "llama")),
                         doctest::Contains("expected 'fer'"), fer::error);
    CHECK_THROWS_WITH_AS(fer::load_network(file_with("padding", "full")),
                         doctest::Contains("'same', 'valid' or 'explicit'"), fer::error);
    CHECK_THROWS_WITH_AS(fer::load_network(file_with("inputs", "")),
                         doctest::Contains("integers from -1 to -1"), fer::error);
    CHECK_THROWS_WITH_AS(fer::load_network(file_with("padding", "explicit")),
                         doctest::Contains("fer.layer.0.pads"), fer::error);  // no pads key
    CHECK_THROWS_WITH_AS(fer::load_network(file_with("offset", "")),
                         doctest::Contains("one per channel"), fer::error);
    // Files from before int8 arithmetic took a scale per row hold a per-tensor input_scale,
    // now ignored: such a file loads as it did, and only int8 weights give an int8 form.
    CHECK_FALSE(fer::load_network(file_with("input_scale", "")).supports_int8());
    CHECK(fer::load_network(file_with("int8", "-127")).supports_int8());
    CHECK_THROWS_WITH_AS(fer::load_network(file_with("int8", "-128")),
                         doctest::Contains("layer 0: int8 convolution weight"), fer::error);
    CHECK_THROWS_WITH_AS(fer::load_network(file_with("weights", "")),
                         doctest::Contains("dimensions: expected 1x1x3x3, found 1x1x3x2"),
                         fer::error);
}

TEST_CASE("int8 arithmetic: calibrated networks stay close to fp32 and survive the model file") {
    INFO("seed ", test::seed());
    fer::Network net = small_network();
    fer::Network::Workspace ws;
    const fer::Tensor probe = random_input(net.input().shape);
    CHECK_FALSE(net.supports_int8());
    CHECK_THROWS_WITH_AS(net.forward(probe, ws, fer::Precision::int8),
                         doctest::Contains("int8 weights for its convolutions"), fer::error);
    std::vector<fer::Tensor> samples;
    for (int i = 0; i < 20; ++i) samples.push_back(random_input(net.input().shape));
    fer::calibrate_int8(net, samples);
    CHECK(net.supports_int8());
    // The 3x3 convolution on the one-channel input (9 multiply-adds per output) stays fp32.
    const auto int8_form = [](const fer::Network& n, std::size_t node) {
        return std::get<fer::Conv2D>(n.nodes()[node].layer).int8;
    };
    CHECK(int8_form(net, 0) == nullptr);
    CHECK(int8_form(net, 10) != nullptr);

    const fer::Network loaded =
        fer::load_network(fer::GgufFile::parse(fer::save_network(net, true), "int8.gguf"));
    CHECK(loaded.supports_int8());
    CHECK(int8_form(loaded, 10)->quantized().values == int8_form(net, 10)->quantized().values);
    fer::Network::Workspace ws2;
    double worst = 0;
    for (int trial = 0; trial < 10; ++trial) {
        const fer::Tensor input = random_input(net.input().shape);
        const std::vector<float> fp32(net.forward(input, ws).data(),
                                      net.forward(input, ws).data() + 7);
        const fer::Tensor& int8 = net.forward(input, ws, fer::Precision::int8);
        const fer::Tensor& reloaded = loaded.forward(input, ws2, fer::Precision::int8);
        for (int i = 0; i < 7; ++i) {
            // The file holds the same int8 forms; only the fp32 layers' weights are rounded to
            // int8 on the way, which moves probabilities by far less than the int8 arithmetic.
            CHECK(reloaded.data()[i] == doctest::Approx(int8.data()[i]).epsilon(0.01));
            worst = std::max(worst, double(std::abs(int8.data()[i] - fp32[std::size_t(i)])));
        }
    }
    MESSAGE("largest probability difference, int8 arithmetic vs fp32: ", worst);
    CHECK(worst < 0.05);
}

TEST_CASE(
    "int8 calibration evens out depthwise -> convolution channels: same function, less "
    "int8 error") {
    INFO("seed ", test::seed());
    // A depthwise layer whose 80 channels span four orders of magnitude feeding a 1x1
    // convolution computed in int8 whose weights make up for it, so that every channel matters
    // (as in trained networks after batchnorm folding): one activation scale for a pixel's 80
    // channels rounds the narrow ones away.
    constexpr std::size_t channels = 80;  // deep enough for an int8 form (min_int8_depth)
    auto channel_gain = [](std::size_t c) { return float(std::pow(10.0, double(c) / 20.0)); };
    fer::Network net;
    net.set_input({fer::Shape{12, 12, 3}, 1.0f / 255.0f, {0.0f, 0.0f, 0.0f}});
    net.add(conv(3, 1, 3, int(channels), fer::Activation::relu), {-1});  // 0: stays fp32
    fer::DepthwiseConv2D dw;
    dw.channels = int(channels);
    dw.padding = fer::Padding::same;
    dw.weights = random_values(9 * channels, 0.5f);
    dw.bias = random_values(channels, 0.1f);
    for (std::size_t i = 0; i < dw.weights.size(); ++i) dw.weights[i] *= channel_gain(i % channels);
    for (std::size_t c = 0; c < channels; ++c) dw.bias[c] *= channel_gain(c);
    net.add(dw, {0});  // 1
    fer::Conv2D pointwise = conv(1, 1, int(channels), 16, fer::Activation::relu);
    for (std::size_t i = 0; i < pointwise.weights.size(); ++i)
        pointwise.weights[i] /= channel_gain(i / 16);
    net.add(pointwise, {1});                 // 2: int8
    net.add(fer::GlobalAveragePool{}, {2});  // 3
    std::vector<fer::Tensor> samples;
    for (int i = 0; i < 20; ++i) samples.push_back(random_input(net.input().shape));

    fer::Network equalized = net;
    fer::detail::equalize_depthwise_pairs(equalized, samples);
    // The same function in fp32, up to float rounding: an output sums 80 terms spanning four
    // decades, some of which cancel, so its rounding error is relative to the largest outputs,
    // not to itself.
    fer::Network::Workspace ws, ws2;
    for (const fer::Tensor& s : samples) {
        const fer::Tensor& a = net.forward(s, ws);
        const fer::Tensor& b = equalized.forward(s, ws2);
        float largest = 0.0f;
        for (std::int64_t i = 0; i < a.size(); ++i)
            largest = std::max(largest, std::abs(a.data()[i]));
        for (std::int64_t i = 0; i < a.size(); ++i)
            CHECK(std::abs(b.data()[i] - a.data()[i]) <= 1e-4f * largest);
    }
    // Each channel's range now equals the range of the weights that read it.
    const auto& layer = std::get<fer::Conv2D>(equalized.nodes()[2].layer);
    std::vector<float> input_range(channels, 0.0f), weight_range(channels, 0.0f);
    for (const fer::Tensor& s : samples) {
        equalized.forward(s, ws2, fer::Precision::fp32, [&](std::size_t n) {
            if (n != 2) return;  // node 1's output, read by node 2
            const fer::Tensor& x = equalized.node_output(ws2, 1);
            for (std::int64_t i = 0; i < x.size(); ++i)
                input_range[std::size_t(i) % channels] =
                    std::max(input_range[std::size_t(i) % channels], std::abs(x.data()[i]));
        });
    }
    for (std::size_t i = 0; i < layer.weights.size(); ++i)
        weight_range[i / 16] = std::max(weight_range[i / 16], std::abs(layer.weights[i]));
    for (std::size_t c = 0; c < channels; ++c)
        CHECK(input_range[c] == doctest::Approx(weight_range[c]).epsilon(1e-3));

    // Calibrated with and without: the int8 arithmetic's error against fp32 shrinks.
    fer::Network plain = net;
    equalized = net;
    fer::calibrate_int8(plain, samples, false);
    fer::calibrate_int8(equalized, samples, true);
    double error_plain = 0, error_equalized = 0;
    for (int trial = 0; trial < 20; ++trial) {
        const fer::Tensor input = random_input(net.input().shape);
        const fer::Tensor exact = net.forward(input, ws);
        const fer::Tensor& p = plain.forward(input, ws2, fer::Precision::int8);
        for (std::int64_t i = 0; i < exact.size(); ++i)
            error_plain += std::abs(double(p.data()[i]) - exact.data()[i]);
        const fer::Tensor& e = equalized.forward(input, ws2, fer::Precision::int8);
        for (std::int64_t i = 0; i < exact.size(); ++i)
            error_equalized += std::abs(double(e.data()[i]) - exact.data()[i]);
    }
    MESSAGE("int8 error, sum over 20 inputs: ", error_plain, " plain, ", error_equalized,
            " equalized");
    CHECK(error_equalized < 0.25 * error_plain);  // 0.001-0.02 seen over 100 random networks
}

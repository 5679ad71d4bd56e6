// Ensemble files: they load, refuse hostile content, and combine the models as documented; the
// shipped level files too.
#include <fer/classifier.hpp>
#include <fer/default_model.hpp>
#include <fer/file.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

// A folder holding the shipped model and an ensemble file naming it twice.
struct EnsembleFolder {
    fs::path dir =
        fs::temp_directory_path() / ("fer-ensemble-" + std::to_string(std::random_device{}()));
    EnsembleFolder() {
        fs::create_directories(dir);
        fs::copy_file(fer::shipped_model_path("human-emotion-int8.gguf"), dir / "model.gguf");
    }
    ~EnsembleFolder() { fs::remove_all(dir); }
    std::string write(const std::string& name, const std::vector<std::uint8_t>& bytes) const {
        fer::write_file((dir / name).string(), bytes);
        return (dir / name).string();
    }
};

fer::Image random_face(std::mt19937& rng, int w, int h) {
    fer::Image face(w, h, fer::PixelFormat::rgb);
    std::uniform_int_distribution<int> v(0, 255);
    for (int i = 0; i < face.stride() * h; ++i) face.data()[i] = std::uint8_t(v(rng));
    return face;
}

}  // namespace

TEST_CASE("an ensemble file gives the stored combination of its models") {
    const EnsembleFolder folder;
    fer::Combination c;
    c.weights = {0.25f, 0.75f};
    c.mirrored = {false, true};
    c.class_bias = {0.3f, -0.2f, 0.1f, 0.0f, -0.4f, 0.2f, 0.0f};
    c.temperature = 1.4f;
    const std::string path =
        folder.write("e.gguf", fer::save_ensemble({"model.gguf", "model.gguf"}, c));
    const fer::ExpressionClassifier ensemble = fer::ExpressionClassifier::load({path});
    const fer::ExpressionClassifier single =
        fer::ExpressionClassifier::load({(folder.dir / "model.gguf").string()});
    CHECK(ensemble.models().size() == 2);
    std::mt19937 rng(std::random_device{}());
    fer::ExpressionClassifier::Workspace ws;
    for (int trial = 0; trial < 3; ++trial) {
        const fer::Image face = random_face(rng, 37 + trial, 41);
        const fer::Probabilities plain = single.classify(face.view(), ws, false);
        const fer::Probabilities mirrored = single.classify(face.view(), ws, true);
        // By hand: the weighted mixture, then softmax((log + bias) / temperature).
        double logits[fer::expression_count], top = -1e300, total = 0;
        for (int k = 0; k < fer::expression_count; ++k) {
            const double mix = 0.25 * plain[k] + 0.75 * mirrored[k];
            logits[k] = (std::log(mix) + c.class_bias[k]) / c.temperature;
            top = std::max(top, logits[k]);
        }
        for (double& l : logits) total += (l = std::exp(l - top));
        const fer::Probabilities got = ensemble.classify(face.view(), ws);
        for (int k = 0; k < fer::expression_count; ++k)
            CHECK(got[k] == doctest::Approx(logits[k] / total).epsilon(1e-5));
        // The temperature never changes the top label.
        fer::Combination cold = c;
        cold.temperature = 1.0f;
        const fer::ExpressionClassifier uncalibrated(ensemble.models(), fer::Precision::fp32, cold);
        CHECK(fer::top_expression(uncalibrated.classify(face.view(), ws)) ==
              fer::top_expression(got));
    }
}

TEST_CASE("hostile ensemble files are refused with a reason") {
    const EnsembleFolder folder;
    fer::Combination good;
    const auto load = [&](const std::string& path) {
        return fer::ExpressionClassifier::load({path});
    };
    // Names that would reach outside the folder, or nothing.
    for (const char* name : {"../model.gguf", "/etc/passwd", "a\\b.gguf", "..", ""})
        CHECK_THROWS_AS(fer::save_ensemble({name}, good), fer::error);
    fer::GgufWriter w;
    w.add_string("general.architecture", fer::ensemble_architecture);
    w.add_strings("fer.ensemble.members", {"../model.gguf"});
    w.add_float32s("fer.ensemble.weights", {1.0f});
    w.add_int32s("fer.ensemble.flip", {0});
    w.add_float32s("fer.ensemble.class_bias", std::vector<float>(7, 0.0f));
    w.add_float32("fer.ensemble.temperature", 1.0f);
    CHECK_THROWS_WITH_AS(load(folder.write("escape.gguf", w.bytes())),
                         doctest::Contains("plain file names"), fer::error);

    const auto with = [&](std::vector<float> weights, std::vector<std::int32_t> flips,
                          std::vector<float> bias, float t) {
        fer::GgufWriter f;
        f.add_string("general.architecture", fer::ensemble_architecture);
        f.add_strings("fer.ensemble.members", {"model.gguf"});
        f.add_float32s("fer.ensemble.weights", weights);
        f.add_int32s("fer.ensemble.flip", flips);
        f.add_float32s("fer.ensemble.class_bias", bias);
        f.add_float32("fer.ensemble.temperature", t);
        return folder.write("h.gguf", f.bytes());
    };
    const std::vector<float> zero(7, 0.0f);
    CHECK_NOTHROW(load(with({1.0f}, {0}, zero, 1.0f)));
    CHECK_THROWS_AS(load(with({1.0f, 1.0f}, {0}, zero, 1.0f)), fer::error);  // counts
    CHECK_THROWS_AS(load(with({-1.0f}, {0}, zero, 1.0f)), fer::error);       // negative
    CHECK_THROWS_AS(load(with({0.0f}, {0}, zero, 1.0f)), fer::error);        // all zero
    CHECK_THROWS_AS(load(with({NAN}, {0}, zero, 1.0f)), fer::error);         // NaN
    CHECK_THROWS_AS(load(with({1.0f}, {2}, zero, 1.0f)), fer::error);        // flip
    CHECK_THROWS_AS(load(with({1.0f}, {0}, std::vector<float>(6, 0.0f), 1.0f)), fer::error);
    CHECK_THROWS_AS(load(with({1.0f}, {0}, std::vector<float>(7, INFINITY), 1.0f)), fer::error);
    CHECK_THROWS_AS(load(with({1.0f}, {0}, zero, 0.0f)), fer::error);  // temperature
    CHECK_THROWS_AS(load(with({1.0f}, {0}, zero, NAN)), fer::error);
    // A missing member, an ensemble among members, an ensemble named with other files.
    fer::Combination one;
    CHECK_THROWS_AS(load(folder.write("m.gguf", fer::save_ensemble({"absent.gguf"}, one))),
                    fer::error);
    const std::string inner = folder.write("inner.gguf", fer::save_ensemble({"model.gguf"}, one));
    CHECK_THROWS_AS(load(folder.write("outer.gguf", fer::save_ensemble({"inner.gguf"}, one))),
                    fer::error);
    CHECK_THROWS_WITH_AS(
        fer::ExpressionClassifier::load({inner, (folder.dir / "model.gguf").string()}),
        doctest::Contains("named alone"), fer::error);
    // Truncated files.
    const std::vector<std::uint8_t> bytes = fer::save_ensemble({"model.gguf"}, one);
    for (std::size_t keep : {std::size_t(0), std::size_t(10), bytes.size() / 4, bytes.size() / 2})
        CHECK_THROWS_AS(
            load(folder.write(
                "t.gguf", std::vector<std::uint8_t>(bytes.begin(), bytes.begin() + long(keep)))),
            fer::error);
}

TEST_CASE("each shipped level gives its members' answers combined as its file says") {
    for (const fer::Level level : {fer::Level::fast, fer::Level::balanced, fer::Level::best}) {
        CAPTURE(fer::level_name(level));
        const std::string path = fer::level_model_path(level);
        const fer::EnsembleFile file = fer::read_ensemble(fer::GgufFile::load(path));
        const fer::Combination& c = file.combination;
        REQUIRE(c.weights.size() == file.member_paths.size());
        std::vector<fer::ExpressionClassifier> members;
        for (const std::string& member : file.member_paths)
            members.push_back(fer::ExpressionClassifier::load({member}));
        const fer::ExpressionClassifier ensemble = fer::ExpressionClassifier::load({path});
        std::mt19937 rng(std::random_device{}());
        fer::ExpressionClassifier::Workspace ws;
        for (int trial = 0; trial < 2; ++trial) {
            const fer::Image face = random_face(rng, 45 + 7 * trial, 52);
            double mixture[fer::expression_count] = {}, weights = 0;
            for (std::size_t m = 0; m < members.size(); ++m) {
                const fer::Probabilities p =
                    members[m].classify(face.view(), ws, !c.mirrored.empty() && c.mirrored[m]);
                for (int k = 0; k < fer::expression_count; ++k) mixture[k] += c.weights[m] * p[k];
                weights += c.weights[m];
            }
            double logits[fer::expression_count], top = -1e300, total = 0;
            for (int k = 0; k < fer::expression_count; ++k) {
                logits[k] = (std::log(mixture[k] / weights) + c.class_bias[k]) / c.temperature;
                top = std::max(top, logits[k]);
            }
            for (double& l : logits) total += (l = std::exp(l - top));
            const fer::Probabilities got = ensemble.classify(face.view(), ws);
            for (int k = 0; k < fer::expression_count; ++k)
                CHECK(got[k] == doctest::Approx(logits[k] / total).epsilon(1e-5));
        }
    }
}

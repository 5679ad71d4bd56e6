#include <fer/model/gguf.hpp>

#include <cstring>
#include <memory>
#include <string>
#include <type_traits>

#include "helpers.hpp"

namespace {

std::vector<std::uint8_t> sample_file() {
    fer::GgufWriter w;
    w.add_string("general.architecture", "fer");
    w.add_uint32("fer.input.size", 64);
    w.add_float32("fer.input.scale", 1.0f / 255.0f);
    w.add_bool("fer.flip", true);
    w.add_strings("fer.labels",
                  {"angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"});
    w.add_int32s("fer.shape", {3, 3, 1, 8});
    w.add_float32s("fer.scales", {0.5f, 0.25f});
    std::vector<float> weights(3 * 3 * 8);
    for (std::size_t i = 0; i < weights.size(); ++i) weights[i] = float(i) * 0.5f;
    std::vector<std::int8_t> quantized = {-128, -1, 0, 1, 127};
    w.add_tensor("conv1.weight", {8, 1, 3, 3}, fer::GgufTensorType::f32, weights.data(),
                 weights.size() * 4);
    w.add_tensor("conv1.weight_i8", {5}, fer::GgufTensorType::i8, quantized.data(),
                 quantized.size());
    return w.bytes();
}

}  // namespace

TEST_CASE("GGUF written by GgufWriter reads back with the same metadata and tensors") {
    const fer::GgufFile f = fer::GgufFile::parse(sample_file(), "sample.gguf");
    CHECK(f.get_string("general.architecture") == "fer");
    CHECK(f.get_integer("fer.input.size") == 64);
    CHECK(f.get_float("fer.input.scale") == doctest::Approx(1.0 / 255.0));
    CHECK(std::get<bool>(f.find("fer.flip")->value));
    const auto& labels = f.get_array("fer.labels");
    REQUIRE(labels.size() == 7);
    CHECK(std::get<std::string>(labels[3].value) == "happy");
    CHECK(std::get<std::int64_t>(f.get_array("fer.shape")[3].value) == 8);
    const fer::GgufTensor& w = f.tensor("conv1.weight");
    CHECK(w.dims == std::vector<std::int64_t>{8, 1, 3, 3});
    CHECK(w.type == fer::GgufTensorType::f32);
    REQUIRE(w.bytes == 72 * 4);
    float third;
    std::memcpy(&third, w.data + 8, 4);
    CHECK(third == 1.0f);
    CHECK((f.tensor("conv1.weight_i8").data - w.data) % 32 == 0);  // tensors start aligned
    CHECK(f.tensor("conv1.weight_i8").data[0] == std::uint8_t(0x80));
    CHECK_THROWS_WITH_AS(f.tensor("missing"), doctest::Contains("one named 'missing'"), fer::error);
    CHECK_THROWS_WITH_AS(f.get_string("fer.input.size"),
                         doctest::Contains("expected a string, found uint32"), fer::error);
    CHECK_THROWS_AS(f.get_integer("no.such.key"), fer::error);
}

// Tensors point into the file's own bytes: a copy would point into the original's, so copies are
// impossible, and a moved file's tensors stay readable after the original object is gone.
static_assert(!std::is_copy_constructible_v<fer::GgufFile>);
static_assert(!std::is_copy_assignable_v<fer::GgufFile>);
static_assert(std::is_move_constructible_v<fer::GgufFile>);

TEST_CASE("a moved GGUF file keeps its tensors readable") {
    auto original = std::make_unique<fer::GgufFile>(fer::GgufFile::parse(sample_file()));
    fer::GgufFile moved = std::move(*original);
    original.reset();
    const fer::GgufTensor& w = moved.tensor("conv1.weight");
    float third;
    std::memcpy(&third, w.data + 8, 4);
    CHECK(third == 1.0f);
    CHECK(moved.tensor("conv1.weight_i8").data[4] == std::uint8_t(127));
}

TEST_CASE("every truncation of a GGUF file is rejected") {
    const std::vector<std::uint8_t> file = sample_file();
    int accepted = 0;
    for (std::size_t n = 0; n < file.size(); ++n) {
        // Cutting only alignment padding after the last tensor leaves a complete file.
        try {
            fer::GgufFile::parse(std::vector<std::uint8_t>(file.begin(), file.begin() + long(n)));
            ++accepted;
        } catch (const fer::error&) {
        }
    }
    // The last tensor (5 bytes) ends 27 bytes before the padded end: those 27 cuts are complete
    // files.
    CHECK(accepted == 27);
}

TEST_CASE("bit flips give a valid file or fer::error, never a crash") {
    INFO("seed ", test::seed());
    const std::vector<std::uint8_t> file = sample_file();
    int rejected = 0;
    for (int trial = 0; trial < 3000; ++trial) {
        std::vector<std::uint8_t> damaged = file;
        const int flips = test::uniform(1, 3);
        for (int k = 0; k < flips; ++k)
            damaged[std::size_t(test::uniform(0, int(damaged.size()) - 1))] ^=
                std::uint8_t(1u << test::uniform(0, 7));
        try {
            const fer::GgufFile f = fer::GgufFile::parse(damaged);
            for (const fer::GgufTensor& t : f.tensors()) {
                // Sizes agree, and the first and last bytes are readable (AddressSanitizer builds
                // would flag a read past the buffer).
                CHECK(t.bytes == std::size_t(t.elements()) * fer::element_bytes(t.type));
                volatile std::uint8_t edge = t.data[0];
                edge = t.data[t.bytes - 1];
                (void)edge;
            }
        } catch (const fer::error&) {
            ++rejected;
        }
    }
    MESSAGE(rejected, " of 3000 damaged files rejected, the rest parsed within bounds");
    CHECK(rejected > 0);
}

TEST_CASE("hand-made hostile GGUF headers give fer::error naming the field") {
    auto header = [](std::uint32_t version, std::uint64_t tensors, std::uint64_t kvs) {
        std::vector<std::uint8_t> b = {'G', 'G', 'U', 'F'};
        auto put = [&b](const void* p, std::size_t n) {
            b.insert(b.end(), (const std::uint8_t*)p, (const std::uint8_t*)p + n);
        };
        put(&version, 4);
        put(&tensors, 8);
        put(&kvs, 8);
        return b;
    };
    auto rejected = [](std::vector<std::uint8_t> bytes, const std::string& fragment) {
        INFO("expecting: ", fragment);
        CHECK_THROWS_WITH_AS(fer::GgufFile::parse(std::move(bytes), "x.gguf"),
                             doctest::Contains(fragment.c_str()), fer::error);
    };
    rejected({}, "magic");
    rejected({'G', 'G', 'U', 'X', 3, 0, 0, 0}, "magic");
    rejected(header(2, 0, 0), "version");
    rejected(header(3, 1ull << 40, 0), "tensor count");
    rejected(header(3, 0, 1ull << 60), "metadata count");
    rejected(header(3, 0, 1), "metadata key");  // announced but absent
    {                                           // a key whose length runs past the end
        std::vector<std::uint8_t> b = header(3, 0, 1);
        const std::uint64_t huge = 1ull << 62;
        b.insert(b.end(), (const std::uint8_t*)&huge, (const std::uint8_t*)&huge + 8);
        rejected(b, "string of at most");
    }
    {  // an unknown value type
        fer::GgufWriter w;
        w.add_uint32("k", 1);
        std::vector<std::uint8_t> b = w.bytes();
        b[24 + 8 + 1] = 99;  // the value type follows the 1-byte key
        rejected(b, "value type of k");
    }
    {  // an array claiming more elements than bytes
        fer::GgufWriter w;
        w.add_int32s("k", {1, 2});
        std::vector<std::uint8_t> b = w.bytes();
        const std::uint64_t lie = 1u << 20;
        std::memcpy(b.data() + 24 + 9 + 4 + 4, &lie, 8);
        rejected(b, "array elements");
    }
    {  // a tensor type fer does not know, and one whose data lies beyond the file
        fer::GgufWriter w;
        const float v[4] = {1, 2, 3, 4};
        w.add_tensor("t", {4}, fer::GgufTensorType::f32, v, 16);
        std::vector<std::uint8_t> b = w.bytes();
        std::vector<std::uint8_t> unknown = b;
        // tensor info: name (8 + 1), dimension count (4), one dimension (8), type (4), offset (8)
        unknown[24 + 9 + 4 + 8] = 2;  // Q4_0
        rejected(unknown, "expected F32 (0), I8 (24) or I32 (26), found 2");
        std::vector<std::uint8_t> beyond = b;
        const std::uint64_t dim = 1000;
        std::memcpy(beyond.data() + 24 + 9 + 4, &dim, 8);
        rejected(beyond, "data of t");
        std::vector<std::uint8_t> misaligned = b;
        const std::uint64_t offset = 4;
        std::memcpy(misaligned.data() + 24 + 9 + 4 + 8 + 4, &offset, 8);
        rejected(misaligned, "expected a multiple of 32, found 4");
        std::vector<std::uint8_t> zero_dim = b;
        std::memset(zero_dim.data() + 24 + 9 + 4, 0, 8);
        rejected(zero_dim, "dimension of t");
    }
    {  // duplicate keys and tensor names
        fer::GgufWriter w;
        w.add_uint32("k", 1);
        w.add_uint32("k", 2);
        rejected(w.bytes(), "'k' twice");
        fer::GgufWriter t;
        const float v = 1;
        t.add_tensor("t", {1}, fer::GgufTensorType::f32, &v, 4);
        t.add_tensor("t", {1}, fer::GgufTensorType::f32, &v, 4);
        rejected(t.bytes(), "'t' twice");
    }
    CHECK_THROWS_WITH_AS(fer::GgufFile::load("/nonexistent.gguf"), doctest::Contains("cannot open"),
                         fer::error);
}

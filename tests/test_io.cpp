#include <fer/io.hpp>

#include <cstring>
#include <filesystem>
#include <string>

#include "helpers.hpp"

namespace {

std::vector<std::uint8_t> encode_pnm(const fer::Image& image) {
    const std::string header = std::string(image.format() == fer::PixelFormat::gray ? "P5" : "P6") +
                               "\n" + std::to_string(image.width()) + " " +
                               std::to_string(image.height()) + "\n255\n";
    std::vector<std::uint8_t> out(header.begin(), header.end());
    out.insert(out.end(), image.data(), image.data() + image.stride() * image.height());
    return out;
}

std::vector<std::uint8_t> encode_bmp(const fer::Image& rgb) {
    std::vector<std::uint8_t> out;
    const auto append = [](void* context, void* data, int size) {
        auto* bytes = static_cast<std::vector<std::uint8_t>*>(context);
        bytes->insert(bytes->end(), static_cast<std::uint8_t*>(data),
                      static_cast<std::uint8_t*>(data) + size);
    };
    REQUIRE(stbi_write_bmp_to_func(append, &out, rgb.width(), rgb.height(), 3, rgb.data()));
    return out;
}

bool same_pixels(const fer::Image& a, const fer::Image& b) {
    return a.width() == b.width() && a.height() == b.height() && a.format() == b.format() &&
           std::equal(a.data(), a.data() + a.stride() * a.height(), b.data());
}

double mean_abs_difference(const fer::Image& a, const fer::Image& b) {
    double total = 0;
    const std::size_t n = std::size_t(a.stride()) * a.height();
    for (std::size_t i = 0; i < n; ++i) total += std::abs(int(a.data()[i]) - int(b.data()[i]));
    return total / double(n);
}

// Every proper prefix of a valid file must be rejected with fer::error.
void check_every_truncation_fails(const std::vector<std::uint8_t>& file, const std::string& what) {
    int accepted = 0;
    for (std::size_t length = 0; length < file.size(); ++length) {
        try {
            fer::decode_image(file.data(), length);
            ++accepted;
            MESSAGE(what, " prefix of ", length, " of ", file.size(), " bytes was accepted");
        } catch (const fer::error&) {
        }
    }
    CHECK(accepted == 0);
}

}  // namespace

TEST_CASE("PNG, BMP and PGM/PPM round trips are lossless in every format") {
    INFO("seed ", test::seed());
    const fer::Image rgb = test::random_image(37, 23, fer::PixelFormat::rgb);
    const fer::Image gray = test::random_image(37, 23, fer::PixelFormat::gray);
    const fer::Image bgr = fer::convert(rgb, fer::PixelFormat::bgr);
    CHECK(same_pixels(fer::decode_image(fer::encode_png(rgb)), rgb));
    CHECK(same_pixels(fer::decode_image(fer::encode_png(bgr), fer::PixelFormat::bgr), bgr));
    CHECK(same_pixels(fer::decode_image(fer::encode_png(gray), fer::PixelFormat::gray), gray));
    CHECK(same_pixels(fer::decode_image(encode_pnm(rgb)), rgb));
    CHECK(same_pixels(fer::decode_image(encode_pnm(gray), fer::PixelFormat::gray), gray));
    CHECK(same_pixels(fer::decode_image(encode_bmp(rgb)), rgb));
    // A gray file decoded as colour replicates its values; colour decoded as gray uses BT.601.
    CHECK(same_pixels(fer::decode_image(fer::encode_png(gray), fer::PixelFormat::rgb),
                      fer::convert(gray, fer::PixelFormat::rgb)));
    CHECK(same_pixels(fer::decode_image(fer::encode_png(rgb), fer::PixelFormat::gray),
                      fer::to_gray(rgb)));
}

TEST_CASE("JPEG round trip stays close to the original") {
    // A smooth image: JPEG's error on noise is large by design.
    fer::Image smooth(64, 48, fer::PixelFormat::rgb);
    for (int y = 0; y < 48; ++y)
        for (int x = 0; x < 64; ++x) {
            std::uint8_t* p = smooth.row(y) + 3 * x;
            p[0] = std::uint8_t(4 * x), p[1] = std::uint8_t(5 * y),
            p[2] = std::uint8_t(128 + x - y);
        }
    const fer::Image decoded = fer::decode_image(fer::encode_jpeg(smooth, 95));
    CHECK(decoded.width() == 64);
    CHECK(decoded.height() == 48);
    CHECK(mean_abs_difference(decoded, smooth) < 2.0);
    CHECK_THROWS_AS(fer::encode_jpeg(smooth, 0), fer::error);
}

TEST_CASE("save_image and load_image go through files, chosen by extension") {
    const fer::Image rgb = test::random_image(19, 11, fer::PixelFormat::rgb);
    const std::filesystem::path dir =
        std::filesystem::temp_directory_path() / ("fer-test-io-" + std::to_string(test::seed()));
    std::filesystem::create_directories(dir);
    fer::save_image((dir / "a.PNG").string(), rgb);
    CHECK(same_pixels(fer::load_image((dir / "a.PNG").string()), rgb));
    fer::save_image((dir / "a.jpg").string(), rgb);
    CHECK(fer::load_image((dir / "a.jpg").string()).width() == 19);
    CHECK_THROWS_WITH_AS(fer::save_image((dir / "a.tiff").string(), rgb),
                         doctest::Contains("extension: expected .png, .jpg or .jpeg, found .tiff"),
                         fer::error);
    CHECK_THROWS_WITH_AS(fer::load_image((dir / "missing.png").string()),
                         doctest::Contains("missing.png': No such file or directory"), fer::error);
    CHECK_THROWS_AS(fer::save_image((dir / "no-such-dir" / "a.png").string(), rgb), fer::error);
    std::filesystem::remove_all(dir);
}

TEST_CASE("hostile and broken files give fer::error") {
    CHECK_THROWS_WITH_AS(fer::decode_image(nullptr, 0),
                         "image data: expected an encoded image, found 0 bytes", fer::error);
    const std::uint8_t gif[] = {'G', 'I', 'F', '8', '9', 'a', 1, 0, 1, 0};
    CHECK_THROWS_WITH_AS(
        fer::decode_image(gif, sizeof gif),
        "image format: expected JPEG, PNG, BMP or binary PGM/PPM, found unrecognized data "
        "starting with 47 49 46 38",
        fer::error);

    SUBCASE("absurd dimensions are refused before any pixel is allocated") {
        const std::string ppm = "P6\n100000 100000\n255\n";
        CHECK_THROWS_WITH_AS(
            fer::decode_image(reinterpret_cast<const std::uint8_t*>(ppm.data()), ppm.size()),
            "image width: expected 1 to 16384, found 100000", fer::error);
        std::vector<std::uint8_t> png = fer::encode_png(fer::Image(3, 2, fer::PixelFormat::rgb));
        // IHDR data starts at byte 16: width then height, big-endian.
        const std::uint8_t huge[8] = {0x00, 0x00, 0x9C, 0x40,
                                      0x00, 0x00, 0x9C, 0x40};  // 40000 x 40000
        std::memcpy(png.data() + 16, huge, 8);
        CHECK_THROWS_WITH_AS(fer::decode_image(png),
                             "image width: expected 1 to 16384, found 40000", fer::error);
        std::vector<std::uint8_t> jpeg = fer::encode_jpeg(fer::Image(8, 8, fer::PixelFormat::gray));
        for (std::size_t i = 2; i + 8 < jpeg.size(); ++i)
            if (jpeg[i] == 0xFF && jpeg[i + 1] == 0xC0) {  // SOF0: length, precision, height, width
                jpeg[i + 5] = 0xEA, jpeg[i + 6] = 0x60;    // height 60000
                break;
            }
        CHECK_THROWS_WITH_AS(fer::decode_image(jpeg),
                             "image height: expected 1 to 16384, found 60000", fer::error);
    }

    SUBCASE("every truncation of a valid file is rejected") {
        const fer::Image rgb = test::random_image(6, 5, fer::PixelFormat::rgb);
        check_every_truncation_fails(fer::encode_png(rgb), "PNG");
        check_every_truncation_fails(fer::encode_jpeg(rgb), "JPEG");
        check_every_truncation_fails(encode_bmp(rgb), "BMP");
        check_every_truncation_fails(encode_pnm(rgb), "PPM");
        check_every_truncation_fails(encode_pnm(fer::to_gray(rgb)), "PGM");
    }
}

TEST_CASE("real photos decode; a truncated photo does not") {
    const std::filesystem::path photo = test::sample_photo(1);
    FER_SKIP_UNLESS_EXISTS(photo);
    const std::vector<std::uint8_t> bytes = fer::read_file_bytes(photo.string());
    CHECK(fer::sniff_image_format(bytes.data(), bytes.size()) == fer::ImageFileFormat::jpeg);
    const fer::Image rgb = fer::decode_image(bytes);
    CHECK(rgb.width() == 1920);
    CHECK(rgb.height() == 1280);
    CHECK(same_pixels(fer::decode_image(bytes, fer::PixelFormat::gray), fer::to_gray(rgb)));
    CHECK_THROWS_WITH_AS(
        fer::decode_image(bytes.data(), bytes.size() / 2),
        "JPEG data: expected a complete stream ending in an end-of-image marker, found a "
        "truncated stream",
        fer::error);
    CHECK_THROWS_WITH_AS(fer::read_file_bytes(photo.string(), 1000),
                         doctest::Contains("size: expected at most 1000 bytes"), fer::error);
}

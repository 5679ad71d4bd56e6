#include <fer/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

#include "helpers.hpp"

namespace {

// Brute-force references: straight from the definitions, in double precision.

// Bilinear sample at half-pixel centres with edge clamping.
double reference_bilinear(const fer::ImageView& src, int dst_w, int dst_h, int x, int y, int c) {
    auto coordinate = [](int d, int src_size, int dst_size, int& i0, int& i1, double& frac) {
        double pos = (d + 0.5) * src_size / dst_size - 0.5;
        pos = std::clamp(pos, 0.0, double(src_size - 1));
        i0 = int(std::floor(pos));
        i1 = std::min(i0 + 1, src_size - 1);
        frac = pos - i0;
    };
    int x0, x1, y0, y1;
    double fx, fy;
    coordinate(x, src.width(), dst_w, x0, x1, fx);
    coordinate(y, src.height(), dst_h, y0, y1, fy);
    const int ch = src.channels();
    auto at = [&](int xx, int yy) { return double(src.row(yy)[xx * ch + c]); };
    return (1 - fy) * ((1 - fx) * at(x0, y0) + fx * at(x1, y0)) +
           fy * ((1 - fx) * at(x0, y1) + fx * at(x1, y1));
}

// Average over the covered source area, with fractional coverage.
double reference_area(const fer::ImageView& src, int dst_w, int dst_h, int x, int y, int c) {
    const double sx = double(src.width()) / dst_w, sy = double(src.height()) / dst_h;
    const double x_lo = x * sx, x_hi = (x + 1) * sx, y_lo = y * sy, y_hi = (y + 1) * sy;
    double total = 0;
    for (int yy = 0; yy < src.height(); ++yy) {
        const double oy = std::min(y_hi, yy + 1.0) - std::max(y_lo, double(yy));
        if (oy <= 0) continue;
        for (int xx = 0; xx < src.width(); ++xx) {
            const double ox = std::min(x_hi, xx + 1.0) - std::max(x_lo, double(xx));
            if (ox <= 0) continue;
            total += ox * oy * src.row(yy)[xx * src.channels() + c];
        }
    }
    return total / (sx * sy);
}

// Largest |result - reference| over all pixels and channels.
template <class Reference>
double max_error(const fer::Image& result, const fer::ImageView& src, Reference reference) {
    double worst = 0;
    for (int y = 0; y < result.height(); ++y)
        for (int x = 0; x < result.width(); ++x)
            for (int c = 0; c < result.channels(); ++c) {
                const double expected = reference(src, result.width(), result.height(), x, y, c);
                worst =
                    std::max(worst, std::abs(result.row(y)[x * result.channels() + c] - expected));
            }
    return worst;
}

struct Shape {
    int src_w, src_h, dst_w, dst_h;
};
const Shape odd_shapes[] = {{1, 1, 1, 1},     {1, 1, 7, 3},     {7, 3, 1, 1},     {13, 7, 5, 3},
                            {5, 3, 13, 7},    {64, 48, 17, 29}, {17, 29, 64, 48}, {100, 3, 33, 9},
                            {31, 31, 31, 31}, {97, 61, 48, 48}};

}  // namespace

TEST_CASE("gray conversion is BT.601 in OpenCV's fixed point, for every colour") {
    // All 2^24 colours once, as a 4096 x 4096 rgb image, checked against the definition: within
    // one level of the exact luma 0.299 R + 0.587 G + 0.114 B, and equal to OpenCV 4's 15-bit form.
    fer::Image all(4096, 4096, fer::PixelFormat::rgb);
    for (std::uint32_t i = 0; i < (1u << 24); ++i) {
        std::uint8_t* p = all.data() + std::size_t(i) * 3;
        p[0] = std::uint8_t(i >> 16);
        p[1] = std::uint8_t(i >> 8);
        p[2] = std::uint8_t(i);
    }
    const fer::Image gray = fer::to_gray(all);
    int off_by_one = 0, worse = 0, not_opencv = 0;
    for (std::uint32_t i = 0; i < (1u << 24); ++i) {
        const int r = int(i >> 16), g = int((i >> 8) & 255), b = int(i & 255);
        const int ours = gray.data()[i];
        const double exact = 0.299 * r + 0.587 * g + 0.114 * b;
        const double error = std::abs(ours - exact);
        off_by_one += error > 0.5 + 1e-9;
        worse += error > 1.0;
        not_opencv += ours != (r * 9798 + g * 19235 + b * 3735 + 16384) / 32768;
    }
    CHECK(worse == 0);
    CHECK(not_opencv == 0);
    MESSAGE("colours more than half a level from exact luma: ", off_by_one);
}

TEST_CASE("format conversions: bgr is rgb reversed, gray replicates, round trips are exact") {
    const fer::Image rgb = test::random_image(13, 7, fer::PixelFormat::rgb);
    const fer::Image bgr = fer::convert(rgb, fer::PixelFormat::bgr);
    for (int y = 0; y < 7; ++y)
        for (int x = 0; x < 13; ++x)
            for (int c = 0; c < 3; ++c) REQUIRE(bgr.row(y)[3 * x + c] == rgb.row(y)[3 * x + 2 - c]);
    const fer::Image back = fer::convert(bgr, fer::PixelFormat::rgb);
    CHECK(std::equal(back.data(), back.data() + 13 * 7 * 3, rgb.data()));
    const fer::Image gray_from_rgb = fer::to_gray(rgb);
    const fer::Image gray_from_bgr = fer::to_gray(bgr);
    CHECK(std::equal(gray_from_rgb.data(), gray_from_rgb.data() + 13 * 7, gray_from_bgr.data()));
    const fer::Image replicated = fer::convert(gray_from_rgb, fer::PixelFormat::bgr);
    for (int i = 0; i < 13 * 7; ++i)
        for (int c = 0; c < 3; ++c)
            REQUIRE(replicated.data()[3 * i + c] == gray_from_rgb.data()[i]);
    CHECK_THROWS_AS(fer::to_gray(fer::ImageView()), fer::error);
}

TEST_CASE("bilinear resize matches the brute-force definition within one level") {
    INFO("seed ", test::seed());
    for (const Shape& s : odd_shapes) {
        for (fer::PixelFormat format : {fer::PixelFormat::gray, fer::PixelFormat::rgb}) {
            const fer::Image src = test::random_image(s.src_w, s.src_h, format);
            std::vector<std::uint8_t> storage;
            const fer::ImageView strided = test::padded_view(src, storage, 5);
            INFO("shape ", s.src_w, "x", s.src_h, " -> ", s.dst_w, "x", s.dst_h);
            const fer::Image out = fer::resize_bilinear(strided, s.dst_w, s.dst_h);
            CHECK(max_error(out, src, reference_bilinear) <= 1.0);
        }
    }
    const fer::Image src = test::random_image(9, 9, fer::PixelFormat::gray);
    const fer::Image same = fer::resize_bilinear(src, 9, 9);
    CHECK(std::equal(same.data(), same.data() + 81, src.data()));  // identity is exact
    CHECK_THROWS_AS(fer::resize_bilinear(src, 0, 5), fer::error);
    CHECK_THROWS_AS(fer::resize_bilinear(src, 5, 20000), fer::error);
}

TEST_CASE("area resize matches the brute-force definition within one level") {
    INFO("seed ", test::seed());
    for (const Shape& s : odd_shapes) {
        for (fer::PixelFormat format : {fer::PixelFormat::gray, fer::PixelFormat::bgr}) {
            const fer::Image src = test::random_image(s.src_w, s.src_h, format);
            std::vector<std::uint8_t> storage;
            const fer::ImageView strided = test::padded_view(src, storage, 3);
            INFO("shape ", s.src_w, "x", s.src_h, " -> ", s.dst_w, "x", s.dst_h);
            const fer::Image out = fer::resize_area(strided, s.dst_w, s.dst_h);
            CHECK(max_error(out, src, reference_area) <= 0.5 + 1e-3);
        }
    }
    // Halving averages 2 x 2 blocks.
    fer::Image block(2, 2, fer::PixelFormat::gray);
    block.data()[0] = 10, block.data()[1] = 20, block.data()[2] = 30, block.data()[3] = 41;
    CHECK(fer::resize_area(block, 1, 1).data()[0] == 25);
}

TEST_CASE("crop clamps to the image") {
    const fer::Image src = test::random_image(20, 10, fer::PixelFormat::rgb);
    const fer::Image inside = fer::crop(src, {3, 2, 5, 4});
    CHECK(inside.width() == 5);
    CHECK(inside.height() == 4);
    CHECK(std::equal(inside.row(1), inside.row(1) + 15, src.row(3) + 9));
    const fer::Image clamped = fer::crop(src, {-4, 7, 10, 10});
    CHECK(clamped.width() == 6);
    CHECK(clamped.height() == 3);
    CHECK(std::equal(clamped.row(0), clamped.row(0) + 18, src.row(7)));
    CHECK_THROWS_WITH_AS(
        fer::crop(src, {20, 0, 5, 5}),
        "crop region: expected a rectangle overlapping the 20x10 image, found [20, 0, 5, 5]",
        fer::error);
}

TEST_CASE("histogram equalization follows the cumulative-histogram definition") {
    INFO("seed ", test::seed());
    for (int trial = 0; trial < 20; ++trial) {
        const int w = test::uniform(1, 70), h = test::uniform(1, 40);
        // Narrow random ranges make the equalization do visible work.
        const int lo = test::uniform(0, 200), hi = std::min(255, lo + test::uniform(0, 60));
        fer::Image src(w, h, fer::PixelFormat::gray);
        for (int i = 0; i < w * h; ++i) src.data()[i] = std::uint8_t(test::uniform(lo, hi));
        const fer::Image out = fer::equalize_histogram(src);

        std::vector<long> histogram(256, 0), cdf(256, 0);
        for (int i = 0; i < w * h; ++i) ++histogram[src.data()[i]];
        long running = 0;
        for (int v = 0; v < 256; ++v) cdf[v] = running += histogram[v];
        const int lowest =
            int(std::find_if(histogram.begin(), histogram.end(), [](long n) { return n > 0; }) -
                histogram.begin());
        const long denominator = long(w) * h - cdf[lowest];
        for (int i = 0; i < w * h; ++i) {
            const int v = src.data()[i];
            const double expected =
                denominator == 0 ? v : 255.0 * (cdf[v] - cdf[lowest]) / denominator;
            REQUIRE(std::abs(out.data()[i] - expected) <= 0.5 + 1e-3);
        }
    }
    CHECK_THROWS_AS(fer::equalize_histogram(fer::Image(3, 3, fer::PixelFormat::rgb)), fer::error);
}

TEST_CASE("crop_rotated: no turn is a plain crop, a quarter turn moves pixels as expected") {
    INFO("seed ", test::seed());
    const fer::Image image = test::random_image(64, 48, fer::PixelFormat::rgb);
    const fer::Image plain = fer::crop(image, fer::Rect{30, 20, 20, 20});
    const fer::Image same = fer::crop_rotated(image, 40.0, 30.0, 20, 0.0);
    CHECK(std::equal(plain.data(), plain.data() + plain.stride() * plain.height(), same.data()));
    // 90 degrees: output (x, y) samples source (cx - dy, cy + dx), a quarter turn.
    const fer::Image turned = fer::crop_rotated(image, 40.0, 30.0, 20, 90.0);
    int wrong = 0;
    for (int y = 0; y < 20; ++y)
        for (int x = 0; x < 20; ++x) {
            const int sx = 40 - (y - 10) - 1, sy = 30 + (x - 10);
            for (int c = 0; c < 3; ++c)
                wrong += turned.row(y)[x * 3 + c] != image.row(sy)[sx * 3 + c];
        }
    CHECK(wrong == 0);
    CHECK_THROWS_AS(fer::crop_rotated(fer::ImageView(), 0, 0, 10, 0), fer::error);
    CHECK_THROWS_AS(fer::crop_rotated(image, 0, 0, 0, 0), fer::error);
}

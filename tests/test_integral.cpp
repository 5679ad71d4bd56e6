#include <fer/integral.hpp>

#include "helpers.hpp"

namespace {

void check_rect_sums(const fer::ImageView& image, const fer::IntegralImages& tables, int trials) {
    for (int t = 0; t < trials; ++t) {
        const int x = test::uniform(0, image.width() - 1), y = test::uniform(0, image.height() - 1);
        const fer::Rect r{x, y, test::uniform(1, image.width() - x),
                          test::uniform(1, image.height() - y)};
        std::uint64_t sum = 0, sqsum = 0;
        for (int yy = r.y; yy < r.bottom(); ++yy)
            for (int xx = r.x; xx < r.right(); ++xx) {
                const std::uint64_t v = image.row(yy)[xx];
                sum += v;
                sqsum += v * v;
            }
        INFO("rect ", r.x, " ", r.y, " ", r.width, " ", r.height);
        REQUIRE(tables.rect_sum(r) == sum);
        REQUIRE(tables.rect_sqsum(r) == sqsum);
    }
}

}  // namespace

TEST_CASE("integral images give brute-force rectangle sums") {
    INFO("seed ", test::seed());
    for (int trial = 0; trial < 10; ++trial) {
        const fer::Image image =
            test::random_image(test::uniform(1, 90), test::uniform(1, 70), fer::PixelFormat::gray);
        std::vector<std::uint8_t> storage;
        const fer::ImageView strided = test::padded_view(image, storage, 7);
        const fer::IntegralImages tables = fer::integral_images(strided);
        CHECK(tables.sum.size() == std::size_t(image.width() + 1) * (image.height() + 1));
        CHECK(tables.sum[0] == 0);
        check_rect_sums(image, tables, 200);
    }
    CHECK_THROWS_AS(fer::integral_images(fer::Image(4, 4, fer::PixelFormat::rgb)), fer::error);
    CHECK_THROWS_AS(fer::integral_images(fer::ImageView()), fer::error);
}

TEST_CASE("rectangle sums stay exact when the 32-bit table wraps around") {
    // 4200 x 4200 white pixels: the full-image sum (4.5e9) exceeds 2^32 and the squared sums
    // exceed it by far, so this exercises the modular sum table and the 64-bit square table.
    fer::Image white(4200, 4200, fer::PixelFormat::gray);
    std::fill(white.data(), white.data() + 4200 * 4200, std::uint8_t{255});
    const fer::IntegralImages tables = fer::integral_images(white);
    const fer::Rect late{4000, 4000, 200, 200};  // its corners hold wrapped entries
    CHECK(tables.rect_sum(late) == 255u * 200 * 200);
    CHECK(tables.rect_sqsum(late) == 255ull * 255 * 200 * 200);
    const fer::Rect big{100, 100, 4000, 4000};  // 16e6 pixels: the sum still fits in 32 bits
    CHECK(tables.rect_sum(big) == 255ull * 4000 * 4000);
    CHECK(tables.rect_sqsum(white.view().bounds()) == 255ull * 255 * 4200 * 4200);
}

TEST_CASE("the tilted integral follows its definition") {
    INFO("seed ", test::seed());
    for (int trial = 0; trial < 8; ++trial) {
        const int w = test::uniform(1, 30), h = test::uniform(1, 25);
        const fer::Image image = test::random_image(w, h, fer::PixelFormat::gray);
        const std::vector<std::uint32_t> tilted = fer::tilted_integral(image);
        REQUIRE(tilted.size() == std::size_t(w + 1) * (h + 1));
        for (int Y = 0; Y <= h; ++Y)
            for (int X = 0; X <= w; ++X) {
                std::uint32_t expected = 0;  // brute force over the triangle above (X - 1, Y - 1)
                for (int y = 0; y < Y; ++y)
                    for (int x = 0; x < w; ++x)
                        if (std::abs(x - X + 1) <= Y - 1 - y) expected += image.row(y)[x];
                INFO("X ", X, " Y ", Y, " size ", w, "x", h);
                REQUIRE(tilted[std::size_t(Y) * (w + 1) + X] == expected);
            }
    }
    CHECK_THROWS_AS(fer::tilted_integral(fer::Image(4, 4, fer::PixelFormat::rgb)), fer::error);
}

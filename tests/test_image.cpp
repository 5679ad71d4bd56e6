#include <fer/image.hpp>

#include "helpers.hpp"

TEST_CASE("views validate their geometry") {
    std::vector<std::uint8_t> pixels(64 * 48 * 3);
    CHECK_NOTHROW(fer::ImageView(pixels.data(), 64, 48, fer::PixelFormat::rgb));
    CHECK_NOTHROW(fer::ImageView(pixels.data(), 60, 48, fer::PixelFormat::rgb, 64 * 3));
    CHECK_THROWS_WITH_AS(fer::ImageView(nullptr, 4, 4, fer::PixelFormat::gray),
                         "image data: expected a non-null pointer, found null", fer::error);
    CHECK_THROWS_WITH_AS(fer::ImageView(pixels.data(), 64, 48, fer::PixelFormat::rgb, 100),
                         "image stride: expected at least 192 bytes, found 100", fer::error);
    CHECK_THROWS_WITH_AS(fer::ImageView(pixels.data(), 0, 48, fer::PixelFormat::gray),
                         "image width: expected 1 to 16384, found 0", fer::error);
    CHECK_THROWS_AS(fer::ImageView(pixels.data(), 64, -1, fer::PixelFormat::gray), fer::error);
    CHECK_THROWS_AS(fer::ImageView(pixels.data(), 16384, 16384, fer::PixelFormat::gray),
                    fer::error);
}

TEST_CASE("an owning image refuses absurd sizes before allocating") {
    CHECK_THROWS_WITH_AS(fer::Image(100000, 10, fer::PixelFormat::rgb),
                         "image width: expected 1 to 16384, found 100000", fer::error);
    CHECK_THROWS_WITH_AS(fer::Image(16000, 16000, fer::PixelFormat::gray),
                         "image pixel count: expected at most 67108864, found 256000000",
                         fer::error);
    fer::Image image(5, 3, fer::PixelFormat::bgr);
    CHECK(image.stride() == 15);
    CHECK(image.view().format() == fer::PixelFormat::bgr);
    image.reset(2, 2, fer::PixelFormat::gray);
    CHECK(image.stride() == 2);
    CHECK(fer::Image().view().empty());
}

TEST_CASE("subviews share pixels and stay inside the image") {
    fer::Image image = test::random_image(7, 5, fer::PixelFormat::rgb);
    const fer::ImageView part = image.view().subview({2, 1, 3, 4});
    CHECK(part.width() == 3);
    CHECK(part.height() == 4);
    CHECK(part.stride() == image.stride());
    CHECK(part.row(0) == image.row(1) + 6);
    CHECK_THROWS_AS(image.view().subview({5, 0, 3, 1}), fer::error);
    CHECK_THROWS_AS(image.view().subview({0, 0, 0, 1}), fer::error);
    CHECK_THROWS_AS(image.view().subview({-1, 0, 2, 2}), fer::error);
    const fer::ImageView read_only = image.mutable_view();  // mutable converts to read-only
    CHECK(read_only.data() == image.data());
}

TEST_CASE("rectangle intersection") {
    CHECK(fer::intersect({0, 0, 10, 10}, {5, 5, 10, 10}) == fer::Rect{5, 5, 5, 5});
    CHECK(fer::intersect({0, 0, 10, 10}, {10, 0, 3, 3}).empty());
    CHECK(fer::intersect({-5, -5, 10, 10}, {0, 0, 3, 30}) == fer::Rect{0, 0, 3, 5});
    CHECK(fer::Rect{1, 2, 3, 4}.area() == 12);
    CHECK(fer::Rect{1, 2, -3, 4}.area() == 0);
}

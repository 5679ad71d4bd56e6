#include <fer/draw.hpp>

#include "helpers.hpp"

namespace {

int count_pixels(const fer::Image& image, std::uint8_t value) {
    int n = 0;
    for (int i = 0; i < image.width() * image.height(); ++i) n += image.data()[i] == value;
    return n;
}

}  // namespace

TEST_CASE("rectangles: outline inside the box, clipped at the borders") {
    fer::Image image(20, 10, fer::PixelFormat::gray);
    fer::draw_rectangle(image.mutable_view(), {2, 3, 6, 5}, {255, 255, 255}, 1);
    // Brute force: exactly the border pixels of the box are set.
    for (int y = 0; y < 10; ++y)
        for (int x = 0; x < 20; ++x) {
            const bool inside = x >= 2 && x < 8 && y >= 3 && y < 8;
            const bool border = inside && (x == 2 || x == 7 || y == 3 || y == 7);
            REQUIRE(image.row(y)[x] == (border ? 255 : 0));
        }
    fer::Image clipped(20, 10, fer::PixelFormat::gray);
    fer::draw_rectangle(clipped.mutable_view(), {-5, -5, 100, 100}, {255, 255, 255}, 3);
    fer::draw_rectangle(clipped.mutable_view(), {50, 50, 10, 10}, {255, 255, 255}, 3);  // outside
    CHECK(count_pixels(clipped, 255) == 0);  // the outline lies beyond every edge
    fer::draw_rectangle(clipped.mutable_view(), {-1, -1, 22, 12}, {255, 255, 255}, 2);
    CHECK(count_pixels(clipped, 255) == 20 * 10 - 18 * 8);
    CHECK_THROWS_AS(fer::draw_rectangle(clipped.mutable_view(), {0, 0, 5, 5}, {}, 0), fer::error);
}

TEST_CASE("colours are written in the image's own channel order") {
    fer::Image rgb(4, 4, fer::PixelFormat::rgb), bgr(4, 4, fer::PixelFormat::bgr),
        gray(4, 4, fer::PixelFormat::gray);
    const fer::Color orange{250, 120, 10};
    fer::fill_rectangle(rgb.mutable_view(), {0, 0, 4, 4}, orange);
    fer::fill_rectangle(bgr.mutable_view(), {0, 0, 4, 4}, orange);
    fer::fill_rectangle(gray.mutable_view(), {0, 0, 4, 4}, orange);
    CHECK(rgb.data()[0] == 250);
    CHECK(rgb.data()[2] == 10);
    CHECK(bgr.data()[0] == 10);
    CHECK(bgr.data()[2] == 250);
    CHECK(gray.data()[5] == fer::detail::luma_bt601(250, 120, 10));
}

TEST_CASE("text renders the font's glyphs at the requested scale") {
    const int scale = 3;
    fer::Image image(40, 30, fer::PixelFormat::gray);
    fer::draw_text(image.mutable_view(), 4, 5, "A7", {255, 255, 255}, scale);
    for (int i = 0; i < 2; ++i) {
        const std::uint8_t* rows = fer::detail::glyph_rows("A7"[i]);
        for (int y = 0; y < 7 * scale; ++y)
            for (int x = 0; x < 5 * scale; ++x) {
                const bool on = rows[y / scale] & (1u << (4 - x / scale));
                REQUIRE(image.row(5 + y)[4 + i * 6 * scale + x] == (on ? 255 : 0));
            }
    }
    CHECK(fer::text_width("A7", scale) == (2 * 6 - 1) * scale);
    CHECK(fer::text_height(scale) == 21);
    // Non-ASCII bytes fall back to '?', text running off the image is clipped.
    fer::Image small(8, 8, fer::PixelFormat::rgb);
    CHECK_NOTHROW(
        fer::draw_text(small.mutable_view(), -3, 4, "\x01\xff long text", {255, 0, 0}, 2));
    CHECK_THROWS_AS(fer::draw_text(small.mutable_view(), 0, 0, "x", {}, 0), fer::error);
}

TEST_CASE("labels sit above the box, or inside it at the top edge, and stay in the image") {
    fer::Image image(100, 60, fer::PixelFormat::rgb);
    const fer::Color green{0, 200, 0};
    fer::draw_label(image.mutable_view(), {10, 40, 50, 15}, "hi", green, {255, 255, 255}, 2);
    // Strip height 7*2 + 2*2 = 18, so it spans rows 22..39 above the box.
    CHECK(image.row(22)[10 * 3 + 1] == 200);
    CHECK(image.row(21)[10 * 3 + 1] == 0);
    CHECK(image.row(40)[10 * 3 + 1] == 0);
    fer::Image top(100, 60, fer::PixelFormat::rgb);
    fer::draw_label(top.mutable_view(), {10, 5, 50, 15}, "hi", green, {255, 255, 255}, 2);
    CHECK(top.row(5)[10 * 3 + 1] == 200);
    CHECK(top.row(4)[10 * 3 + 1] == 0);
    // "hello" at scale 2 is 5*6*2 - 2 = 58 pixels, 62 with padding: a box at x = 80 of a
    // 100-pixel image gets its label moved left to x = 38, ending at the right edge.
    fer::Image right(100, 60, fer::PixelFormat::rgb);
    fer::draw_label(right.mutable_view(), {80, 40, 15, 15}, "hello", green, {255, 255, 255}, 2);
    CHECK(right.row(22)[38 * 3 + 1] == 200);
    CHECK(right.row(22)[37 * 3 + 1] == 0);
    CHECK(right.row(22)[99 * 3 + 1] == 200);
}

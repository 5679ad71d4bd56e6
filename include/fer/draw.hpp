// fer/draw.hpp - annotation: rectangles and text labels drawn onto images.
//
// Everything is clipped to the image: shapes may lie partly or wholly outside it. Colours are
// given as RGB and written in the image's own format (bgr swapped, gray as BT.601 luma). Text uses
// the built-in 5 x 7 bitmap font (printable ASCII; other bytes show as '?'), magnified by an
// integer `scale`.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "detail/font5x7.hpp"
#include "error.hpp"
#include "image.hpp"
#include "imgproc.hpp"

namespace fer {

struct Color {
    std::uint8_t r = 0;
    std::uint8_t g = 0;
    std::uint8_t b = 0;
};

namespace detail {

// Fills the part of `r` inside the image with `color`.
inline void fill_clipped(const MutableImageView& image, const Rect& r, const Color& color) {
    const Rect inside = intersect(r, image.bounds());
    if (inside.empty()) return;
    std::uint8_t pixel[3] = {color.r, color.g, color.b};
    if (image.format() == PixelFormat::bgr) std::swap(pixel[0], pixel[2]);
    if (image.format() == PixelFormat::gray) pixel[0] = luma_bt601(color.r, color.g, color.b);
    const int ch = image.channels();
    for (int y = inside.y; y < inside.bottom(); ++y) {
        std::uint8_t* p = image.row(y) + std::ptrdiff_t{inside.x} * ch;
        for (int x = 0; x < inside.width; ++x)
            for (int c = 0; c < ch; ++c) *p++ = pixel[c];
    }
}

inline void require_drawable(const MutableImageView& image, int scale) {
    if (image.empty()) fail("drawing target", "a non-empty image", "an empty one");
    if (scale < 1 || scale > 64) fail("text scale", "1 to 64", scale);
}

}  // namespace detail

// Width and height in pixels of `text` drawn at `scale` (one line; no trailing gap).
inline int text_width(std::string_view text, int scale = 1) {
    if (text.empty()) return 0;
    return (int(text.size()) * detail::glyph_cell_width - 1) * scale;
}
inline int text_height(int scale = 1) {
    return detail::glyph_height * scale;
}

// Draws the outline of `box`, `thickness` pixels wide, inside the box's edges.
// Throws: fer::error if the image is empty or thickness < 1.
inline void draw_rectangle(const MutableImageView& image, const Rect& box, const Color& color,
                           int thickness = 2) {
    detail::require_drawable(image, 1);
    if (thickness < 1) detail::fail("rectangle thickness", "at least 1", thickness);
    if (box.empty()) return;
    const int t = std::min({thickness, box.width, box.height});
    detail::fill_clipped(image, Rect{box.x, box.y, box.width, t}, color);
    detail::fill_clipped(image, Rect{box.x, box.bottom() - t, box.width, t}, color);
    detail::fill_clipped(image, Rect{box.x, box.y, t, box.height}, color);
    detail::fill_clipped(image, Rect{box.right() - t, box.y, t, box.height}, color);
}

// Fills `box` with `color`. Throws: fer::error if the image is empty.
inline void fill_rectangle(const MutableImageView& image, const Rect& box, const Color& color) {
    detail::require_drawable(image, 1);
    detail::fill_clipped(image, box, color);
}

// Draws a straight line from (x0, y0) to (x1, y1), both ends included, `thickness` pixels wide
// (a square pen moved along the line's pixels); parts outside the image are clipped.
// Throws: fer::error if the image is empty, thickness is not 1 to 64, or an end point lies more
//         than limits::max_image_side pixels outside the image (the walk would take too long).
inline void draw_line(const MutableImageView& image, int x0, int y0, int x1, int y1,
                      const Color& color, int thickness = 1) {
    detail::require_drawable(image, 1);
    if (thickness < 1 || thickness > 64) detail::fail("line thickness", "1 to 64", thickness);
    for (const int v : {x0, y0, x1, y1})
        if (v < -limits::max_image_side || v > 2 * limits::max_image_side)
            detail::fail(
                "line end point coordinate",
                detail::concat(-limits::max_image_side, " to ", 2 * limits::max_image_side), v);
    std::int64_t x = x0, y = y0;
    const std::int64_t dx = std::abs(std::int64_t{x1} - x0), dy = -std::abs(std::int64_t{y1} - y0);
    const int sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
    std::int64_t err = dx + dy;
    const int offset = (thickness - 1) / 2;
    const Rect bounds = image.bounds();
    for (;;) {
        if (x >= bounds.x - thickness && x <= bounds.right() + thickness &&
            y >= bounds.y - thickness && y <= bounds.bottom() + thickness)
            detail::fill_clipped(
                image, Rect{int(x) - offset, int(y) - offset, thickness, thickness}, color);
        if (x == x1 && y == y1) break;
        const std::int64_t e2 = 2 * err;
        if (e2 >= dy) {
            err += dy;
            x += sx;
        }
        if (e2 <= dx) {
            err += dx;
            y += sy;
        }
    }
}

// Draws `text` with its top-left corner at (x, y).
// Throws: fer::error if the image is empty or scale is not 1 to 64.
inline void draw_text(const MutableImageView& image, int x, int y, std::string_view text,
                      const Color& color, int scale = 1) {
    detail::require_drawable(image, scale);
    for (std::size_t i = 0; i < text.size(); ++i) {
        const int left = x + int(i) * detail::glyph_cell_width * scale;
        const std::uint8_t* rows = detail::glyph_rows(text[i]);
        for (int row = 0; row < detail::glyph_height; ++row)
            for (int col = 0; col < detail::glyph_width; ++col)
                if (rows[row] & (1u << (detail::glyph_width - 1 - col)))
                    detail::fill_clipped(
                        image, Rect{left + col * scale, y + row * scale, scale, scale}, color);
    }
}

// A caption for `box`: `text` in `foreground` on a filled `background` strip just above the box,
// or just inside its top edge when there is no room above; shifted left to stay in the image.
// Throws: fer::error if the image is empty or scale is not 1 to 64.
inline void draw_label(const MutableImageView& image, const Rect& box, std::string_view text,
                       const Color& background, const Color& foreground = Color{255, 255, 255},
                       int scale = 2) {
    detail::require_drawable(image, scale);
    const int pad = scale;
    const int strip_height = text_height(scale) + 2 * pad;
    const int top = box.y - strip_height >= 0 ? box.y - strip_height : box.y;
    const int strip_width = text_width(text, scale) + 2 * pad;
    // Moved left, as far as the image's left edge, when it would run past the right edge.
    const int left = std::max(0, std::min(box.x, image.width() - strip_width));
    detail::fill_clipped(image, Rect{left, top, strip_width, strip_height}, background);
    draw_text(image, left + pad, top + pad, text, foreground, scale);
}

}  // namespace fer

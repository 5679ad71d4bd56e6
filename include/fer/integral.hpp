// fer/integral.hpp - integral and squared integral images of a gray image, the tables that let a
// Viola-Jones detector sum any rectangle (and its squares, for the variance) in four lookups.
#pragma once

#include <cstdint>
#include <vector>

#include "error.hpp"
#include "image.hpp"

namespace fer {

// sum(x, y) is the sum of the pixels above and left of (x, y), exclusive, for 0 <= x <= width
// and 0 <= y <= height; row 0 and column 0 are zero. Likewise sqsum with squared pixels.
//
// Why 32 bits for `sum` is enough: entries wrap modulo 2^32 on big images, but rectangle sums are
// differences of entries, and modular arithmetic makes those exact whenever the true rectangle sum
// is below 2^32, that is for any rectangle of up to 16.8 million pixels. Squares reach 2^32
// after only 66,000 pixels (a 257 x 257 window), so `sqsum` is 64-bit.
struct IntegralImages {
    int width = 0;  // of the source image; the tables have (width + 1) * (height + 1) entries
    int height = 0;
    std::vector<std::uint32_t> sum;
    std::vector<std::uint64_t> sqsum;

    std::ptrdiff_t stride() const { return std::ptrdiff_t{width} + 1; }

    // Sum of the pixels in r. Requires r to lie inside the image (not checked: hot path).
    std::uint32_t rect_sum(const Rect& r) const {
        const std::ptrdiff_t s = stride();
        const std::uint32_t* top = sum.data() + std::ptrdiff_t{r.y} * s;
        const std::uint32_t* bottom = sum.data() + std::ptrdiff_t{r.bottom()} * s;
        return bottom[r.right()] - bottom[r.x] - top[r.right()] + top[r.x];
    }

    // Sum of the squared pixels in r. Requires r to lie inside the image.
    std::uint64_t rect_sqsum(const Rect& r) const {
        const std::ptrdiff_t s = stride();
        const std::uint64_t* top = sqsum.data() + std::ptrdiff_t{r.y} * s;
        const std::uint64_t* bottom = sqsum.data() + std::ptrdiff_t{r.bottom()} * s;
        return bottom[r.right()] - bottom[r.x] - top[r.right()] + top[r.x];
    }
};

// Builds both tables in one pass over the image.
// Throws: fer::error if src is empty or not gray.
inline IntegralImages integral_images(const ImageView& src) {
    if (src.empty()) detail::fail("integral_images", "a non-empty image", "an empty one");
    if (src.format() != PixelFormat::gray)
        detail::fail("integral_images input format", "gray", to_string(src.format()));
    IntegralImages out;
    out.width = src.width();
    out.height = src.height();
    const std::ptrdiff_t s = out.stride();
    const std::size_t entries = std::size_t(s) * std::size_t(out.height + 1);
    out.sum.assign(entries, 0);
    out.sqsum.assign(entries, 0);
    for (int y = 0; y < out.height; ++y) {
        const std::uint8_t* pixels = src.row(y);
        const std::uint32_t* sum_above = out.sum.data() + std::ptrdiff_t{y} * s;
        const std::uint64_t* sqsum_above = out.sqsum.data() + std::ptrdiff_t{y} * s;
        std::uint32_t* sum_row = out.sum.data() + std::ptrdiff_t{y + 1} * s;
        std::uint64_t* sqsum_row = out.sqsum.data() + std::ptrdiff_t{y + 1} * s;
        // Running sums along the row plus the finished row above.
        std::uint32_t row_sum = 0;
        std::uint64_t row_sqsum = 0;
        for (int x = 0; x < out.width; ++x) {
            const std::uint32_t v = pixels[x];
            row_sum += v;
            row_sqsum += v * v;
            sum_row[x + 1] = sum_above[x + 1] + row_sum;
            sqsum_row[x + 1] = sqsum_above[x + 1] + row_sqsum;
        }
    }
    return out;
}

}  // namespace fer

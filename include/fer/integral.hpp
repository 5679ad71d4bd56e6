// fer/integral.hpp - integral and squared integral images of a gray image, the tables that let a
// Viola-Jones detector sum any rectangle (and its squares, for the variance) in four lookups.
#pragma once

#include <algorithm>
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

// The 45-degree ("tilted") integral image that rotated Haar features read, as OpenCV's
// cv::integral defines it: entry (X, Y), for 0 <= X <= width and 0 <= Y <= height, is the sum of
// the pixels (x, y) with y < Y and |x - X + 1| <= Y - 1 - y, the triangle that points down to
// pixel (X - 1, Y - 1). Entries wrap modulo 2^32 like `IntegralImages::sum`; differences of four
// entries (a rotated rectangle) are exact while the true sum is below 2^32.
// Throws: fer::error if src is empty or not gray.
inline std::vector<std::uint32_t> tilted_integral(const ImageView& src) {
    if (src.empty()) detail::fail("tilted_integral", "a non-empty image", "an empty one");
    if (src.format() != PixelFormat::gray)
        detail::fail("tilted_integral input format", "gray", to_string(src.format()));
    const int W = src.width(), H = src.height();
    const std::ptrdiff_t stride = std::ptrdiff_t{W} + 1;
    std::vector<std::uint32_t> out(std::size_t(stride) * std::size_t(H + 1), 0);

    // With P(y, k) the sum of row y up to column k (0 for k < 0, the row total for k >= W - 1):
    //   T(X, Y) = sum_{y<Y} P(y, X + Y - 2 - y) - sum_{y<Y} P(y, X - Y - 1 + y)
    // The two sums run along diagonals; `down[u]` and `up[v]` accumulate them row by row, for
    // u = X + Y - 2 in [-2, W + H - 2] and v = X - Y - 1 in [-H - 1, W - 2].
    const int u_lo = -2, v_lo = -H - 1;
    std::vector<std::uint32_t> down(std::size_t(W + H + 1), 0), up(std::size_t(W + H + 1), 0);
    std::vector<std::uint32_t> prefix(std::size_t(W) + 1, 0);  // prefix[k + 1] = P(y, k)
    auto row_prefix = [&](std::ptrdiff_t k) {
        return prefix[std::size_t(std::clamp<std::ptrdiff_t>(k + 1, 0, W))];
    };
    for (int Y = 1; Y <= H; ++Y) {
        const int y = Y - 1;
        const std::uint8_t* pixels = src.row(y);
        for (int x = 0; x < W; ++x) prefix[std::size_t(x) + 1] = prefix[std::size_t(x)] + pixels[x];
        for (int u = u_lo; u <= W + H - 2; ++u)
            down[std::size_t(u - u_lo)] += row_prefix(std::ptrdiff_t{u} - y);
        for (int v = v_lo; v <= W - 2; ++v)
            up[std::size_t(v - v_lo)] += row_prefix(std::ptrdiff_t{v} + y);
        std::uint32_t* row = out.data() + std::ptrdiff_t{Y} * stride;
        for (int X = 0; X <= W; ++X)
            row[X] = down[std::size_t(X + Y - 2 - u_lo)] - up[std::size_t(X - Y - 1 - v_lo)];
    }
    return out;
}

}  // namespace fer

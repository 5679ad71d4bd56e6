// fer/video/yuv.hpp - YUV 4:2:0 planes to and from RGB pixels (ITU-R BT.601).
//
// Video arrives as a luma plane (Y) and two chroma planes (U = Cb, V = Cr) subsampled 2 x 2, the
// layout of Y4M's 420 colourspaces and of most codecs' output. Limited ("TV") range puts black at
// Y = 16 and white at 235, chroma 16-240; full ("PC", JPEG) range uses 0-255. The conversion uses
// 14-bit fixed-point coefficients and rounds to nearest; each chroma sample is shared by its 2 x 2
// block of pixels (no chroma interpolation: these frames feed a face detector, not a display).
// Odd sizes round the chroma planes up: (width + 1) / 2 by (height + 1) / 2.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "../error.hpp"
#include "../image.hpp"

namespace fer {

// The three planes of one 4:2:0 frame, packed one after another (Y, then U, then V).
struct Yuv420Layout {
    int width = 0, height = 0;
    std::size_t luma_bytes() const { return std::size_t(width) * height; }
    int chroma_width() const { return (width + 1) / 2; }
    int chroma_height() const { return (height + 1) / 2; }
    std::size_t chroma_bytes() const { return std::size_t(chroma_width()) * chroma_height(); }
    std::size_t frame_bytes() const { return luma_bytes() + 2 * chroma_bytes(); }
};

namespace detail {

inline std::uint8_t clamp_byte(int v) {
    return std::uint8_t(std::clamp(v, 0, 255));
}

// BT.601 YCbCr -> RGB in 1/16384 units: R = ky (Y - y0) + kr_v V', G = ky (Y - y0) - kg_u U' -
// kg_v V', B = ky (Y - y0) + kb_u U', with U' = U - 128, V' = V - 128.
struct YuvToRgbCoefficients {
    int y0, ky, kr_v, kg_u, kg_v, kb_u;
};
constexpr int yuv_fraction_bits = 14;
constexpr int yuv_fixed(double k) {
    return int(k * (1 << yuv_fraction_bits) + 0.5);
}
constexpr YuvToRgbCoefficients yuv_to_rgb_coefficients(bool full_range) {
    // Limited range stretches 219 luma and 224 chroma steps to 255.
    const double ys = full_range ? 1.0 : 255.0 / 219.0;
    const double cs = full_range ? 1.0 : 255.0 / 224.0;
    return {full_range ? 0 : 16,      yuv_fixed(ys),
            yuv_fixed(1.402 * cs),    yuv_fixed(0.344136 * cs),
            yuv_fixed(0.714136 * cs), yuv_fixed(1.772 * cs)};
}

// One pixel: luma `y`, chroma `u`, `v` (0-255 each) -> rgb at `out`.
inline void ycbcr_to_rgb(int y, int u, int v, const YuvToRgbCoefficients& k, std::uint8_t* out) {
    constexpr int half = 1 << (yuv_fraction_bits - 1);
    const int l = k.ky * (y - k.y0) + half;
    const int cb = u - 128, cr = v - 128;
    out[0] = clamp_byte((l + k.kr_v * cr) >> yuv_fraction_bits);
    out[1] = clamp_byte((l - k.kg_u * cb - k.kg_v * cr) >> yuv_fraction_bits);
    out[2] = clamp_byte((l + k.kb_u * cb) >> yuv_fraction_bits);
}

}  // namespace detail

// Y, U, V planes (rows of `layout.width`, resp. chroma_width(), bytes) -> an rgb image of the
// layout's size, reusing `rgb`'s storage.
inline void yuv420_to_rgb(const std::uint8_t* y_plane, const std::uint8_t* u_plane,
                          const std::uint8_t* v_plane, const Yuv420Layout& layout, bool full_range,
                          Image& rgb) {
    rgb.reset(layout.width, layout.height, PixelFormat::rgb);
    const detail::YuvToRgbCoefficients k = detail::yuv_to_rgb_coefficients(full_range);
    const int cw = layout.chroma_width();
    for (int y = 0; y < layout.height; ++y) {
        const std::uint8_t* luma = y_plane + std::size_t(y) * layout.width;
        const std::uint8_t* u = u_plane + std::size_t(y / 2) * cw;
        const std::uint8_t* v = v_plane + std::size_t(y / 2) * cw;
        std::uint8_t* out = rgb.row(y);
        for (int x = 0; x < layout.width; ++x)
            detail::ycbcr_to_rgb(luma[x], u[x / 2], v[x / 2], k, out + 3 * x);
    }
}

// A luma plane alone (monochrome video) -> a gray image; limited range is stretched to 0-255.
inline void luma_to_gray(const std::uint8_t* y_plane, int width, int height, bool full_range,
                         Image& gray) {
    gray.reset(width, height, PixelFormat::gray);
    const detail::YuvToRgbCoefficients k = detail::yuv_to_rgb_coefficients(full_range);
    constexpr int half = 1 << (detail::yuv_fraction_bits - 1);
    const std::uint8_t* src = y_plane;
    std::uint8_t* dst = gray.data();
    for (std::size_t i = 0, n = std::size_t(width) * height; i < n; ++i)
        dst[i] = detail::clamp_byte((k.ky * (src[i] - k.y0) + half) >> detail::yuv_fraction_bits);
}

// An rgb, bgr or gray image -> limited-range BT.601 4:2:0 planes (Y, U, V packed in `planes`),
// chroma averaged over each 2 x 2 block; what encoders expect from a yuv420p stream.
// Throws: fer::error for an empty image.
inline void rgb_to_yuv420(const ImageView& image, std::vector<std::uint8_t>& planes) {
    if (image.empty()) detail::fail("rgb_to_yuv420 input", "a non-empty image", "an empty one");
    const Yuv420Layout layout{image.width(), image.height()};
    planes.resize(layout.frame_bytes());
    std::uint8_t* y_plane = planes.data();
    std::uint8_t* u_plane = y_plane + layout.luma_bytes();
    std::uint8_t* v_plane = u_plane + layout.chroma_bytes();
    const int ch = image.channels();
    const int r_at = image.format() == PixelFormat::bgr ? 2 : 0;
    const int b_at = ch == 1 ? 0 : 2 - r_at;
    const int g_at = ch == 1 ? 0 : 1;
    auto rgb_at = [&](int x, int y, int& r, int& g, int& b) {
        const std::uint8_t* p = image.row(y) + std::ptrdiff_t{x} * ch;
        r = p[r_at];
        g = p[g_at];
        b = p[b_at];
    };
    for (int y = 0; y < layout.height; ++y)
        for (int x = 0; x < layout.width; ++x) {
            int r, g, b;
            rgb_at(x, y, r, g, b);
            y_plane[std::size_t(y) * layout.width + x] =
                std::uint8_t(((66 * r + 129 * g + 25 * b + 128) >> 8) + 16);
        }
    for (int cy = 0; cy < layout.chroma_height(); ++cy)
        for (int cx = 0; cx < layout.chroma_width(); ++cx) {
            int sr = 0, sg = 0, sb = 0, n = 0;
            for (int y = 2 * cy; y < std::min(2 * cy + 2, layout.height); ++y)
                for (int x = 2 * cx; x < std::min(2 * cx + 2, layout.width); ++x) {
                    int r, g, b;
                    rgb_at(x, y, r, g, b);
                    sr += r;
                    sg += g;
                    sb += b;
                    ++n;
                }
            // Averages rounded to nearest, then the BT.601 studio-swing matrix.
            const int r = (sr + n / 2) / n, g = (sg + n / 2) / n, b = (sb + n / 2) / n;
            const std::size_t at = std::size_t(cy) * layout.chroma_width() + cx;
            u_plane[at] = std::uint8_t(((-38 * r - 74 * g + 112 * b + 128) >> 8) + 128);
            v_plane[at] = std::uint8_t(((112 * r - 94 * g - 18 * b + 128) >> 8) + 128);
        }
}

}  // namespace fer

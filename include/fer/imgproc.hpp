// fer/imgproc.hpp - pixel operations on 8-bit images: format conversion, crop, resize, histogram
// equalization.
//
// All functions take read-only views and return new packed images; none modifies its input.
// Each throws fer::error when given an empty view.
#pragma once

#include <cmath>
#include <cstdint>
#include <type_traits>
#include <utility>
#include <vector>

#include "error.hpp"
#include "image.hpp"

namespace fer {

namespace detail {

inline void require_nonempty(const ImageView& src, const char* operation) {
    if (src.empty()) fail(operation, "a non-empty image", "an empty one");
}

// BT.601 luma (0.299 R + 0.587 G + 0.114 B) in 15-bit fixed point, rounded, exactly as OpenCV 4's
// cvtColor(..., COLOR_RGB2GRAY) computes it, so that detections on our gray images can be compared
// with OpenCV's pixel for pixel. The weights sum to 2^15, so white stays 255.
constexpr std::uint8_t luma_bt601(std::uint8_t r, std::uint8_t g, std::uint8_t b) {
    return static_cast<std::uint8_t>((9798 * r + 19235 * g + 3735 * b + (1 << 14)) >> 15);
}

}  // namespace detail

// The same pixels in another format. gray -> rgb/bgr replicates the gray value; rgb/bgr -> gray
// uses BT.601 luma with OpenCV's rounding; rgb <-> bgr swaps channels.
// `dst` (not src's pixels) is reused: no allocation once it has held as many pixels.
// Throws: fer::error if src is empty.
inline void convert(const ImageView& src, PixelFormat to, Image& dst) {
    detail::require_nonempty(src, "convert");
    dst.reset(src.width(), src.height(), to);
    const PixelFormat from = src.format();
    const bool src_rgb = from == PixelFormat::rgb;  // channel order of a 3-channel source
    const bool dst_rgb = to == PixelFormat::rgb;
    for (int y = 0; y < src.height(); ++y) {
        const std::uint8_t* s = src.row(y);
        std::uint8_t* d = dst.row(y);
        const int w = src.width();
        if (from == to) {
            std::copy(s, s + std::ptrdiff_t{w} * src.channels(), d);
        } else if (from == PixelFormat::gray) {
            for (int x = 0; x < w; ++x) d[3 * x] = d[3 * x + 1] = d[3 * x + 2] = s[x];
        } else if (to == PixelFormat::gray) {
            // Two loops with constant channel positions, which the compiler vectorizes.
            if (src_rgb)
                for (int x = 0; x < w; ++x)
                    d[x] = detail::luma_bt601(s[3 * x], s[3 * x + 1], s[3 * x + 2]);
            else
                for (int x = 0; x < w; ++x)
                    d[x] = detail::luma_bt601(s[3 * x + 2], s[3 * x + 1], s[3 * x]);
        } else {
            FER_ASSERT(src_rgb != dst_rgb);
            for (int x = 0; x < w; ++x) {
                d[3 * x] = s[3 * x + 2];
                d[3 * x + 1] = s[3 * x + 1];
                d[3 * x + 2] = s[3 * x];
            }
        }
    }
}

inline Image convert(const ImageView& src, PixelFormat to) {
    Image dst;
    convert(src, to, dst);
    return dst;
}

// Shorthand for convert(src, PixelFormat::gray).
inline Image to_gray(const ImageView& src) {
    return convert(src, PixelFormat::gray);
}

// A copy of the part of `region` that lies inside the image ("crop with clamping").
// Throws: fer::error if src is empty or region does not overlap the image.
inline Image crop(const ImageView& src, const Rect& region) {
    detail::require_nonempty(src, "crop");
    const Rect inside = intersect(region, src.bounds());
    if (inside.empty())
        detail::fail("crop region",
                     detail::concat("a rectangle overlapping the ", src.width(), "x", src.height(),
                                    " image"),
                     detail::concat("[", region.x, ", ", region.y, ", ", region.width, ", ",
                                    region.height, "]"));
    const ImageView part = src.subview(inside);
    Image dst(inside.width, inside.height, src.format());
    const std::ptrdiff_t row_bytes = dst.stride();
    for (int y = 0; y < inside.height; ++y)
        std::copy(part.row(y), part.row(y) + row_bytes, dst.row(y));
    return dst;
}

namespace detail {

// Bilinear taps along one axis, computed as OpenCV 4 computes them for 8-bit INTER_LINEAR so that
// our image pyramids are bit-identical to OpenCV's: destination pixel d samples the source at
// (d + 0.5) * src/dst - 0.5 (in float); both weights are rounded separately to 11-bit fixed
// point. Along x a sample left of the first or right of the last pixel takes that edge pixel with
// full weight; along y the fraction is kept and both row indices are clamped instead.
struct LinearTaps {
    std::vector<int> first;   // index of the left/top source pixel
    std::vector<int> second;  // index of the right/bottom source pixel
    std::vector<int> weight_first;
    std::vector<int> weight_second;
};

inline constexpr int linear_weight_bits = 11;

inline void linear_taps(int src_size, int dst_size, bool clamp_fraction, LinearTaps& taps) {
    taps.first.resize(dst_size);
    taps.second.resize(dst_size);
    taps.weight_first.resize(dst_size);
    taps.weight_second.resize(dst_size);
    // OpenCV derives the step as the inverse of dst/src; the last bit can matter after rounding.
    const double scale = 1.0 / (double(dst_size) / double(src_size));
    const float one = float(1 << linear_weight_bits);
    for (int d = 0; d < dst_size; ++d) {
        float frac = float((d + 0.5) * scale - 0.5);
        int i = int(std::floor(frac));
        frac -= float(i);
        int j = i + 1;
        if (clamp_fraction && i < 0) i = j = 0, frac = 0.0f;
        if (clamp_fraction && i >= src_size - 1) i = j = src_size - 1, frac = 0.0f;
        taps.first[d] = std::clamp(i, 0, src_size - 1);
        taps.second[d] = std::clamp(j, 0, src_size - 1);
        taps.weight_first[d] = int(std::lrint((1.0f - frac) * one));
        taps.weight_second[d] = int(std::lrint(frac * one));
    }
}

}  // namespace detail

namespace detail {

// Exact halving in both directions: OpenCV switches INTER_LINEAR to a 2 x 2 box average there.
inline void halve(const ImageView& src, Image& dst) {
    const int ch = src.channels();
    dst.reset(src.width() / 2, src.height() / 2, src.format());
    for (int y = 0; y < dst.height(); ++y) {
        const std::uint8_t* a = src.row(2 * y);
        const std::uint8_t* b = src.row(2 * y + 1);
        std::uint8_t* d = dst.row(y);
        for (int x = 0; x < dst.width(); ++x)
            for (int c = 0; c < ch; ++c) {
                const int i = 2 * x * ch + c;
                d[x * ch + c] = std::uint8_t((a[i] + a[i + ch] + b[i] + b[i + ch] + 2) >> 2);
            }
    }
}

}  // namespace detail

// Working memory of resize_bilinear, kept between calls so that repeated resizes (a detector's
// frames) allocate nothing once their sizes have been seen.
struct BilinearScratch {
    detail::LinearTaps x, y;
    std::vector<int> rows[2];  // two source rows after the horizontal pass
};

// Bilinear resize with half-pixel centres and edge clamping: OpenCV 4's INTER_LINEAR for 8-bit
// images, reproduced to the bit (11-bit weights; the vertical pass rounds as OpenCV's vector code
// does; exact halving is a 2 x 2 average, as in OpenCV). Each output differs from the exact
// bilinear value by at most 1. Writes into `dst`, reusing its storage and the scratch's.
// Requires: dst does not share pixels with src.
// Throws: fer::error if src is empty or the new size breaks fer/limits.hpp.
inline void resize_bilinear(const ImageView& src, int width, int height, Image& dst,
                            BilinearScratch& scratch) {
    detail::require_nonempty(src, "resize_bilinear");
    detail::check_image_size(width, height);
    if (src.width() == 2 * width && src.height() == 2 * height) return detail::halve(src, dst);
    const int ch = src.channels();
    detail::LinearTaps& tx = scratch.x;
    detail::LinearTaps& ty = scratch.y;
    detail::linear_taps(src.width(), width, true, tx);
    detail::linear_taps(src.height(), height, false, ty);

    // Horizontal pass of a source row into 2048-scaled integers. Two rows stay cached because
    // neighbouring output rows share source rows; `keep` is the slot the caller still reads.
    std::vector<int>* rows = scratch.rows;
    for (int k = 0; k < 2; ++k) rows[k].resize(std::size_t(width) * ch);
    int cached[2] = {-1, -1};
    auto horizontal = [&](int sy, int keep) -> int {
        for (int k = 0; k < 2; ++k)
            if (cached[k] == sy) return k;
        const int slot = keep == 0 ? 1 : 0;
        const std::uint8_t* s = src.row(sy);
        int* out = rows[slot].data();
        for (int x = 0; x < width; ++x) {
            const std::uint8_t* a = s + std::ptrdiff_t{tx.first[x]} * ch;
            const std::uint8_t* b = s + std::ptrdiff_t{tx.second[x]} * ch;
            const int wa = tx.weight_first[x], wb = tx.weight_second[x];
            for (int c = 0; c < ch; ++c) out[x * ch + c] = a[c] * wa + b[c] * wb;
        }
        cached[slot] = sy;
        return slot;
    };

    dst.reset(width, height, src.format());
    for (int y = 0; y < height; ++y) {
        const int top_slot = horizontal(ty.first[y], -1);
        const std::vector<int>& top = rows[top_slot];
        const std::vector<int>& bottom = rows[horizontal(ty.second[y], top_slot)];
        const int wa = ty.weight_first[y], wb = ty.weight_second[y];
        std::uint8_t* d = dst.row(y);
        for (int i = 0; i < width * ch; ++i) {
            // OpenCV's vertical step: drop 4 bits to fit 16-bit lanes, multiply keeping the high
            // 16 bits of each product, then round away the last 2 bits.
            const int v = (((top[i] >> 4) * wa) >> 16) + (((bottom[i] >> 4) * wb) >> 16);
            d[i] = static_cast<std::uint8_t>(std::clamp((v + 2) >> 2, 0, 255));
        }
    }
}

// resize_bilinear into a new image.
inline Image resize_bilinear(const ImageView& src, int width, int height) {
    Image dst;
    BilinearScratch scratch;
    resize_bilinear(src, width, height, dst, scratch);
    return dst;
}

namespace detail {

// resize_linear_exact's working memory: a pyramid of one image size allocates nothing once warm.
struct LinearExactScratch {
    struct Tap {
        int first, second, weight_first, weight_second;
    };
    std::vector<Tap> x_taps, y_taps;
    std::vector<std::uint16_t> rows[2];  // horizontal passes of the two rows an output row blends
};

// OpenCV's INTER_LINEAR_EXACT for gray images, the resize its cascade detector builds pyramids
// with: sample positions in double, 8-bit weights rounded half up, products kept exactly, one
// final rounding. Used for the detector's pyramid, where identical pixels mean identical
// windows. Writes into `dst`, reusing its storage and the scratch's.
inline void resize_linear_exact(const ImageView& src, int width, int height, Image& dst,
                                LinearExactScratch& scratch) {
    FER_ASSERT(src.format() == PixelFormat::gray);
    check_image_size(width, height);
    using Tap = LinearExactScratch::Tap;
    constexpr int bits = 8, one = 1 << bits;
    auto taps = [](int src_size, int dst_size, std::vector<Tap>& out) {
        out.resize(static_cast<std::size_t>(dst_size));
        const double scale = 1.0 / (double(dst_size) / double(src_size));
        for (int d = 0; d < dst_size; ++d) {
            const double pos = (d + 0.5) * scale - 0.5;
            int i = int(std::floor(pos));
            int w = int(std::floor((pos - i) * one + 0.5));
            if (i < 0) i = 0, w = 0;
            if (i >= src_size - 1) i = src_size - 1, w = 0;
            out[std::size_t(d)] = Tap{i, std::min(i + 1, src_size - 1), one - w, w};
        }
    };
    std::vector<Tap>& tx = scratch.x_taps;
    std::vector<Tap>& ty = scratch.y_taps;
    taps(src.width(), width, tx);
    taps(src.height(), height, ty);
    dst.reset(width, height, PixelFormat::gray);
    std::vector<std::uint16_t>* rows = scratch.rows;
    for (int k = 0; k < 2; ++k) rows[k].resize(static_cast<std::size_t>(width));
    int cached[2] = {-1, -1};
    auto horizontal = [&](int sy, int keep) -> const std::uint16_t* {
        for (int k = 0; k < 2; ++k)
            if (cached[k] == sy) return rows[k].data();
        const int slot = keep == 0 ? 1 : 0;
        const std::uint8_t* s = src.row(sy);
        std::uint16_t* out = rows[slot].data();
        for (int x = 0; x < width; ++x) {
            const Tap& t = tx[std::size_t(x)];
            out[x] = std::uint16_t(s[t.first] * t.weight_first + s[t.second] * t.weight_second);
        }
        cached[slot] = sy;
        return out;
    };
    for (int y = 0; y < height; ++y) {
        const Tap& t = ty[std::size_t(y)];
        const std::uint16_t* top = horizontal(t.first, -1);
        const std::uint16_t* bottom = horizontal(t.second, cached[0] == t.first ? 0 : 1);
        std::uint8_t* d = dst.row(y);
        const std::uint32_t wa = std::uint32_t(t.weight_first), wb = std::uint32_t(t.weight_second);
        for (int x = 0; x < width; ++x) {
            const std::uint32_t v = top[x] * wa + bottom[x] * wb;
            d[x] = std::uint8_t((v + (1u << (2 * bits - 1))) >> (2 * bits));
        }
    }
}

inline Image resize_linear_exact(const ImageView& src, int width, int height) {
    Image dst;
    LinearExactScratch scratch;
    resize_linear_exact(src, width, height, dst, scratch);
    return dst;
}

// Box-filter taps along one axis: destination pixel d averages the source interval
// [d * scale, (d + 1) * scale), each source pixel weighted by the length it overlaps.
struct AreaTaps {
    std::vector<int> begin;  // per destination pixel, range into index/weight
    std::vector<int> index;
    std::vector<float> weight;  // already divided by `scale`, so each range sums to 1
};

// Fills `taps`, reusing its storage.
inline void area_taps(int src_size, int dst_size, AreaTaps& taps) {
    taps.begin.clear();
    taps.index.clear();
    taps.weight.clear();
    const double scale = double(src_size) / double(dst_size);
    for (int d = 0; d < dst_size; ++d) {
        taps.begin.push_back(int(taps.index.size()));
        const double lo = d * scale;
        const double hi = (d + 1) * scale;
        const int first = int(std::floor(lo));
        const int last = std::min(src_size - 1, int(std::ceil(hi)) - 1);
        for (int s = first; s <= last; ++s) {
            const double overlap = std::min(hi, s + 1.0) - std::max(lo, double(s));
            if (overlap <= 0.0) continue;
            taps.index.push_back(s);
            taps.weight.push_back(float(overlap / scale));
        }
    }
    taps.begin.push_back(int(taps.index.size()));
}

}  // namespace detail

// resize_area's working memory: reused, calls of the same sizes allocate nothing once warm.
struct AreaResizeScratch {
    detail::AreaTaps x, y;
    std::vector<float> horizontal, sum;
};

// Area (box-filter) resize: each output pixel is the average of the source area it covers, with
// partly covered pixels weighted by their overlap. The right choice for shrinking; it does not
// alias. Outputs are rounded to nearest; they differ from the exact average by at most 1.
// Into `dst`, with `scratch`, both reused.
// Throws: fer::error if src is empty or the new size breaks fer/limits.hpp.
inline void resize_area(const ImageView& src, int width, int height, Image& dst,
                        AreaResizeScratch& scratch) {
    detail::require_nonempty(src, "resize_area");
    detail::check_image_size(width, height);
    const int ch = src.channels();
    detail::area_taps(src.width(), width, scratch.x);
    detail::area_taps(src.height(), height, scratch.y);
    const detail::AreaTaps& tx = scratch.x;
    const detail::AreaTaps& ty = scratch.y;

    dst.reset(width, height, src.format());
    std::vector<float>& horizontal = scratch.horizontal;
    std::vector<float>& sum = scratch.sum;
    horizontal.resize(std::size_t(width) * ch);
    sum.resize(std::size_t(width) * ch);
    for (int y = 0; y < height; ++y) {
        std::fill(sum.begin(), sum.end(), 0.0f);
        for (int k = ty.begin[y]; k < ty.begin[y + 1]; ++k) {
            // Horizontal pass of one contributing source row, then accumulate it with its weight.
            const std::uint8_t* s = src.row(ty.index[k]);
            for (int x = 0; x < width; ++x) {
                for (int c = 0; c < ch; ++c) {
                    float acc = 0.0f;
                    for (int j = tx.begin[x]; j < tx.begin[x + 1]; ++j)
                        acc += tx.weight[j] * s[std::ptrdiff_t{tx.index[j]} * ch + c];
                    horizontal[x * ch + c] = acc;
                }
            }
            const float wy = ty.weight[k];
            for (std::size_t i = 0; i < sum.size(); ++i) sum[i] += wy * horizontal[i];
        }
        std::uint8_t* d = dst.row(y);
        for (std::size_t i = 0; i < sum.size(); ++i)
            d[i] = static_cast<std::uint8_t>(std::clamp(std::lround(sum[i]), 0L, 255L));
    }
}

inline Image resize_area(const ImageView& src, int width, int height) {
    Image dst;
    AreaResizeScratch scratch;
    resize_area(src, width, height, dst, scratch);
    return dst;
}

// Histogram equalization of a gray image, with OpenCV's equalizeHist lookup table: the darkest
// level present maps to 0 and the others to round(255 * (cdf(v) - cdf(min)) / (N - cdf(min))).
// An image of one single level is returned unchanged.
// Throws: fer::error if src is empty or not gray.
inline Image equalize_histogram(const ImageView& src) {
    detail::require_nonempty(src, "equalize_histogram");
    if (src.format() != PixelFormat::gray)
        detail::fail("equalize_histogram input format", "gray", to_string(src.format()));
    std::int64_t histogram[256] = {};
    for (int y = 0; y < src.height(); ++y) {
        const std::uint8_t* s = src.row(y);
        for (int x = 0; x < src.width(); ++x) ++histogram[s[x]];
    }
    const std::int64_t total = std::int64_t{src.width()} * src.height();
    int lowest = 0;
    while (histogram[lowest] == 0) ++lowest;

    std::uint8_t lut[256];
    for (int v = 0; v < 256; ++v) lut[v] = static_cast<std::uint8_t>(v);
    if (histogram[lowest] != total) {
        // OpenCV computes the table in float and rounds half to even; so do we, for equal output.
        const float scale = 255.0f / float(total - histogram[lowest]);
        std::int64_t cumulative = 0;
        lut[lowest] = 0;
        for (int v = lowest + 1; v < 256; ++v) {
            cumulative += histogram[v];
            lut[v] = static_cast<std::uint8_t>(
                std::clamp(std::lrint(float(cumulative) * scale), 0L, 255L));
        }
    }
    Image dst(src.width(), src.height(), PixelFormat::gray);
    for (int y = 0; y < src.height(); ++y) {
        const std::uint8_t* s = src.row(y);
        std::uint8_t* d = dst.row(y);
        for (int x = 0; x < src.width(); ++x) d[x] = lut[s[x]];
    }
    return dst;
}

// A side x side square of `src` centred on (cx, cy) (continuous coordinates: pixel x covers
// [x, x + 1)), turned by `degrees`: the output's horizontal runs along the direction `degrees`
// below the source's horizontal (y grows downwards), so a face whose eyes slope by `degrees`
// comes out level. Bilinear sampling; outside the image the border pixels repeat.
// Throws: fer::error for an empty image or a side outside 1 to the image size limit.
inline Image crop_rotated(const ImageView& src, double cx, double cy, int side, double degrees) {
    detail::require_nonempty(src, "crop_rotated");
    detail::check_image_size(side, side);
    Image out(side, side, src.format());
    const double angle = degrees * 3.14159265358979323846 / 180.0;
    const double c = std::cos(angle), s = std::sin(angle);
    // The channel count as a constant, so that the per-pixel channel loop unrolls: this runs on
    // every face of every video frame.
    auto sample = [&](auto channel_count) {
        constexpr int channels = decltype(channel_count)::value;
        for (int y = 0; y < side; ++y) {
            std::uint8_t* dst = out.row(y);
            const double dy = y + 0.5 - side / 2.0;
            for (int x = 0; x < side; ++x, dst += channels) {
                const double dx = x + 0.5 - side / 2.0;
                // Source position in pixel-centre coordinates, clamped to the image.
                const double sx =
                    std::min(std::max(cx + dx * c - dy * s - 0.5, 0.0), double(src.width() - 1));
                const double sy =
                    std::min(std::max(cy + dx * s + dy * c - 0.5, 0.0), double(src.height() - 1));
                const int x0 = int(sx), y0 = int(sy);
                const int x1 = std::min(x0 + 1, src.width() - 1),
                          y1 = std::min(y0 + 1, src.height() - 1);
                const double fx = sx - x0, fy = sy - y0;
                const std::uint8_t* r0 = src.row(y0);
                const std::uint8_t* r1 = src.row(y1);
                for (int k = 0; k < channels; ++k) {
                    const double top =
                        r0[x0 * channels + k] * (1 - fx) + r0[x1 * channels + k] * fx;
                    const double bottom =
                        r1[x0 * channels + k] * (1 - fx) + r1[x1 * channels + k] * fx;
                    // Round half up; the value is in [0, 255], so truncating v + 0.5 is what
                    // std::lround gives, without the library call.
                    dst[k] = std::uint8_t(top * (1 - fy) + bottom * fy + 0.5);
                }
            }
        }
    };
    if (src.channels() == 1)
        sample(std::integral_constant<int, 1>{});
    else
        sample(std::integral_constant<int, 3>{});
    return out;
}

}  // namespace fer

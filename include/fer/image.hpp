// fer/image.hpp - 8-bit images: pixel formats, rectangles, views over caller memory, owning images.
//
// Conventions
//   - Pixels are 8-bit, interleaved, in one of three formats: gray (1 channel), rgb or bgr
//     (3 channels). The format travels with the view, so conversions know the channel order.
//   - A view never owns its pixels; `stride` is the distance in bytes between the starts of two
//     rows and may be larger than width * channels (padding, or a view into a larger image).
//   - An `Image` owns packed pixels (stride == width * channels) and hands out views.
//   - Coordinates are in pixels, x to the right, y down, origin at the top-left pixel.
//   - Sizes are checked against fer/limits.hpp when a view or image is made; a default-made view
//     or image is empty (0 x 0) and is the only legal way to have zero pixels.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "error.hpp"
#include "limits.hpp"

namespace fer {

enum class PixelFormat : std::uint8_t { gray, rgb, bgr };

constexpr int channel_count(PixelFormat format) {
    return format == PixelFormat::gray ? 1 : 3;
}

constexpr const char* to_string(PixelFormat format) {
    switch (format) {
        case PixelFormat::gray:
            return "gray";
        case PixelFormat::rgb:
            return "rgb";
        case PixelFormat::bgr:
            return "bgr";
    }
    return "unknown";
}

// An axis-aligned rectangle in pixels: [x, x + width) x [y, y + height).
struct Rect {
    int x = 0;
    int y = 0;
    int width = 0;
    int height = 0;

    constexpr bool empty() const { return width <= 0 || height <= 0; }
    constexpr std::int64_t area() const {
        return empty() ? 0 : std::int64_t{width} * std::int64_t{height};
    }
    constexpr int right() const { return x + width; }
    constexpr int bottom() const { return y + height; }
    friend constexpr bool operator==(const Rect& a, const Rect& b) {
        return a.x == b.x && a.y == b.y && a.width == b.width && a.height == b.height;
    }
    friend constexpr bool operator!=(const Rect& a, const Rect& b) { return !(a == b); }
};

// The overlap of two rectangles; empty (all zero) when they do not overlap.
constexpr Rect intersect(const Rect& a, const Rect& b) {
    const int x0 = std::max(a.x, b.x);
    const int y0 = std::max(a.y, b.y);
    const int x1 = std::min(a.right(), b.right());
    const int y1 = std::min(a.bottom(), b.bottom());
    if (x1 <= x0 || y1 <= y0) return Rect{};
    return Rect{x0, y0, x1 - x0, y1 - y0};
}

namespace detail {

// Throws unless 1 <= width, height <= max_image_side and width * height <= max_image_pixels.
inline void check_image_size(std::int64_t width, std::int64_t height) {
    if (width < 1 || width > limits::max_image_side)
        fail("image width", concat("1 to ", limits::max_image_side), width);
    if (height < 1 || height > limits::max_image_side)
        fail("image height", concat("1 to ", limits::max_image_side), height);
    if (width * height > limits::max_image_pixels)
        fail("image pixel count", concat("at most ", limits::max_image_pixels), width * height);
}

}  // namespace detail

// A view of 8-bit pixels owned by someone else. `Byte` is `const std::uint8_t` for ImageView and
// `std::uint8_t` for MutableImageView; a mutable view converts to a read-only one.
template <class Byte>
class BasicImageView {
    static_assert(std::is_same_v<std::remove_const_t<Byte>, std::uint8_t>);

  public:
    BasicImageView() = default;

    // Requires: data points to height rows of stride bytes (the last row may be only
    //           width * channels bytes long); stride 0 means packed rows.
    // Throws:   fer::error if data is null, a size breaks fer/limits.hpp, or stride is too small.
    BasicImageView(Byte* data, int width, int height, PixelFormat format, std::ptrdiff_t stride = 0)
        : data_(data), width_(width), height_(height), format_(format) {
        detail::check_image_size(width, height);
        if (data == nullptr) detail::fail("image data", "a non-null pointer", "null");
        const std::ptrdiff_t row_bytes = std::ptrdiff_t{width} * channel_count(format);
        stride_ = stride == 0 ? row_bytes : stride;
        if (stride_ < row_bytes)
            detail::fail("image stride", detail::concat("at least ", row_bytes, " bytes"), stride_);
    }

    template <class Other,
              class = std::enable_if_t<std::is_const_v<Byte> && !std::is_const_v<Other>>>
    BasicImageView(const BasicImageView<Other>& other)  // NOLINT: mutable to read-only is implicit
        : data_(other.data()),
          width_(other.width()),
          height_(other.height()),
          stride_(other.stride()),
          format_(other.format()) {}

    Byte* data() const { return data_; }
    int width() const { return width_; }
    int height() const { return height_; }
    std::ptrdiff_t stride() const { return stride_; }
    PixelFormat format() const { return format_; }
    int channels() const { return channel_count(format_); }
    bool empty() const { return width_ == 0; }
    Rect bounds() const { return Rect{0, 0, width_, height_}; }

    // Requires 0 <= y < height (not checked: this is the inner-loop accessor).
    Byte* row(int y) const { return data_ + std::ptrdiff_t{y} * stride_; }

    // The pixels inside `r`, without copying.
    // Throws: fer::error unless r is non-empty and lies inside the image.
    BasicImageView subview(const Rect& r) const {
        if (r.empty() || intersect(r, bounds()) != r)
            detail::fail("subview rectangle",
                         detail::concat("a non-empty rectangle inside ", width_, "x", height_),
                         detail::concat("[", r.x, ", ", r.y, ", ", r.width, ", ", r.height, "]"));
        return BasicImageView(row(r.y) + std::ptrdiff_t{r.x} * channels(), r.width, r.height,
                              format_, stride_);
    }

  private:
    Byte* data_ = nullptr;
    int width_ = 0;
    int height_ = 0;
    std::ptrdiff_t stride_ = 0;
    PixelFormat format_ = PixelFormat::gray;
};

using ImageView = BasicImageView<const std::uint8_t>;
using MutableImageView = BasicImageView<std::uint8_t>;

// An image that owns packed pixels.
class Image {
  public:
    Image() = default;

    // A zero-filled image. Throws: fer::error if a size breaks fer/limits.hpp.
    Image(int width, int height, PixelFormat format) { reset(width, height, format); }

    // Makes this a width x height image, reusing the storage when it is big enough. Pixels are
    // zero for a new image; reused pixels keep whatever they held (callers overwrite them).
    // Throws: fer::error if a size breaks fer/limits.hpp.
    void reset(int width, int height, PixelFormat format) {
        detail::check_image_size(width, height);
        pixels_.resize(std::size_t(width) * std::size_t(height) * channel_count(format));
        width_ = width;
        height_ = height;
        format_ = format;
    }

    int width() const { return width_; }
    int height() const { return height_; }
    PixelFormat format() const { return format_; }
    int channels() const { return channel_count(format_); }
    bool empty() const { return width_ == 0; }
    std::ptrdiff_t stride() const { return std::ptrdiff_t{width_} * channels(); }
    std::uint8_t* data() { return pixels_.data(); }
    const std::uint8_t* data() const { return pixels_.data(); }
    std::uint8_t* row(int y) { return pixels_.data() + y * stride(); }
    const std::uint8_t* row(int y) const { return pixels_.data() + y * stride(); }

    ImageView view() const {
        return empty() ? ImageView() : ImageView(data(), width_, height_, format_);
    }
    MutableImageView mutable_view() {
        return empty() ? MutableImageView() : MutableImageView(data(), width_, height_, format_);
    }
    operator ImageView() const { return view(); }  // NOLINT: an image is usable wherever a view is

  private:
    std::vector<std::uint8_t> pixels_;
    int width_ = 0;
    int height_ = 0;
    PixelFormat format_ = PixelFormat::gray;
};

}  // namespace fer

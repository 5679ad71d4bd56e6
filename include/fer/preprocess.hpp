// fer/preprocess.hpp - a face crop to the tensor a network reads.
//
// Three steps, each usable alone:
//   1. colour: the crop is converted to the network's channels (1: gray with OpenCV's BT.601
//      weights, 3: RGB; a gray crop is replicated into R, G and B);
//   2. size: shrinking (both sides at least the input's) averages areas (resize_area), so large
//      crops from photos do not alias; otherwise (FER2013's 48x48 crops into a 64x64 or 112x112
//      network) bilinear interpolation with half-pixel centres, computed in float and not rounded
//      back to 8 bits; optionally mirrored left to right (test-time flip);
//   3. normalization: each value v of channel c becomes v * scale + offset[c].
#pragma once

#include <algorithm>
#include <cmath>

#include "image.hpp"
#include "imgproc.hpp"
#include "nn/network.hpp"
#include "nn/tensor.hpp"

namespace fer {

namespace detail {

// Source taps of one output coordinate for half-pixel bilinear interpolation.
struct BilinearTap {
    int first = 0, second = 0;
    float fraction = 0.0f;  // weight of `second`
};

inline BilinearTap bilinear_tap(int out, int out_size, int in_size) {
    const double scale = double(in_size) / out_size;
    const double position = std::max((out + 0.5) * scale - 0.5, 0.0);
    BilinearTap t;
    t.first = std::min(int(position), in_size - 1);
    t.second = std::min(t.first + 1, in_size - 1);
    t.fraction = float(position - t.first);
    return t;
}

}  // namespace detail

// The intermediate pictures of steps 1 and 2, reused from call to call (no allocation once
// warm).
struct FacePixelsScratch {
    Image converted, shrunk;
    AreaResizeScratch area;
};

// Step 1 and 2: `face` as 0-255 floats of `shape` (the network's input shape), mirrored when
// `mirror`. Reuses `out`'s and `scratch`'s storage.
// Throws: fer::error for an empty face or a shape that is not 1 or 3 channels.
inline void face_pixels(const ImageView& face, const Shape& shape, bool mirror, Tensor& out,
                        FacePixelsScratch& scratch) {
    detail::require_nonempty(face, "face_pixels");
    if (shape.channels != 1 && shape.channels != 3)
        detail::fail("face_pixels channels", "1 (gray) or 3 (RGB)", shape.channels);
    const PixelFormat want = shape.channels == 1 ? PixelFormat::gray : PixelFormat::rgb;
    ImageView source = face;
    if (face.format() != want) {
        convert(face, want, scratch.converted);
        source = scratch.converted.view();
    }
    if (source.width() >= shape.width && source.height() >= shape.height &&
        (source.width() != shape.width || source.height() != shape.height)) {
        resize_area(source, shape.width, shape.height, scratch.shrunk, scratch.area);
        source = scratch.shrunk.view();
    }
    out.reset(shape);
    const int channels = shape.channels;
    for (int y = 0; y < shape.height; ++y) {
        const detail::BilinearTap ty = detail::bilinear_tap(y, shape.height, source.height());
        const std::uint8_t* row0 = source.row(ty.first);
        const std::uint8_t* row1 = source.row(ty.second);
        for (int x = 0; x < shape.width; ++x) {
            const detail::BilinearTap tx = detail::bilinear_tap(x, shape.width, source.width());
            const int out_x = mirror ? shape.width - 1 - x : x;
            float* dst = out.data() + (std::ptrdiff_t{y} * shape.width + out_x) * channels;
            for (int c = 0; c < channels; ++c) {
                const float top = row0[tx.first * channels + c] +
                                  tx.fraction * (row0[tx.second * channels + c] -
                                                 float(row0[tx.first * channels + c]));
                const float bottom = row1[tx.first * channels + c] +
                                     tx.fraction * (row1[tx.second * channels + c] -
                                                    float(row1[tx.first * channels + c]));
                dst[c] = top + ty.fraction * (bottom - top);
            }
        }
    }
}

inline void face_pixels(const ImageView& face, const Shape& shape, bool mirror, Tensor& out) {
    FacePixelsScratch scratch;
    face_pixels(face, shape, mirror, out, scratch);
}

// Step 3, in place. Throws: fer::error if the tensor's shape is not the input's.
inline void normalize_input(const MutableTensorView& pixels, const NetworkInput& input) {
    if (pixels.shape != input.shape)
        detail::fail("input to normalize", detail::describe(input.shape),
                     detail::describe(pixels.shape));
    const int channels = input.shape.channels;
    for (std::int64_t i = 0; i < pixels.size(); ++i)
        pixels.data[i] = pixels.data[i] * input.scale + input.offset[std::size_t(i % channels)];
}

// All three steps: the tensor `input` describes, made from a face crop.
inline void make_input(const ImageView& face, const NetworkInput& input, Tensor& out, bool mirror,
                       FacePixelsScratch& scratch) {
    face_pixels(face, input.shape, mirror, out, scratch);
    normalize_input(out.mutable_view(), input);
}

inline void make_input(const ImageView& face, const NetworkInput& input, Tensor& out,
                       bool mirror = false) {
    FacePixelsScratch scratch;
    make_input(face, input, out, mirror, scratch);
}

}  // namespace fer

// fer/nn/tensor.hpp - float tensors in HWC (channels-last) layout for the CNN layers.
//
// A tensor is height x width x channels floats, channels varying fastest, as TensorFlow and
// Keras store images and activations. A vector (a dense layer's input or output) is 1 x 1 x n.
// Views point at someone else's floats; a Tensor owns its floats and hands out views.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "../error.hpp"
#include "../limits.hpp"

namespace fer {

struct Shape {
    int height = 0;
    int width = 0;
    int channels = 0;

    constexpr std::int64_t size() const { return std::int64_t{height} * width * channels; }
    friend constexpr bool operator==(const Shape& a, const Shape& b) {
        return a.height == b.height && a.width == b.width && a.channels == b.channels;
    }
    friend constexpr bool operator!=(const Shape& a, const Shape& b) { return !(a == b); }
};

namespace detail {

inline std::string describe(const Shape& s) {
    return concat(s.height, "x", s.width, "x", s.channels);
}

// Tensors come from model files: sizes are bounded so that a hostile file cannot make us
// allocate gigabytes.
inline void check_shape(const Shape& s) {
    constexpr std::int64_t max_elements = limits::max_tensor_elements;
    if (s.height < 1 || s.width < 1 || s.channels < 1 || s.size() > max_elements)
        fail("tensor shape", concat("positive sizes with at most ", max_elements, " elements"),
             describe(s));
}

}  // namespace detail

template <class Float>
struct BasicTensorView {
    Float* data = nullptr;
    Shape shape;

    std::int64_t size() const { return shape.size(); }
    // Element (y, x, c). Requires indices in range (not checked: kernels use it).
    Float& at(int y, int x, int c) const {
        return data[(std::ptrdiff_t{y} * shape.width + x) * shape.channels + c];
    }
    operator BasicTensorView<const Float>() const { return {data, shape}; }  // NOLINT
};

using TensorView = BasicTensorView<const float>;
using MutableTensorView = BasicTensorView<float>;

class Tensor {
  public:
    Tensor() = default;
    // A zero-filled tensor. Throws: fer::error for a non-positive or oversized shape.
    explicit Tensor(const Shape& shape) { reset(shape); }

    // Makes this a tensor of `shape`, reusing storage; contents are unspecified unless new.
    // The storage never shrinks, so that a buffer taking tensors of varying sizes (a network
    // workspace's) neither reallocates nor zero-fills what a smaller tensor left.
    void reset(const Shape& shape) {
        detail::check_shape(shape);
        if (values_.size() < std::size_t(shape.size())) values_.resize(std::size_t(shape.size()));
        shape_ = shape;
    }

    const Shape& shape() const { return shape_; }
    std::int64_t size() const { return shape_.size(); }
    float* data() { return values_.data(); }
    const float* data() const { return values_.data(); }
    TensorView view() const { return {values_.data(), shape_}; }
    MutableTensorView mutable_view() { return {values_.data(), shape_}; }
    operator TensorView() const { return view(); }  // NOLINT: a tensor is usable as a view

  private:
    std::vector<float> values_;
    Shape shape_;
};

}  // namespace fer

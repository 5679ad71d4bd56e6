// fer/nn/tensor.hpp - float tensors in HWC (channels-last) layout for the CNN layers.
//
// A tensor is height x width x channels floats, channels varying fastest, as TensorFlow and
// Keras store images and activations. A vector (a dense layer's input or output) is 1 x 1 x n.
// Views point at someone else's floats; a Tensor owns its floats and hands out views.
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>
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

// Allocates on 64-byte (cache-line) boundaries. The kernels load channel blocks of 32 or 64
// bytes; where a tensor starts where malloc puts it (16 bytes into a line), every other AVX2 load
// and every AVX-512 load spans two lines and costs two: the AVX-512 depthwise kernel on 56x56x32
// takes 32 us from such storage and 23 us from aligned storage.
template <class T>
struct CacheLineAllocator {
    using value_type = T;
    static constexpr std::align_val_t alignment{64};

    CacheLineAllocator() = default;
    template <class U>
    CacheLineAllocator(const CacheLineAllocator<U>&) {}  // NOLINT: allocators convert implicitly
    T* allocate(std::size_t n) { return static_cast<T*>(::operator new(n * sizeof(T), alignment)); }
    void deallocate(T* p, std::size_t) { ::operator delete(p, alignment); }
    friend bool operator==(const CacheLineAllocator&, const CacheLineAllocator&) { return true; }
    friend bool operator!=(const CacheLineAllocator&, const CacheLineAllocator&) { return false; }
};

template <class T>
using CacheLineVector = std::vector<T, CacheLineAllocator<T>>;

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
    detail::CacheLineVector<float> values_;
    Shape shape_;
};

}  // namespace fer

// fer/nn/layer.hpp - the contract every layer kind keeps, and what forward() is given.
//
// A layer kind is one struct in its own header under fer/nn/layers/, registered by one line in
// fer/nn/layers.hpp (and one entry in the converter's table, tools/ferconvert/graph.py). It has:
//
//   static constexpr std::array<const char*, N> file_types
//       the fer.layer.N.type values it reads (Pool2D has two: max and average pooling);
//   const char* file_type() const
//       the one it writes;
//   static constexpr int input_count
//       1, or 0 for "two or more" (add);
//   void validate() const
//       checks its parameters against each other. Throws: fer::error naming the inconsistency;
//   Shape output_shape(const Shape&) const, or output_shape(const std::vector<Shape>&) const
//       when input_count is 0: checks the inputs. Throws: fer::error naming the mismatch;
//   void prepare()  (optional)
//       computes derived forms once, when a Network takes the layer (packed weights);
//   void forward(in, const MutableTensorView& out, LayerContext&) const
//       in is a TensorView (or a std::vector<TensorView> when input_count is 0). Requires:
//       validate() passed and out.shape == output_shape(in's shapes). Never throws, except
//       std::bad_alloc while the context's buffers grow on first use;
//   static Kind read(const LayerReader&)  and  void write(LayerWriter&) const
//       its keys and tensors in a model file (fer/model/layer_io.hpp), the type key excepted.
//       read throws fer::error naming the key or tensor that is missing or wrong.
#pragma once

#include <cstdint>
#include <vector>

#include "kernels/conv2d_qs8.hpp"

namespace fer {

// The arithmetic of forward(): fp32 everywhere, or int8 convolutions (fer/nn/quant.hpp) with the
// rest in fp32. int8 runs the convolutions that have an int8 form (those with int8 weights, from
// fer quantize); the others stay fp32.
enum class Precision : std::uint8_t { fp32, int8 };

// Per-thread working memory for layers' forward(), and the arithmetic asked for. Allocated on
// first use and reused, so repeated calls do not allocate.
struct LayerContext {
    Precision precision = Precision::fp32;
    std::vector<float> patches;  // gathered convolution patches (im2col)
    Int8Conv2D::Scratch int8;
};

}  // namespace fer

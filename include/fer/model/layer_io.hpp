// fer/model/layer_io.hpp - what a layer kind reads from and writes to a model file.
//
// Each layer kind's read() and write() (fer/nn/layer.hpp) go through these two classes, which
// know the file's key names ("fer.layer.N.NAME", tensors "layer.N.NAME"), check every value's
// type and range, and word every failure the same way: the file, the key, what was expected and
// what was found.
#pragma once

#include <cmath>
#include <cstring>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "../limits.hpp"
#include "../nn/activation.hpp"
#include "../nn/quant.hpp"
#include "../nn/window.hpp"
#include "gguf.hpp"

namespace fer {

namespace detail {

// Layer N's metadata key "fer.layer.N.NAME" and tensor name "layer.N.NAME".
inline std::string layer_key(std::size_t index, const char* name) {
    return concat("fer.layer.", index, ".", name);
}
inline std::string layer_tensor_name(std::size_t index, const char* name) {
    return concat("layer.", index, ".", name);
}

}  // namespace detail

class LayerReader {
  public:
    // `input`: the shape of the layer's first input (what sizes its parameters).
    LayerReader(const GgufFile& file, std::size_t index, const Shape& input)
        : f_(file), index_(index), input_(input) {}

    const Shape& input() const { return input_; }
    std::string key(const char* name) const { return detail::layer_key(index_, name); }

    // The fer.layer.N.type value.
    const std::string& type() const { return f_.get_string(key("type")); }

    // Throws: fer::error naming the key when it is missing, not an integer, or out of [lo, hi].
    std::int64_t integer(const char* name, std::int64_t lo, std::int64_t hi) const {
        const std::int64_t v = f_.get_integer(key(name));
        if (v < lo || v > hi) fail(name, detail::concat(lo, " to ", hi), v);
        return v;
    }

    // An output or channel count: 1 to limits::max_layer_channels.
    int channels(const char* name) const {
        return int(integer(name, 1, limits::max_layer_channels));
    }

    Activation activation() const {
        const std::string& a = f_.get_string(key("activation"));
        if (a == "none") return Activation::none;
        if (a == "relu") return Activation::relu;
        if (a == "relu6") return Activation::relu6;
        fail("activation", "'none', 'relu' or 'relu6'", "'" + a + "'");
    }

    // A windowed layer's kernel, stride and padding (with "explicit", the pads [top, bottom,
    // left, right]). The values are range-checked here; the layer's validate() checks the rest.
    template <class Layer>
    void window(Layer& l) const {
        std::tie(l.kernel_h, l.kernel_w) = pair("kernel");
        std::tie(l.stride_h, l.stride_w) = pair("stride");
        const std::string& p = f_.get_string(key("padding"));
        if (p == "same" || p == "valid") {
            l.padding = p == "same" ? Padding::same : Padding::valid;
            return;
        }
        if (p != "explicit") fail("padding", "'same', 'valid' or 'explicit'", "'" + p + "'");
        l.padding = Padding::explicit_pads;
        const std::vector<GgufValue>& a = f_.get_array(key("pads"));
        int pads[4];
        for (std::size_t i = 0; i < 4; ++i) {
            const auto* v = a.size() == 4 ? std::get_if<std::int64_t>(&a[i].value) : nullptr;
            if (v == nullptr || *v < 0 || *v > limits::max_kernel_side)
                fail("pads",
                     detail::concat("four integers [top, bottom, left, right] from 0 to ",
                                    limits::max_kernel_side),
                     "something else");
            pads[i] = int(*v);
        }
        l.pads = Pads{pads[0], pads[1], pads[2], pads[3]};
    }

    // Tensor layer.N.NAME as floats, with exactly `dims` (innermost first): F32 as stored, or I8
    // with per-channel scales (layer.N.NAME_scale, over the innermost dimension), dequantized.
    // Throws: fer::error for other dimensions or types, or a value that is not finite.
    std::vector<float> weights(const char* name, const std::vector<std::int64_t>& dims) const {
        const GgufTensor& t = tensor(name, dims);
        std::vector<float> out(std::size_t(t.elements()));
        if (t.type == GgufTensorType::f32) {
            std::memcpy(out.data(), t.data, t.bytes);
        } else if (t.type == GgufTensorType::i8) {
            out = dequantize(int8_weights(name, int(dims[0])));
        } else {
            fail_tensor(name, "type", "F32 or I8", to_string(t.type));
        }
        for (float v : out)
            if (!std::isfinite(v)) fail_tensor(name, "values", "finite values", "NaN or infinity");
        return out;
    }

    // Whether tensor layer.N.NAME is stored as int8.
    bool is_int8(const char* name) const {
        return f_.tensor(tensor_name(name)).type == GgufTensorType::i8;
    }

    // Tensor layer.N.NAME as stored int8 values with its per-channel scales.
    // Requires: is_int8(name), and the tensor's dimensions checked (weights() does).
    QuantizedWeights int8_weights(const char* name, int channels) const {
        const GgufTensor& t = f_.tensor(tensor_name(name));
        QuantizedWeights q;
        q.channels = channels;
        const auto* values = reinterpret_cast<const std::int8_t*>(t.data);
        q.values.assign(values, values + t.bytes);
        const std::string scale_name = std::string(name) + "_scale";
        q.scales = weights(scale_name.c_str(), {channels});
        return q;
    }

    // "<file> layer N", to put before an error the layer's own checks give.
    std::string where() const { return detail::concat(f_.source(), " layer ", index_); }

    // Throws: fer::error("<file> fer.layer.N.<name>: expected <expected>, found <found>").
    template <class Expected, class Found>
    [[noreturn]] void fail(const char* name, const Expected& expected, const Found& found) const {
        detail::fail(f_.source() + " " + key(name), expected, found);
    }

  private:
    const GgufFile& f_;
    std::size_t index_;
    Shape input_;

    std::string tensor_name(const char* name) const {
        return detail::layer_tensor_name(index_, name);
    }

    const GgufTensor& tensor(const char* name, const std::vector<std::int64_t>& dims) const {
        const GgufTensor& t = f_.tensor(tensor_name(name));
        if (t.dims != dims) {
            std::string want, got;
            for (auto d : dims) want += detail::concat(want.empty() ? "" : "x", d);
            for (auto d : t.dims) got += detail::concat(got.empty() ? "" : "x", d);
            fail_tensor(name, "dimensions", want, got);
        }
        return t;
    }

    template <class Expected, class Found>
    [[noreturn]] void fail_tensor(const char* name, const char* what, const Expected& expected,
                                  const Found& found) const {
        detail::fail(f_.source() + " tensor " + tensor_name(name) + " " + what, expected, found);
    }

    std::pair<int, int> pair(const char* name) const {
        const std::vector<GgufValue>& a = f_.get_array(key(name));
        const auto* h = a.size() == 2 ? std::get_if<std::int64_t>(&a[0].value) : nullptr;
        const auto* w = a.size() == 2 ? std::get_if<std::int64_t>(&a[1].value) : nullptr;
        constexpr int most = limits::max_kernel_side;
        if (h == nullptr || w == nullptr || *h < 1 || *w < 1 || *h > most || *w > most)
            fail(name, detail::concat("two integers [h, w] from 1 to ", most), "something else");
        return {int(*h), int(*w)};
    }
};

class LayerWriter {
  public:
    // `int8_weights`: store weight tensors as int8 with per-channel scales where the layer is deep
    // enough (min_int8_depth multiply-adds per output).
    LayerWriter(GgufWriter& writer, std::size_t index, bool int8_weights)
        : w_(writer), index_(index), int8_weights_(int8_weights) {}

    bool int8_weights() const { return int8_weights_; }

    void text(const char* name, const std::string& value) { w_.add_string(key(name), value); }
    void uint32(const char* name, std::uint32_t value) { w_.add_uint32(key(name), value); }
    void activation(Activation a) { text("activation", detail::activation_name(a)); }

    template <class Layer>
    void window(const Layer& l) {
        w_.add_int32s(key("kernel"), {l.kernel_h, l.kernel_w});
        w_.add_int32s(key("stride"), {l.stride_h, l.stride_w});
        text("padding", l.padding == Padding::same    ? "same"
                        : l.padding == Padding::valid ? "valid"
                                                      : "explicit");
        if (l.padding == Padding::explicit_pads)
            w_.add_int32s(key("pads"), {l.pads.top, l.pads.bottom, l.pads.left, l.pads.right});
    }

    void f32(const char* name, const std::vector<float>& values,
             const std::vector<std::int64_t>& dims) {
        w_.add_tensor(tensor_name(name), dims, GgufTensorType::f32, values.data(),
                      values.size() * 4);
    }

    // Tensor "weight" of a layer with `depth` multiply-adds per output: int8 when asked for and
    // the layer is deep enough, fp32 otherwise. dims[0] is the output channel count.
    void weights(const std::vector<float>& values, const std::vector<std::int64_t>& dims,
                 int depth) {
        if (!int8_weights_ || depth < min_int8_depth) return f32("weight", values, dims);
        int8("weight", dims, quantize_per_channel(values, int(dims[0])));
    }

    // Tensor NAME as int8 values and NAME_scale as their per-channel scales.
    void int8(const char* name, const std::vector<std::int64_t>& dims, const QuantizedWeights& q) {
        w_.add_tensor(tensor_name(name), dims, GgufTensorType::i8, q.values.data(),
                      q.values.size());
        f32((std::string(name) + "_scale").c_str(), q.scales, {dims[0]});
    }

  private:
    GgufWriter& w_;
    std::size_t index_;
    bool int8_weights_;

    std::string key(const char* name) const { return detail::layer_key(index_, name); }
    std::string tensor_name(const char* name) const {
        return detail::layer_tensor_name(index_, name);
    }
};

}  // namespace fer

// fer/nn/network.hpp - a CNN as an ordered list of layers with named inputs.
//
// Each node reads the outputs of earlier nodes (or the network input) and writes one tensor;
// residual connections are add nodes reading several earlier outputs. The network's answer is
// the last node's output, or, for a network with several heads (a detector's scores and boxes),
// the outputs of the nodes set_outputs() names. Shapes are inferred and checked once, when the
// network is built or loaded. A residual add of two inputs, one of them a convolution read by
// nothing else, runs in that convolution's epilogue (Conv2D::forward_residual): the
// convolution's output never goes through memory. So do the adds of a dense block (face-api's),
// each adding one more convolution to the inputs of the one before: plan_residual_fusion().
// forward() is const: several threads may run
// one network at once, each with its own Workspace, which is allocated on first use and reused,
// so repeated calls do not allocate. The layer kinds: fer/nn/layers.hpp; model files:
// fer/model/model_file.hpp.
#pragma once

#include <algorithm>
#include <cmath>
#include <iterator>
#include <map>
#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include "../error.hpp"
#include "../limits.hpp"
#include "layer.hpp"
#include "layers.hpp"
#include "tensor.hpp"

namespace fer {

// What the network reads: shape.channels 1 means gray, 3 means RGB; each 0-255 pixel value v of
// channel c is fed as v * scale + offset[c].
struct NetworkInput {
    Shape shape;
    float scale = 1.0f / 255.0f;
    std::vector<float> offset = std::vector<float>(1, 0.0f);  // one per channel
};

class Network {
  public:
    struct Node {
        Layer layer;
        std::vector<int> inputs;  // earlier node indices; -1 is the network input
        Shape output;
    };

    // Per-thread working memory for forward(). Node outputs share its buffers: a node's output
    // goes into a buffer whose last tensor has been read by all its readers (plan_buffers()).
    struct Workspace {
        std::vector<Tensor> buffers;
        std::vector<TensorView> inputs;  // of an add node
        LayerContext context;
    };

    // Adds a node reading `inputs`; checks the layer and infers its output shape.
    // Throws: fer::error for invalid parameters, inputs or shapes, or too many layers.
    void add(Layer layer, std::vector<int> inputs) {
        const int index = int(nodes_.size());
        if (index >= limits::max_network_layers)
            detail::fail("network layers", detail::concat("at most ", limits::max_network_layers),
                         index + 1);
        if (inputs.empty())
            detail::fail(detail::concat("layer ", index, " inputs"), "at least one", "none");
        for (int i : inputs)
            if (i < -1 || i >= index)
                detail::fail(detail::concat("layer ", index, " input"),
                             detail::concat("-1 to ", index - 1), i);
        Node node{std::move(layer), std::move(inputs), Shape{}};
        node.output = prepared_output(node.layer, node.inputs, index);
        nodes_.push_back(std::move(node));
        plan();
    }

    // Throws: fer::error after the first layer, for a bad shape, a channel count other than 1 or
    // 3, an offset count other than the channel count, or a non-finite scale or offset.
    void set_input(const NetworkInput& input) {
        if (!nodes_.empty())
            detail::fail("network input", "set before the first layer", "set later");
        detail::check_shape(input.shape);
        if (input.shape.channels != 1 && input.shape.channels != 3)
            detail::fail("network input channels", "1 (gray) or 3 (RGB)", input.shape.channels);
        if (input.offset.size() != std::size_t(input.shape.channels))
            detail::fail("network input offsets", "one per channel", input.offset.size());
        bool finite = std::isfinite(input.scale) && input.scale != 0.0f;
        for (float o : input.offset) finite = finite && std::isfinite(o);
        if (!finite)
            detail::fail("network input scale and offsets", "finite, non-zero scale",
                         "NaN, infinity or zero");
        input_ = input;
    }

    // Replaces node `index`'s layer by one with the same kind and output shape (new weights).
    // Throws: fer::error if the index, kind or shape differs.
    void set_layer(std::size_t index, Layer layer) {
        if (index >= nodes_.size() || layer.index() != nodes_[index].layer.index())
            detail::fail("replacement layer", "the same kind of layer at an existing node",
                         detail::concat("node ", index));
        const Shape out = prepared_output(layer, nodes_[index].inputs, int(index));
        if (out != nodes_[index].output)
            detail::fail("replacement layer output", detail::describe(nodes_[index].output),
                         detail::describe(out));
        nodes_[index].layer = std::move(layer);
        plan();
    }

    // Whether some convolution has an int8 form, so that forward can run Precision::int8 (the
    // convolutions without one stay fp32: those with fewer than min_int8_depth taps).
    bool supports_int8() const {
        for (const Node& n : nodes_)
            if (const auto* conv = std::get_if<Conv2D>(&n.layer); conv && conv->int8) return true;
        return false;
    }

    // Names the nodes whose outputs are the network's answer, in order (each once).
    // Throws: fer::error for an empty list, an index that is not a node, or a repeated one.
    void set_outputs(std::vector<int> outputs) {
        if (outputs.empty() || outputs.size() > nodes_.size())
            detail::fail("network outputs", detail::concat("1 to ", nodes_.size(), " nodes"),
                         outputs.size());
        for (std::size_t k = 0; k < outputs.size(); ++k) {
            if (outputs[k] < 0 || outputs[k] >= int(nodes_.size()))
                detail::fail("network output",
                             detail::concat("a node index from 0 to ", nodes_.size() - 1),
                             outputs[k]);
            for (std::size_t j = 0; j < k; ++j)
                if (outputs[j] == outputs[k])
                    detail::fail("network outputs", "each node once",
                                 detail::concat("node ", outputs[k], " twice"));
        }
        outputs_ = std::move(outputs);
        plan();
    }

    // The nodes set_outputs() named, or the last node.
    std::vector<int> output_nodes() const {
        if (!outputs_.empty()) return outputs_;
        if (nodes_.empty()) return {};
        return {int(nodes_.size()) - 1};
    }

    // Output `k` (an index into output_nodes()) of the last forward() with `ws`.
    // Requires: forward() ran with ws, k < output_nodes().size().
    const Tensor& output(const Workspace& ws, std::size_t k) const {
        return ws.buffers[buffer_of_[output_node(k)]];
    }

    // Node n's output in `ws`, while it lives: inside forward()'s after_node(m) for the inputs of
    // node m and (unless m is a convolution computed by its add) node m itself; after forward()
    // for the output nodes. Later nodes reuse the buffer of an output nobody reads any more.
    const Tensor& node_output(const Workspace& ws, std::size_t n) const {
        return ws.buffers[buffer_of_[n]];
    }

    // The add node whose epilogue computes node n at `precision`, so that n's output never
    // goes through memory (node_output() does not hold it), or -1.
    int computed_by(std::size_t n, Precision precision = Precision::fp32) const {
        const int add = n < fused_into_.size() ? fused_into_[n] : -1;
        return add >= 0 && runs_fused(std::size_t(add), precision) ? add : -1;
    }

    // The floats of activation memory forward() keeps (the sum of the buffers' largest tensors).
    std::int64_t activation_floats() const {
        std::int64_t total = 0;
        for (std::int64_t c : buffer_capacity_) total += c;
        return total;
    }

    // The same layers and outputs reading inputs of `shape` (a fully convolutional network runs
    // on pictures of other sizes), with the same labels and provenance.
    // Throws: fer::error when a layer cannot take the shapes that follow (a dense layer's input
    // size, a window larger than its input).
    Network with_input_shape(const Shape& shape) const {
        Network out;
        NetworkInput in = input_;
        in.shape = shape;
        out.set_input(in);
        for (const Node& n : nodes_) out.add(n.layer, n.inputs);
        if (!outputs_.empty()) out.set_outputs(outputs_);
        out.labels = labels;
        out.info = info;
        return out;
    }

    const NetworkInput& input() const { return input_; }
    const std::vector<Node>& nodes() const { return nodes_; }
    // The shape of the (first) output.
    Shape output_shape() const {
        return nodes_.empty() ? input_.shape : nodes_[output_node(0)].output;
    }
    std::vector<std::string> labels;
    // Provenance strings kept with the model (file keys fer.info.*): name, source, licence...
    std::map<std::string, std::string> info;

    // Runs the network on an already normalized input; returns the (first) output, which lives
    // in the workspace until its next use (the others: output()).
    // Throws: fer::error if the network is empty, the input shape differs from input().shape,
    // or int8 is asked of a network without int8 forms (supports_int8()).
    const Tensor& forward(const TensorView& input, Workspace& ws,
                          Precision precision = Precision::fp32) const {
        return forward(input, ws, precision, [](std::size_t) {});
    }

    // forward(), calling after_node(n) as each node n finishes (per-layer timing: bench/).
    template <class AfterNode>
    const Tensor& forward(const TensorView& input, Workspace& ws, Precision precision,
                          AfterNode&& after_node) const {
        if (nodes_.empty()) detail::fail("network", "at least one layer", "none");
        if (precision == Precision::int8 && !supports_int8())
            detail::fail("int8 arithmetic", "int8 weights for its convolutions (fer quantize)",
                         "a model without them");
        if (input.shape != input_.shape)
            detail::fail("network input shape", detail::describe(input_.shape),
                         detail::describe(input.shape));
        // Never shrunk: a workspace that serves several networks (an ensemble's members) keeps
        // every buffer, so warm calls allocate nothing.
        if (ws.buffers.size() < buffer_capacity_.size()) ws.buffers.resize(buffer_capacity_.size());
        ws.context.precision = precision;
        for (std::size_t n = 0; n < nodes_.size(); ++n) {
            const Node& node = nodes_[n];
            Tensor& out = ws.buffers[buffer_of_[n]];
            out.reset(node.output);
            auto source = [&](int i) -> TensorView {
                return i < 0 ? input : ws.buffers[buffer_of_[std::size_t(i)]].view();
            };
            if (computed_by(n, precision) >= 0) {
                after_node(n);  // computed by the add that reads it
                continue;
            }
            if (fused_add_[n].conv >= 0 && runs_fused(n, precision)) {
                run_fused_add(n, out, ws, source);
                after_node(n);
                continue;
            }
            std::visit(
                [&](const auto& layer) {
                    if constexpr (std::decay_t<decltype(layer)>::input_count == 1) {
                        layer.forward(source(node.inputs[0]), out.mutable_view(), ws.context);
                    } else {
                        ws.inputs.clear();
                        for (int i : node.inputs) ws.inputs.push_back(source(i));
                        layer.forward(ws.inputs, out.mutable_view(), ws.context);
                    }
                },
                node.layer);
            after_node(n);
        }
        return output(ws, 0);
    }

  private:
    NetworkInput input_{Shape{64, 64, 1}, 1.0f / 255.0f, {0.0f}};
    std::vector<Node> nodes_;
    std::vector<int> outputs_;  // empty: the last node
    // How an add runs in a convolution's epilogue. Adds fuse in chains: a lone residual add is a
    // chain of one; in a dense block's chain each add is its new convolution plus the running
    // sum of the chain so far, which the chain keeps before activation in a buffer of its own
    // (sum_buffer_), updated in place.
    struct FusedAdd {
        int conv = -1;           // the convolution whose epilogue computes this add; -1: none
        int residual = -1;       // the chain's first add: its other input; later ones: -1, the sum
        bool keeps_sum = false;  // the chain goes on: write the sum, then this add's activation
        int first = -1;          // the chain's first add
        int next = -1;           // the chain's next add, or -1
    };
    std::vector<FusedAdd> fused_add_;  // per node
    std::vector<int> fused_into_;      // per node: the add a convolution is computed by, or -1
    // Per node: the workspace buffer its output goes into (for a chain's first add, also the
    // buffer of its running sum); per buffer: its largest tensor.
    std::vector<std::size_t> buffer_of_, sum_buffer_;
    std::vector<std::int64_t> buffer_capacity_;

    // Whether add m's chain runs in epilogues at `precision`: every convolution of it fuses there
    // (int8 convolutions do not: then the chain's adds and convolutions run as nodes).
    bool runs_fused(std::size_t m, Precision precision) const {
        for (int a = fused_add_[m].first; a >= 0; a = fused_add_[std::size_t(a)].next)
            if (!std::get<Conv2D>(nodes_[std::size_t(fused_add_[std::size_t(a)].conv)].layer)
                     .fuses_residual(precision))
                return false;
        return true;
    }

    // Add node m in its convolution's epilogue, into `out`.
    template <class Source>
    void run_fused_add(std::size_t m, Tensor& out, Workspace& ws, const Source& source) const {
        const FusedAdd& f = fused_add_[m];
        const Node& conv_node = nodes_[std::size_t(f.conv)];
        const Conv2D& conv = std::get<Conv2D>(conv_node.layer);
        const Activation after = std::get<AddLayer>(nodes_[m].layer).activation;
        const TensorView in = source(conv_node.inputs[0]);
        const TensorView residual = f.residual >= 0
                                        ? source(f.residual)
                                        : ws.buffers[sum_buffer_[std::size_t(f.first)]].view();
        if (!f.keeps_sum)
            return conv.forward_residual(in, residual, out.mutable_view(), after, ws.context);
        Tensor& sum = ws.buffers[sum_buffer_[std::size_t(f.first)]];
        sum.reset(nodes_[m].output);  // the chain's shape; the running sum stays in place
        conv.forward_residual(in, residual, sum.mutable_view(), Activation::none, ws.context);
        detail::activate_all(sum.data(), out.data(), out.size(), after);
    }

    void plan() {
        plan_residual_fusion();
        plan_buffers();
    }

    // Finds the adds that run in a convolution's epilogue. An add of two inputs, one of them a
    // convolution that nothing else reads (an output is read by the caller), that has no
    // activation of its own and runs the packed kernel, starts a chain. An add whose inputs are
    // those of an earlier add plus one such convolution continues that add's chain; the chain's
    // convolutions may be read by its later adds only, which get them through the running sum.
    // face-api's dense blocks: relu(a + b), relu(a + b + c), relu(a + b + c + d) with b, c, d
    // convolutions are three epilogues adding b, then c, then d to the sum.
    void plan_residual_fusion() {
        const std::size_t count = nodes_.size();
        std::vector<int> readers(count, 0);
        for (const Node& node : nodes_)
            for (int i : node.inputs)
                if (i >= 0) ++readers[std::size_t(i)];
        for (int o : output_nodes()) ++readers[std::size_t(o)];
        fused_add_.assign(count, FusedAdd{});
        fused_into_.assign(count, -1);
        auto is_add = [&](std::size_t m) {
            return std::holds_alternative<AddLayer>(nodes_[m].layer);
        };
        auto sorted_inputs = [&](std::size_t m) {
            std::vector<int> v = nodes_[m].inputs;
            std::sort(v.begin(), v.end());
            return v;
        };
        auto fusable_conv = [&](int c) {
            if (c < 0) return false;
            const auto* conv = std::get_if<Conv2D>(&nodes_[std::size_t(c)].layer);
            return conv != nullptr && conv->fuses_residual(Precision::fp32);
        };
        // Each add with an earlier add whose inputs are all of its own but one: the nearest such
        // add, if no other add continues it already, and the one new input.
        std::vector<int> next(count, -1), added(count, -1);
        for (std::size_t m = 0; m < count; ++m) {
            if (!is_add(m) || nodes_[m].inputs.size() < 3) continue;
            const std::vector<int> mine = sorted_inputs(m);
            for (std::size_t b = m; b-- > 0;) {
                if (!is_add(b) || next[b] >= 0 || nodes_[b].inputs.size() + 1 != mine.size())
                    continue;
                const std::vector<int> theirs = sorted_inputs(b);
                if (!std::includes(mine.begin(), mine.end(), theirs.begin(), theirs.end()))
                    continue;
                std::vector<int> rest;
                std::set_difference(mine.begin(), mine.end(), theirs.begin(), theirs.end(),
                                    std::back_inserter(rest));
                next[b] = int(m);
                added[m] = rest[0];
                break;
            }
        }
        for (std::size_t s = 0; s < count; ++s) {
            if (!is_add(s) || nodes_[s].inputs.size() != 2 ||
                nodes_[s].inputs[0] == nodes_[s].inputs[1])
                continue;
            std::vector<int> chain{int(s)};
            for (int a = next[s]; a >= 0; a = next[std::size_t(a)]) chain.push_back(a);
            // The longest start of the chain whose every convolution is read by the chain's
            // adds from its own on, within that start, and by nothing else.
            auto fused_length = [&](int first_conv) {
                for (std::size_t length = chain.size(); length > 0; --length) {
                    bool fits = true;
                    for (std::size_t j = 0; j < length && fits; ++j) {
                        const int c = j == 0 ? first_conv : added[std::size_t(chain[j])];
                        fits = fusable_conv(c) && readers[std::size_t(c)] == int(length - j);
                    }
                    if (fits) return length;
                }
                return std::size_t{0};
            };
            const int a = nodes_[s].inputs[0], b = nodes_[s].inputs[1];
            const std::size_t with_a = fused_length(a), with_b = fused_length(b);
            const std::size_t length = std::max(with_a, with_b);
            if (length == 0) continue;
            const int first_conv = with_a >= with_b ? a : b;
            for (std::size_t j = 0; j < length; ++j) {
                const std::size_t m = std::size_t(chain[j]);
                FusedAdd& f = fused_add_[m];
                f.conv = j == 0 ? first_conv : added[m];
                f.residual = j == 0 ? (first_conv == a ? b : a) : -1;
                f.keeps_sum = j + 1 < length;
                f.first = int(s);
                f.next = f.keeps_sum ? chain[j + 1] : -1;
                fused_into_[std::size_t(f.conv)] = int(m);
            }
        }
    }

    // Gives each node's output, and each chain's running sum, a buffer no live tensor holds:
    // live from the node until its last reader (a fused add reads its convolution's input too),
    // outputs until the end, a sum until the chain's last add. Of the free buffers, the smallest
    // that fits, else the largest (it grows), else a new one. A plain chain needs two buffers
    // instead of one per node. The plan holds whether or not a chain runs fused (int8).
    void plan_buffers() {
        const std::size_t count = nodes_.size();
        std::vector<std::size_t> last_read(count), sum_last_read(count, 0);
        for (std::size_t n = 0; n < count; ++n) last_read[n] = n;
        auto read_by = [&](int i, std::size_t reader) {
            if (i >= 0) last_read[std::size_t(i)] = std::max(last_read[std::size_t(i)], reader);
        };
        for (std::size_t m = 0; m < count; ++m) {
            for (int i : nodes_[m].inputs) read_by(i, m);
            const FusedAdd& f = fused_add_[m];
            if (f.conv < 0) continue;
            for (int i : nodes_[std::size_t(f.conv)].inputs) read_by(i, m);
            if (f.residual < 0) sum_last_read[std::size_t(f.first)] = m;
        }
        for (int o : output_nodes()) last_read[std::size_t(o)] = count;
        buffer_of_.assign(count, 0);
        sum_buffer_.assign(count, 0);
        buffer_capacity_.clear();
        std::vector<std::size_t> busy_until;  // per buffer: its tensor's last reader
        auto allocate = [&](std::size_t n, std::int64_t need, std::size_t until) {
            std::size_t chosen = busy_until.size();
            for (std::size_t b = 0; b < busy_until.size(); ++b) {
                if (busy_until[b] >= n) continue;
                if (chosen == busy_until.size()) {
                    chosen = b;
                    continue;
                }
                const std::int64_t have = buffer_capacity_[b], best = buffer_capacity_[chosen];
                const bool fits = have >= need, best_fits = best >= need;
                if ((fits && (!best_fits || have < best)) || (!fits && !best_fits && have > best))
                    chosen = b;
            }
            if (chosen == busy_until.size()) {
                busy_until.push_back(0);
                buffer_capacity_.push_back(0);
            }
            busy_until[chosen] = until;
            buffer_capacity_[chosen] = std::max(buffer_capacity_[chosen], need);
            return chosen;
        };
        for (std::size_t n = 0; n < count; ++n) {
            buffer_of_[n] = allocate(n, nodes_[n].output.size(), last_read[n]);
            if (fused_add_[n].keeps_sum && fused_add_[n].residual >= 0)
                sum_buffer_[n] = allocate(n, nodes_[n].output.size(), sum_last_read[n]);
        }
    }

    // Node index of output k, without building output_nodes() (forward() stays allocation-free).
    std::size_t output_node(std::size_t k) const {
        return outputs_.empty() ? nodes_.size() - 1 : std::size_t(outputs_[k]);
    }

    template <class L, class = void>
    struct has_prepare : std::false_type {};
    template <class L>
    struct has_prepare<L, std::void_t<decltype(std::declval<L&>().prepare())>> : std::true_type {};

    // Validates `layer` against its inputs' shapes, prepares its derived forms, and returns its
    // output shape. Throws: fer::error naming the layer, for the layer's own errors too.
    Shape prepared_output(Layer& layer, const std::vector<int>& inputs, int index) const {
        std::vector<Shape> shapes;
        for (int i : inputs) shapes.push_back(i < 0 ? input_.shape : nodes_[std::size_t(i)].output);
        return std::visit(
            [&](auto& l) {
                using Kind = std::decay_t<decltype(l)>;
                const std::string name = detail::concat("layer ", index, " (", l.file_type(), ")");
                if (Kind::input_count == 1 && shapes.size() != 1)
                    detail::fail(name + " inputs", 1, shapes.size());
                Shape out;
                try {
                    l.validate();
                    if constexpr (Kind::input_count == 1)
                        out = l.output_shape(shapes[0]);
                    else
                        out = l.output_shape(shapes);
                    detail::check_shape(out);
                    if constexpr (has_prepare<Kind>::value) l.prepare();
                } catch (const error& e) {
                    throw error(name + ": " + e.what());
                }
                return out;
            },
            layer);
    }
};

}  // namespace fer

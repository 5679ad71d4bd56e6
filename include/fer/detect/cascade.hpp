// fer/detect/cascade.hpp - boosted cascades in OpenCV's XML format: data and loader.
//
// Reads the cascade files that OpenCV's traincascade writes and that Debian's opencv-data ships
// (/usr/share/opencv4/haarcascades, /usr/share/opencv4/lbpcascades): BOOST stages of stumps or
// small trees over HAAR features (upright and 45-degree tilted, two or three weighted rectangles)
// or LBP features (3 x 3 blocks, 256 categories). The pre-2.0 "opencv-haar-classifier" layout is
// refused with a message that says so.
//
// Everything is validated on load, before anything trusts it: counts against fer/limits.hpp,
// every index in range, every rectangle inside the detection window, trees that terminate, and
// numbers that parse completely and are finite. A failure throws fer::error naming the file, the
// field, what was expected and what was found.
//
// As OpenCV does, stage thresholds are lowered by 1e-5 on load (so that a window scoring exactly
// the trained threshold passes) and all thresholds and leaf values are held as float.
#pragma once

#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "../error.hpp"
#include "../file.hpp"
#include "../image.hpp"
#include "../limits.hpp"
#include "detail/xml.hpp"

namespace fer {

enum class CascadeFeatureType { haar, lbp };

// A Haar feature: up to three weighted rectangles in window coordinates. For a tilted feature
// each rectangle is rotated 45 degrees about its top corner (x, y): it spans (x - height, ...)
// to (x + width, ...) and y to y + width + height.
struct HaarFeature {
    struct WeightedRect {
        Rect rect;
        float weight = 0.0f;
    };
    WeightedRect rects[3];
    int rect_count = 0;
    bool tilted = false;
};

// An LBP feature: a 3 x 3 grid of blocks, each block.width x block.height, from (block.x, block.y).
struct LbpFeature {
    Rect block;
};

// A tree node: feature < threshold goes left (ordered features), or the feature's category is in
// the node's subset goes left (LBP). A child > 0 is a node index within the same tree; a child
// <= 0 is leaf number -child of the tree.
struct CascadeNode {
    int feature = 0;
    float threshold = 0.0f;
    int left = 0;
    int right = 0;
};

struct CascadeTree {
    int first_node = 0;
    int node_count = 0;
    int first_leaf = 0;  // node_count + 1 leaves
};

struct CascadeStage {
    float threshold = 0.0f;  // already lowered by 1e-5, as OpenCV does
    int first_tree = 0;
    int tree_count = 0;
};

struct Cascade {
    CascadeFeatureType feature_type = CascadeFeatureType::haar;
    int window_width = 0;
    int window_height = 0;
    std::vector<CascadeStage> stages;
    std::vector<CascadeTree> trees;
    std::vector<CascadeNode> nodes;
    std::vector<float> leaves;
    std::vector<std::uint32_t> subsets;  // LBP: 8 words (256 bits) per node
    std::vector<HaarFeature> haar_features;
    std::vector<LbpFeature> lbp_features;
    bool has_tilted_features = false;
    bool all_stumps = false;  // every tree is a single node (the fast path)
};

namespace detail {

class CascadeReader {
  public:
    explicit CascadeReader(std::string source) : source_(std::move(source)) {}

    Cascade read(const XmlElement& root) {
        const XmlElement* top = root.children.empty() ? nullptr : &root.children.front();
        if (root.name != "opencv_storage" || top == nullptr)
            fail(source_ + " root element", "<opencv_storage> holding a cascade",
                 "<" + root.name + ">");
        if (top->find("stageType") == nullptr && top->find("size") != nullptr)
            fail(source_ + " format",
                 "a cascade in the opencv-cascade-classifier format of OpenCV 2.4 and later",
                 "the old opencv-haar-classifier format, which fer does not read");
        Cascade cascade;
        const std::string stage_type = text_of(*top, "stageType");
        if (stage_type != "BOOST") fail(source_ + " stageType", "BOOST", stage_type);
        const std::string feature_type = text_of(*top, "featureType");
        if (feature_type == "HAAR")
            cascade.feature_type = CascadeFeatureType::haar;
        else if (feature_type == "LBP")
            cascade.feature_type = CascadeFeatureType::lbp;
        else
            fail(source_ + " featureType", "HAAR or LBP", feature_type);
        cascade.window_width = int_in(*top, "width", 1, limits::max_cascade_window_side);
        cascade.window_height = int_in(*top, "height", 1, limits::max_cascade_window_side);
        const int categories = int_in(child(*top, "featureParams"), "maxCatCount", 0, 256);
        const bool lbp = cascade.feature_type == CascadeFeatureType::lbp;
        if (categories != (lbp ? 256 : 0))
            fail(source_ + " maxCatCount", lbp ? "256 for LBP" : "0 for HAAR", categories);

        read_features(child(*top, "features"), cascade);
        read_stages(child(*top, "stages"), cascade);
        return cascade;
    }

  private:
    std::string source_;

    [[noreturn]] void fail_field(const std::string& field, const std::string& expected,
                                 const std::string& found) const {
        fail(source_ + " " + field, expected, found);
    }

    const XmlElement& child(const XmlElement& parent, const char* name) const {
        const XmlElement* c = parent.find(name);
        if (c == nullptr)
            fail_field("<" + parent.name + ">", concat("a <", name, "> element"), "none");
        return *c;
    }

    std::string text_of(const XmlElement& parent, const char* name) const {
        const std::string& raw = child(parent, name).text;
        const std::size_t b = raw.find_first_not_of(" \t\r\n");
        if (b == std::string::npos) return "";
        return raw.substr(b, raw.find_last_not_of(" \t\r\n") - b + 1);
    }

    // Whitespace-separated numbers, each parsed completely.
    std::vector<double> numbers(const XmlElement& element, const std::string& field) const {
        std::vector<double> out;
        const std::string& t = element.text;
        std::size_t i = 0;
        while (i < t.size()) {
            while (i < t.size() && (t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r'))
                ++i;
            if (i >= t.size()) break;
            std::size_t end = i;
            while (end < t.size() &&
                   !(t[end] == ' ' || t[end] == '\t' || t[end] == '\n' || t[end] == '\r'))
                ++end;
            const char* first = t.data() + i;
            if (*first == '+')
                ++first;  // from_chars takes no plus sign; OpenCV writes none, but allow it
            double value = 0.0;
            const auto [ptr, ec] = std::from_chars(first, t.data() + end, value);
            if (ec != std::errc() || ptr != t.data() + end || !std::isfinite(value))
                fail_field(field, "a finite number",
                           "'" + t.substr(i, std::min<std::size_t>(end - i, 24)) + "'");
            out.push_back(value);
            i = end;
        }
        return out;
    }

    int as_int(double value, const std::string& field, long lo, long hi) const {
        if (value != std::floor(value) || value < double(lo) || value > double(hi))
            fail_field(field, concat("a whole number from ", lo, " to ", hi), concat(value));
        return int(value);
    }

    int int_in(const XmlElement& parent, const char* name, long lo, long hi) const {
        const std::vector<double> v = numbers(child(parent, name), concat("<", name, ">"));
        if (v.size() != 1)
            fail_field(concat("<", name, ">"), "one number", concat(v.size(), " numbers"));
        return as_int(v[0], concat("<", name, ">"), lo, hi);
    }

    static float as_float(double value) { return static_cast<float>(value); }

    void read_features(const XmlElement& features, Cascade& cascade) const {
        const std::size_t count = features.children.size();
        if (count == 0 || count > std::size_t(limits::max_cascade_features))
            fail_field("feature count", concat("1 to ", limits::max_cascade_features),
                       concat(count));
        const int W = cascade.window_width, H = cascade.window_height;
        for (std::size_t f = 0; f < count; ++f) {
            const XmlElement& element = features.children[f];
            const std::string where = concat("feature ", f);
            if (cascade.feature_type == CascadeFeatureType::lbp) {
                const std::vector<double> v = numbers(child(element, "rect"), where + " rect");
                if (v.size() != 4) fail_field(where + " rect", "4 numbers", concat(v.size()));
                LbpFeature feature;
                feature.block = Rect{as_int(v[0], where, 0, W), as_int(v[1], where, 0, H),
                                     as_int(v[2], where, 1, W), as_int(v[3], where, 1, H)};
                const Rect grid{feature.block.x, feature.block.y, 3 * feature.block.width,
                                3 * feature.block.height};
                if (intersect(grid, Rect{0, 0, W, H}) != grid)
                    fail_field(where, concat("3 x 3 blocks inside the ", W, "x", H, " window"),
                               "blocks outside it");
                cascade.lbp_features.push_back(feature);
                continue;
            }
            HaarFeature feature;
            const XmlElement* tilted = element.find("tilted");
            feature.tilted = tilted != nullptr && int_in(element, "tilted", 0, 1) == 1;
            cascade.has_tilted_features |= feature.tilted;
            const XmlElement& rects = child(element, "rects");
            if (rects.children.size() < 1 || rects.children.size() > 3)
                fail_field(where + " rectangle count", "1 to 3", concat(rects.children.size()));
            for (const XmlElement& r : rects.children) {
                const std::vector<double> v = numbers(r, where + " rectangle");
                if (v.size() != 5)
                    fail_field(where + " rectangle", "5 numbers (x y width height weight)",
                               concat(v.size()));
                HaarFeature::WeightedRect& wr = feature.rects[feature.rect_count++];
                wr.rect = Rect{as_int(v[0], where, 0, W), as_int(v[1], where, 0, H),
                               as_int(v[2], where, 0, W), as_int(v[3], where, 0, H)};
                wr.weight = as_float(v[4]);
                const Rect& q = wr.rect;
                // The corners the evaluator reads must lie in the (W + 1) x (H + 1) tables.
                const bool inside = feature.tilted ? q.x - q.height >= 0 && q.x + q.width <= W &&
                                                         q.y + q.width + q.height <= H
                                                   : q.x + q.width <= W && q.y + q.height <= H;
                if (!inside)
                    fail_field(where, concat("rectangles inside the ", W, "x", H, " window"),
                               concat("[", q.x, ", ", q.y, ", ", q.width, ", ", q.height, "]",
                                      feature.tilted ? " tilted" : ""));
            }
            cascade.haar_features.push_back(feature);
        }
    }

    void read_stages(const XmlElement& stages, Cascade& cascade) const {
        const std::size_t stage_count = stages.children.size();
        if (stage_count == 0 || stage_count > std::size_t(limits::max_cascade_stages))
            fail_field("stage count", concat("1 to ", limits::max_cascade_stages),
                       concat(stage_count));
        const bool lbp = cascade.feature_type == CascadeFeatureType::lbp;
        const int node_numbers =
            lbp ? 3 + 8 : 4;  // left right feature (threshold | 8 subset words)
        const int feature_count =
            int(lbp ? cascade.lbp_features.size() : cascade.haar_features.size());
        cascade.all_stumps = true;
        for (std::size_t s = 0; s < stage_count; ++s) {
            const XmlElement& element = stages.children[s];
            const std::string where = concat("stage ", s);
            CascadeStage stage;
            const std::vector<double> threshold =
                numbers(child(element, "stageThreshold"), where + " threshold");
            if (threshold.size() != 1)
                fail_field(where + " threshold", "one number", concat(threshold.size()));
            // As OpenCV: float first, then lowered by a float epsilon.
            stage.threshold = as_float(threshold[0]) - 1e-5f;
            const XmlElement& weak = child(element, "weakClassifiers");
            stage.first_tree = int(cascade.trees.size());
            stage.tree_count = int(weak.children.size());
            if (stage.tree_count == 0 || cascade.trees.size() + weak.children.size() >
                                             std::size_t(limits::max_cascade_trees))
                fail_field(where + " tree count",
                           concat("1 or more, at most ", limits::max_cascade_trees, " in all"),
                           concat(stage.tree_count));
            for (std::size_t t = 0; t < weak.children.size(); ++t) {
                const std::string tree_where = concat(where, " tree ", t);
                const std::vector<double> internal =
                    numbers(child(weak.children[t], "internalNodes"), tree_where);
                const std::vector<double> leaves =
                    numbers(child(weak.children[t], "leafValues"), tree_where);
                if (internal.empty() || internal.size() % node_numbers != 0)
                    fail_field(tree_where + " internalNodes",
                               concat("a multiple of ", node_numbers, " numbers"),
                               concat(internal.size()));
                CascadeTree tree;
                tree.node_count = int(internal.size() / node_numbers);
                if (tree.node_count > limits::max_cascade_nodes_per_tree)
                    fail_field(tree_where + " node count",
                               concat("at most ", limits::max_cascade_nodes_per_tree),
                               concat(tree.node_count));
                if (int(leaves.size()) != tree.node_count + 1)
                    fail_field(tree_where + " leafValues", concat(tree.node_count + 1, " values"),
                               concat(leaves.size()));
                tree.first_node = int(cascade.nodes.size());
                tree.first_leaf = int(cascade.leaves.size());
                for (int n = 0; n < tree.node_count; ++n) {
                    const double* v = internal.data() + std::size_t(n) * node_numbers;
                    CascadeNode node;
                    // A child must lie further down the tree (so evaluation ends) or be a leaf.
                    node.left = as_int(v[0], tree_where + " left child", -tree.node_count,
                                       tree.node_count - 1);
                    node.right = as_int(v[1], tree_where + " right child", -tree.node_count,
                                        tree.node_count - 1);
                    if ((node.left > 0 && node.left <= n) || (node.right > 0 && node.right <= n))
                        fail_field(tree_where + " children",
                                   concat("leaves or nodes after node ", n),
                                   concat(node.left, " and ", node.right));
                    node.feature =
                        as_int(v[2], tree_where + " feature index", 0, feature_count - 1);
                    if (lbp) {
                        for (int w = 0; w < 8; ++w)
                            cascade.subsets.push_back(std::uint32_t(as_int(
                                v[3 + w], tree_where + " category subset", INT32_MIN, INT32_MAX)));
                    } else {
                        node.threshold = as_float(v[3]);
                    }
                    cascade.nodes.push_back(node);
                }
                for (double leaf : leaves) cascade.leaves.push_back(as_float(leaf));
                cascade.all_stumps &= tree.node_count == 1;
                cascade.trees.push_back(tree);
            }
            cascade.stages.push_back(stage);
        }
    }
};

}  // namespace detail

// Parses a cascade from XML text. `source` names it in error messages.
// Throws: fer::error for malformed XML, unsupported or inconsistent cascades.
inline Cascade parse_cascade(std::string_view xml, const std::string& source = "cascade") {
    return detail::CascadeReader(source).read(detail::parse_xml(xml, source));
}

// Loads a cascade file such as /usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml.
// Throws: fer::error naming the path when it cannot be read or is not a valid cascade.
inline Cascade load_cascade(const std::string& path) {
    const std::vector<std::uint8_t> bytes = read_file_bytes(path, limits::max_cascade_file_bytes);
    return parse_cascade(
        std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()), path);
}

}  // namespace fer

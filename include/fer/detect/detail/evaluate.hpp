// fer/detect/detail/evaluate.hpp - running a cascade on the windows of one pyramid level
// (internal).
//
// The arithmetic is OpenCV 4's, operation for operation, so that each window gets the same
// verdict: integral sums and squared sums in 32-bit integers, the variance normalization in
// double, feature values as float products and sums, and stage sums in double. Windows whose
// standard deviation is 10 grey levels or less are flat and never evaluated, as in OpenCV.
// Floating-point contraction (fused multiply-add) would change results at the thresholds, so it
// is switched off for this file.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "../../image.hpp"
#include "../../integral.hpp"
#include "../cascade.hpp"

// GCC fuses multiplies and adds (even written as intrinsics) unless told not to; clang is told
// inside each function that computes feature values.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC push_options
#pragma GCC optimize("fp-contract=off")
#endif

namespace fer::detail {

// Integral tables of one pyramid level, (width + 1) x (height + 1) entries each.
struct LevelTables {
    int width = 0;
    int height = 0;
    std::ptrdiff_t stride = 0;
    std::vector<std::uint32_t> sum;    // wraps modulo 2^32; window sums are exact
    std::vector<std::uint32_t> sqsum;  // likewise (a 24 x 24 window sums to at most 2^25.2)
    std::vector<std::uint32_t> tilted;

    // Entries past the end, so that vector code may read a few windows beyond the last one.
    static constexpr std::size_t padding = 64;

    // Fills the tables for `gray`, reusing storage. The tilted table only when asked for.
    void build(const ImageView& gray, bool with_squares, bool with_tilted) {
        width = gray.width();
        height = gray.height();
        stride = std::ptrdiff_t{width} + 1;
        const std::size_t entries = std::size_t(stride) * std::size_t(height + 1);
        // Every entry but the zero first row and column is written below; storage is reused
        // from level to level (they only shrink), so nothing is cleared needlessly.
        auto prepare = [&](std::vector<std::uint32_t>& table) {
            table.resize(entries + padding);
            std::fill(table.begin(), table.begin() + stride, 0u);
            for (int y = 1; y <= height; ++y) table[std::size_t(y * stride)] = 0;
        };
        prepare(sum);
        if (with_squares) prepare(sqsum);
        for (int y = 0; y < height; ++y) {
            const std::uint8_t* pixels = gray.row(y);
            const std::ptrdiff_t above = std::ptrdiff_t{y} * stride, here = above + stride;
            std::uint32_t row_sum = 0;
            for (int x = 0; x < width; ++x) {
                row_sum += pixels[x];
                sum[here + x + 1] = sum[above + x + 1] + row_sum;
            }
            if (!with_squares) continue;
            std::uint32_t row_squares = 0;
            for (int x = 0; x < width; ++x) {
                row_squares += std::uint32_t(pixels[x]) * pixels[x];
                sqsum[here + x + 1] = sqsum[above + x + 1] + row_squares;
            }
        }
        if (with_tilted) {
            tilted = tilted_integral(gray);
            tilted.resize(entries + padding, 0);
        }
    }

    // The same tables with even and odd columns apart (column c at row * half_stride + c / 2 of
    // part c % 2), so that windows two pixels apart read neighbouring entries.
    std::ptrdiff_t half_stride = 0;
    std::vector<std::uint32_t> sum_parts[2], sqsum_parts[2], tilted_parts[2];

    void split_columns() {
        half_stride = (stride + 1) / 2;
        auto split = [this](const std::vector<std::uint32_t>& table,
                            std::vector<std::uint32_t>* parts) {
            if (table.empty()) return;
            for (int p = 0; p < 2; ++p)
                parts[p].resize(std::size_t(half_stride) * std::size_t(height + 1) + padding);
            for (int y = 0; y <= height; ++y)
                for (std::ptrdiff_t c = 0; c < stride; ++c)
                    parts[c & 1][std::size_t(y * half_stride + (c >> 1))] =
                        table[std::size_t(y * stride + c)];
        };
        split(sum, sum_parts);
        split(sqsum, sqsum_parts);
        split(tilted, tilted_parts);
    }
};

// Sum over a rectangle given its four corner offsets: p0 - p1 - p2 + p3, in OpenCV's order.
inline std::int32_t corner_sum(const std::uint32_t* p, const std::int32_t* o) {
    return std::int32_t(p[o[0]] - p[o[1]] - p[o[2]] + p[o[3]]);
}

// A cascade with its features turned into table offsets for one table stride.
class CompiledCascade {
  public:
    // Requires: `cascade` outlives this object. Offsets start out for table stride `stride`.
    CompiledCascade(const Cascade& cascade, std::ptrdiff_t stride) : cascade_(&cascade) {
        const int W = cascade.window_width, H = cascade.window_height;
        normalize_area_ = (W - 2) * (H - 2);
        rect_corners(Rect{1, 1, W - 2, H - 2}, false, normalize_corners_);
        if (cascade.feature_type == CascadeFeatureType::haar) {
            haar_.resize(cascade.haar_features.size());
            for (std::size_t f = 0; f < haar_.size(); ++f) {
                const HaarFeature& in = cascade.haar_features[f];
                HaarOffsets& out = haar_[f];
                out.tilted = in.tilted;
                for (int r = 0; r < 3; ++r) {
                    out.weight[r] = r < in.rect_count ? in.rects[r].weight : 0.0f;
                    rect_corners(r < in.rect_count ? in.rects[r].rect : Rect{}, in.tilted,
                                 out.corners[r]);
                }
            }
            if (cascade.all_stumps) build_stump_table();
        } else {
            lbp_.resize(cascade.lbp_features.size());
            for (std::size_t f = 0; f < lbp_.size(); ++f) {
                const Rect b = cascade.lbp_features[f].block;
                // Corners of the 3 x 3 block grid, row-major: 4 x 4 of them.
                for (int j = 0; j < 4; ++j)
                    for (int i = 0; i < 4; ++i) {
                        lbp_[f].xy[j * 4 + i][0] = std::int16_t(b.x + i * b.width);
                        lbp_[f].xy[j * 4 + i][1] = std::int16_t(b.y + j * b.height);
                    }
            }
        }
        restride(stride);
    }

    // Recomputes the table offsets for tables with `stride` entries per row (one pyramid level
    // after another), without allocating. With stumps_only, only what the vector scan reads.
    void restride(std::ptrdiff_t stride, bool stumps_only = false) {
        auto offset = [stride](const std::int16_t* xy) {
            return std::int32_t(xy[0] + xy[1] * stride);
        };
        for (int c = 0; c < 4; ++c) normalize_offsets_[c] = offset(normalize_corners_[c]);
        if (!stumps_only)
            for (HaarOffsets& f : haar_)
                for (int r = 0; r < 3; ++r)
                    for (int c = 0; c < 4; ++c) f.offsets[r][c] = offset(f.corners[r][c]);
        for (Stump& st : stumps_)
            for (int r = 0; r < 3; ++r)
                for (int c = 0; c < 4; ++c) st.offsets[r][c] = offset(st.corners[r][c]);
        for (LbpOffsets& f : lbp_)
            for (int c = 0; c < 16; ++c) f.corners[c] = offset(f.xy[c]);
    }

    // The verdict for the window whose top-left corner is (x, y): 1 when every stage passes,
    // otherwise minus the index of the rejecting stage (so 0 is a rejection by the first stage),
    // or flat_window for a window too flat to evaluate.
    static constexpr int flat_window = -1000000;

    int evaluate(const LevelTables& t, int x, int y) const {
        const std::ptrdiff_t origin = std::ptrdiff_t{y} * t.stride + x;
        const std::uint32_t* sum = t.sum.data() + origin;
        if (cascade_->feature_type == CascadeFeatureType::lbp) return evaluate_lbp(sum);
        const std::uint32_t* sqsum = t.sqsum.data() + origin;
        const std::uint32_t* tilted = t.tilted.empty() ? nullptr : t.tilted.data() + origin;
        float inverse_norm = 0.0f;
        if (!variance_factor(sum, sqsum, inverse_norm)) return flat_window;
        return run_stages([&](int, const CascadeNode& n) {
            const float value =
                haar_value(haar_[std::size_t(n.feature)], sum, tilted) * inverse_norm;
            return value < n.threshold;
        });
    }

    // Haar cascades made only of stumps, laid out for vector code: per stump its three
    // rectangles' corner offsets and weights, threshold and leaves; per stage its stump range.
    struct Stump {
        std::int32_t offsets[3][4];
        std::int16_t corners[3][4][2];  // (x, y) of each corner within the window
        float weight[3];
        float threshold, left, right;
        bool tilted;
        // The most and the least the stumps after this one in its stage can still add.
        double rest_max, rest_min;
    };
    struct StumpStage {
        int first, count;
        float threshold;
    };
    bool has_stump_table() const { return !stumps_.empty(); }
    const std::vector<Stump>& stumps() const { return stumps_; }
    const std::vector<StumpStage>& stump_stages() const { return stump_stages_; }
    const std::int32_t* normalize_offsets() const { return normalize_offsets_; }
    const std::int16_t (*normalize_corners() const)[2] { return normalize_corners_; }
    int normalize_area() const { return normalize_area_; }

  private:
    std::vector<Stump> stumps_;
    std::vector<StumpStage> stump_stages_;

    void build_stump_table() {
        const Cascade& c = *cascade_;
        stumps_.reserve(c.trees.size());
        for (const CascadeStage& stage : c.stages) {
            stump_stages_.push_back({int(stumps_.size()), stage.tree_count, stage.threshold});
            for (int t = 0; t < stage.tree_count; ++t) {
                const CascadeTree& tree = c.trees[std::size_t(stage.first_tree + t)];
                const CascadeNode& node = c.nodes[std::size_t(tree.first_node)];
                const HaarOffsets& f = haar_[std::size_t(node.feature)];
                Stump s{};
                std::memcpy(s.corners, f.corners, sizeof s.corners);
                std::memcpy(s.weight, f.weight, sizeof s.weight);
                s.threshold = node.threshold;
                // A stump's children are leaves 0 and 1 (left = 0, right = -1 in the file).
                s.left = c.leaves[std::size_t(tree.first_leaf - node.left)];
                s.right = c.leaves[std::size_t(tree.first_leaf - node.right)];
                s.tilted = f.tilted;
                stumps_.push_back(s);
            }
            double rest_max = 0.0, rest_min = 0.0;
            for (int k = int(stumps_.size()) - 1; k >= stump_stages_.back().first; --k) {
                Stump& st = stumps_[std::size_t(k)];
                st.rest_max = rest_max;
                st.rest_min = rest_min;
                rest_max += std::max(st.left, st.right);
                rest_min += std::min(st.left, st.right);
            }
        }
    }

    struct HaarOffsets {
        std::int32_t offsets[3][4] = {};
        std::int16_t corners[3][4][2] = {};  // (x, y) of each corner within the window
        float weight[3] = {};
        bool tilted = false;
    };
    struct LbpOffsets {
        std::int32_t corners[16] = {};
        std::int16_t xy[16][2] = {};
    };

    const Cascade* cascade_;
    std::int32_t normalize_offsets_[4] = {};
    std::int16_t normalize_corners_[4][2] = {};
    int normalize_area_ = 0;
    std::vector<HaarOffsets> haar_;
    std::vector<LbpOffsets> lbp_;

    // The four corners read for `r`, as (x, y) within the window: upright (x,y) (x+w,y) (x,y+h)
    // (x+w,y+h); tilted (x,y) (x-h,y+h) (x+w,y+w) (x+w-h,y+w+h).
    static void rect_corners(const Rect& r, bool tilted, std::int16_t (*xy)[2]) {
        const int points[2][4][2] = {{{r.x, r.y},
                                      {r.x + r.width, r.y},
                                      {r.x, r.y + r.height},
                                      {r.x + r.width, r.y + r.height}},
                                     {{r.x, r.y},
                                      {r.x - r.height, r.y + r.height},
                                      {r.x + r.width, r.y + r.width},
                                      {r.x + r.width - r.height, r.y + r.width + r.height}}};
        for (int k = 0; k < 4; ++k) {
            xy[k][0] = std::int16_t(points[tilted ? 1 : 0][k][0]);
            xy[k][1] = std::int16_t(points[tilted ? 1 : 0][k][1]);
        }
    }

    // factor = 1 / (area * standard deviation) of the window's inner part, as OpenCV computes
    // it; false for a flat window (standard deviation 10 or less), which OpenCV skips.
    bool variance_factor(const std::uint32_t* sum, const std::uint32_t* sqsum,
                         float& factor) const {
#if defined(__clang__)
#pragma clang fp contract(off)
#endif
        const std::int32_t value_sum = corner_sum(sum, normalize_offsets_);
        const std::uint32_t value_sqsum =
            sqsum[normalize_offsets_[0]] - sqsum[normalize_offsets_[1]] -
            sqsum[normalize_offsets_[2]] + sqsum[normalize_offsets_[3]];
        const double area = normalize_area_;
        const double nf = area * value_sqsum - double(value_sum) * value_sum;
        if (!(nf > 0.0)) return false;
        factor = float(1.0 / std::sqrt(nf));
        return area * factor < 0.1;
    }

    static float haar_value(const HaarOffsets& f, const std::uint32_t* sum,
                            const std::uint32_t* tilted) {
#if defined(__clang__)
#pragma clang fp contract(off)
#endif
        const std::uint32_t* p = f.tilted ? tilted : sum;
        float value = f.weight[0] * float(corner_sum(p, f.offsets[0])) +
                      f.weight[1] * float(corner_sum(p, f.offsets[1]));
        if (f.weight[2] != 0.0f) value += f.weight[2] * float(corner_sum(p, f.offsets[2]));
        return value;
    }

    // The 8-bit local binary pattern of block sums around the centre block, clockwise from the
    // top-left block, most significant bit first.
    static int lbp_code(const LbpOffsets& f, const std::uint32_t* sum) {
        const std::int32_t* c = f.corners;
        auto block = [&](int i, int j) {  // block in column i, row j of the 3 x 3 grid
            const std::int32_t o[4] = {c[j * 4 + i], c[j * 4 + i + 1], c[(j + 1) * 4 + i],
                                       c[(j + 1) * 4 + i + 1]};
            return corner_sum(sum, o);
        };
        const std::int32_t centre = block(1, 1);
        return (block(0, 0) >= centre ? 128 : 0) | (block(1, 0) >= centre ? 64 : 0) |
               (block(2, 0) >= centre ? 32 : 0) | (block(2, 1) >= centre ? 16 : 0) |
               (block(2, 2) >= centre ? 8 : 0) | (block(1, 2) >= centre ? 4 : 0) |
               (block(0, 2) >= centre ? 2 : 0) | (block(0, 1) >= centre ? 1 : 0);
    }

    int evaluate_lbp(const std::uint32_t* sum) const {
        return run_stages([&](int node_index, const CascadeNode& n) {
            const int code = lbp_code(lbp_[std::size_t(n.feature)], sum);
            const std::uint32_t* subset = cascade_->subsets.data() + std::size_t(node_index) * 8;
            return (subset[code >> 5] & (1u << (code & 31))) != 0;
        });
    }

    // The stages in order, each summing its trees' leaves in double as OpenCV does; a tree goes
    // left at a node when goes_left(node index, node) says so. Returns evaluate()'s verdict.
    template <class GoesLeft>
    int run_stages(GoesLeft goes_left) const {
        const Cascade& c = *cascade_;
        for (std::size_t s = 0; s < c.stages.size(); ++s) {
            const CascadeStage& stage = c.stages[s];
            double stage_sum = 0.0;
            for (int t = 0; t < stage.tree_count; ++t) {
                const CascadeTree& tree = c.trees[std::size_t(stage.first_tree + t)];
                int node = 0;
                for (;;) {
                    const int index = tree.first_node + node;
                    const CascadeNode& n = c.nodes[std::size_t(index)];
                    const int next = goes_left(index, n) ? n.left : n.right;
                    if (next <= 0) {
                        stage_sum += c.leaves[std::size_t(tree.first_leaf - next)];
                        break;
                    }
                    node = next;
                }
            }
            if (stage_sum < stage.threshold) return -int(s);
        }
        return 1;
    }
};

}  // namespace fer::detail

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC pop_options
#endif

// fer/detect/group.hpp - merging a detector's raw window hits into one box per object.
//
// The grouping of OpenCV's groupRectangles: hits are "similar" when each edge differs by at most
// eps * (mean of the smaller width and the smaller height); groups are the connected components
// of that relation; a group with more than min_neighbors hits becomes one box, its members'
// average (rounded as OpenCV rounds); and a box that lies inside a stronger box (within eps of its
// size) is dropped.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <numeric>
#include <vector>

#include "../image.hpp"

namespace fer {

// A detected object: its box in image pixels and how many raw hits support it (more is surer).
struct Detection {
    Rect box;
    int neighbors = 0;
};

namespace detail {

inline bool similar_rects(const Rect& a, const Rect& b, double eps) {
    const double delta = eps * (std::min(a.width, b.width) + std::min(a.height, b.height)) * 0.5;
    return std::abs(a.x - b.x) <= delta && std::abs(a.y - b.y) <= delta &&
           std::abs(a.right() - b.right()) <= delta && std::abs(a.bottom() - b.bottom()) <= delta;
}

// Union-find root with path halving.
inline int find_root(std::vector<int>& parent, int i) {
    while (parent[i] != i) i = parent[i] = parent[parent[i]];
    return i;
}

// OpenCV's cvRound on a float: nearest, ties to even.
inline int round_float(float v) {
    return int(std::lrint(v));
}

}  // namespace detail

// group_rectangles' working memory: grouping allocates nothing once the vectors have grown.
struct GroupScratch {
    std::vector<int> parent, group_index_of_root;
    struct Sum {
        long long x = 0, y = 0, w = 0, h = 0;
        int count = 0;
    };
    std::vector<Sum> sums;
    std::vector<Rect> boxes;
};

// Groups raw hits into `out` (replacing its contents), ordered top to bottom, then left to right.
// Requires: min_neighbors >= 0, eps >= 0. With min_neighbors == 0 every hit is returned as it is,
// with 1 neighbour, as OpenCV does.
inline void group_rectangles(const std::vector<Rect>& hits, int min_neighbors, double eps,
                             GroupScratch& scratch, std::vector<Detection>& out) {
    out.clear();
    if (min_neighbors <= 0) {
        for (const Rect& r : hits) out.push_back({r, 1});
        return;
    }
    const int n = int(hits.size());
    std::vector<int>& parent = scratch.parent;
    parent.resize(hits.size());
    std::iota(parent.begin(), parent.end(), 0);
    for (int i = 0; i < n; ++i)
        for (int j = i + 1; j < n; ++j)
            if (detail::similar_rects(hits[i], hits[j], eps)) {
                const int a = detail::find_root(parent, i), b = detail::find_root(parent, j);
                if (a != b) parent[std::max(a, b)] = std::min(a, b);
            }
    // Per group: sum of coordinates and member count, in order of each group's first member.
    std::vector<int>& group_index_of_root = scratch.group_index_of_root;
    group_index_of_root.assign(hits.size(), -1);
    std::vector<GroupScratch::Sum>& sums = scratch.sums;
    sums.clear();
    for (int i = 0; i < n; ++i) {
        const int root = detail::find_root(parent, i);
        if (group_index_of_root[root] < 0) {
            group_index_of_root[root] = int(sums.size());
            sums.push_back({});
        }
        GroupScratch::Sum& s = sums[group_index_of_root[root]];
        s.x += hits[i].x, s.y += hits[i].y, s.w += hits[i].width, s.h += hits[i].height;
        ++s.count;
    }
    std::vector<Rect>& boxes = scratch.boxes;
    boxes.resize(sums.size());
    for (std::size_t g = 0; g < sums.size(); ++g) {
        // As OpenCV: the average is the integer sum times a float reciprocal, rounded.
        const float inverse = 1.0f / float(sums[g].count);
        boxes[g] = Rect{detail::round_float(float(sums[g].x) * inverse),
                        detail::round_float(float(sums[g].y) * inverse),
                        detail::round_float(float(sums[g].w) * inverse),
                        detail::round_float(float(sums[g].h) * inverse)};
    }
    for (std::size_t i = 0; i < boxes.size(); ++i) {
        const int n1 = sums[i].count;
        if (n1 <= min_neighbors) continue;
        bool inside_stronger = false;
        for (std::size_t j = 0; j < boxes.size() && !inside_stronger; ++j) {
            const int n2 = sums[j].count;
            if (j == i || n2 <= min_neighbors) continue;
            const Rect& r1 = boxes[i];
            const Rect& r2 = boxes[j];
            const int dx = int(std::lrint(r2.width * eps)), dy = int(std::lrint(r2.height * eps));
            inside_stronger = r1.x >= r2.x - dx && r1.y >= r2.y - dy &&
                              r1.right() <= r2.right() + dx && r1.bottom() <= r2.bottom() + dy &&
                              (n2 > std::max(3, n1) || n1 < 3);
        }
        if (!inside_stronger) out.push_back({boxes[i], n1});
    }
    std::sort(out.begin(), out.end(), [](const Detection& a, const Detection& b) {
        return a.box.y != b.box.y ? a.box.y < b.box.y : a.box.x < b.box.x;
    });
}

inline std::vector<Detection> group_rectangles(const std::vector<Rect>& hits, int min_neighbors,
                                               double eps = 0.2) {
    GroupScratch scratch;
    std::vector<Detection> out;
    group_rectangles(hits, min_neighbors, eps, scratch, out);
    return out;
}

}  // namespace fer

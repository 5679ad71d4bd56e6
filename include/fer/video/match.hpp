// fer/video/match.hpp - which box in this frame is which box in the last: overlap and assignment.
#pragma once

#include <algorithm>
#include <tuple>
#include <utility>
#include <vector>

#include "../error.hpp"
#include "../image.hpp"

namespace fer {

// Intersection over union of two boxes: 1 for equal boxes, 0 for disjoint or empty ones.
inline double iou(const Rect& a, const Rect& b) {
    const std::int64_t overlap = intersect(a, b).area();
    const std::int64_t either = a.area() + b.area() - overlap;
    return either == 0 ? 0.0 : double(overlap) / double(either);
}

// Pairs (index into `previous`, index into `current`) of boxes that overlap with IoU at least
// `min_iou`, chosen greedily from the largest overlap down, each box in at most one pair; sorted
// by the index into `previous`. Greedy is what video trackers of faces use: faces rarely overlap,
// so the globally optimal assignment (Hungarian) almost never differs, at a fraction of the code.
// Throws: fer::error unless 0 < min_iou <= 1.
inline std::vector<std::pair<int, int>> match_by_iou(const std::vector<Rect>& previous,
                                                     const std::vector<Rect>& current,
                                                     double min_iou) {
    if (!(min_iou > 0.0 && min_iou <= 1.0)) detail::fail("IoU match threshold", "0 to 1", min_iou);
    std::vector<std::tuple<double, int, int>> candidates;
    for (int i = 0; i < int(previous.size()); ++i)
        for (int j = 0; j < int(current.size()); ++j) {
            const double overlap = iou(previous[i], current[j]);
            if (overlap >= min_iou) candidates.emplace_back(overlap, i, j);
        }
    // Largest overlap first; ties broken by index so that the result never depends on sort order.
    std::sort(candidates.begin(), candidates.end(), [](const auto& a, const auto& b) {
        if (std::get<0>(a) != std::get<0>(b)) return std::get<0>(a) > std::get<0>(b);
        return std::make_pair(std::get<1>(a), std::get<2>(a)) <
               std::make_pair(std::get<1>(b), std::get<2>(b));
    });
    std::vector<char> previous_used(previous.size(), 0), current_used(current.size(), 0);
    std::vector<std::pair<int, int>> pairs;
    for (const auto& [overlap, i, j] : candidates) {
        if (previous_used[i] || current_used[j]) continue;
        previous_used[i] = current_used[j] = 1;
        pairs.emplace_back(i, j);
    }
    std::sort(pairs.begin(), pairs.end());
    return pairs;
}

}  // namespace fer

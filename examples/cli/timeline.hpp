// The picture `fer video --timeline` draws: each face's seven probabilities over time.
#pragma once

#include <fer/fer.hpp>

#include <algorithm>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "annotate.hpp"

namespace cli {

// The probabilities one track had in each frame where it was seen.
struct TrackHistory {
    std::vector<std::int64_t> frames;
    std::vector<fer::Probabilities> probabilities;
};

// One panel per track (the `most` longest tracks, in ID order): frame number across, probability
// (0 to 1) up, a line per expression in its colour, a legend on top.
inline fer::Image draw_timeline(const std::map<int, TrackHistory>& tracks, std::int64_t frame_count,
                                double fps, std::size_t most = 8) {
    std::vector<int> ids;
    for (const auto& [id, h] : tracks) ids.push_back(id);
    std::stable_sort(ids.begin(), ids.end(), [&](int a, int b) {
        return tracks.at(a).frames.size() > tracks.at(b).frames.size();
    });
    if (ids.size() > most) ids.resize(most);
    std::sort(ids.begin(), ids.end());

    const int scale = 2, line_height = fer::text_height(scale) + 8;
    const int left = 70, right = 20, plot_width = 1000, plot_height = 140, gap = 30;
    const int legend_height = line_height + 10;
    const int panels = std::max<int>(1, int(ids.size()));
    fer::Image picture(left + plot_width + right,
                       legend_height + panels * (plot_height + gap + line_height) + 10,
                       fer::PixelFormat::rgb);
    fer::MutableImageView view = picture.mutable_view();
    fer::fill_rectangle(view, picture.view().bounds(), {255, 255, 255});

    int x = left;
    for (int c = 0; c < fer::expression_count; ++c) {
        const auto e = fer::Expression(c);
        fer::fill_rectangle(view, {x, 8, 14, 14}, expression_colour(e));
        fer::draw_text(view, x + 20, 8, fer::to_string(e), {0, 0, 0}, scale);
        x += 20 + fer::text_width(fer::to_string(e), scale) + 24;
    }
    if (ids.empty())
        fer::draw_text(view, left, legend_height + 20, "no faces were tracked", {0, 0, 0}, scale);

    const std::int64_t span = std::max<std::int64_t>(1, frame_count - 1);
    auto x_of = [&](std::int64_t frame) { return left + int(frame * (plot_width - 1) / span); };
    for (std::size_t p = 0; p < ids.size(); ++p) {
        const TrackHistory& h = tracks.at(ids[p]);
        const int top = legend_height + int(p) * (plot_height + gap + line_height);
        char title[96];
        std::snprintf(title, sizeof title, "face #%d: frames %lld-%lld", ids[p],
                      (long long)h.frames.front(), (long long)h.frames.back());
        fer::draw_text(view, left, top, title, {0, 0, 0}, scale);
        const int plot_top = top + line_height;
        // 5 pixels inside the frame, so that lines at 0 and 1 stay visible.
        auto y_of = [&](float probability) {
            return plot_top + plot_height - 6 - int(probability * (plot_height - 11) + 0.5f);
        };
        fer::draw_line(view, left, y_of(0.5f), left + plot_width - 1, y_of(0.5f), {225, 225, 225});
        fer::draw_rectangle(view, {left, plot_top, plot_width, plot_height}, {120, 120, 120}, 1);
        fer::draw_text(view, 8, y_of(1.0f) - fer::text_height(scale) / 2, "1.0", {90, 90, 90},
                       scale);
        fer::draw_text(view, 8, y_of(0.0f) - fer::text_height(scale) / 2, "0.0", {90, 90, 90},
                       scale);
        for (int c = 0; c < fer::expression_count; ++c) {
            const fer::Color colour = expression_colour(fer::Expression(c));
            for (std::size_t i = 0; i < h.frames.size(); ++i) {
                const bool joined_before = i > 0 && h.frames[i] == h.frames[i - 1] + 1;
                const bool joined_after =
                    i + 1 < h.frames.size() && h.frames[i + 1] == h.frames[i] + 1;
                const int x1 = x_of(h.frames[i]), y1 = y_of(h.probabilities[i][c]);
                if (joined_before)  // unseen frames leave a gap
                    fer::draw_line(view, x_of(h.frames[i - 1]), y_of(h.probabilities[i - 1][c]), x1,
                                   y1, colour, 2);
                else if (!joined_after)  // a frame seen alone: a dot
                    fer::fill_rectangle(view, {x1 - 2, y1 - 2, 5, 5}, colour);
            }
        }
    }
    char axis[96];
    if (fps > 0)
        std::snprintf(axis, sizeof axis, "frames 0-%lld (%.1f s)", (long long)span,
                      double(frame_count) / fps);
    else
        std::snprintf(axis, sizeof axis, "frames 0-%lld", (long long)span);
    fer::draw_text(view, left + plot_width - fer::text_width(axis, scale),
                   picture.height() - fer::text_height(scale) - 6, axis, {90, 90, 90}, scale);
    return picture;
}

}  // namespace cli

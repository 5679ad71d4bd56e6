// Pictures and JSON of the fer tool's results: boxes with labels, one colour per expression.
#pragma once

#include <fer/fer.hpp>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "json.hpp"

namespace cli {

inline std::string probabilities_json(const fer::Probabilities& p) {
    JsonObject o;
    for (int c = 0; c < fer::expression_count; ++c)
        o.number(fer::to_string(fer::Expression(c)), p[std::size_t(c)], 4);
    return o.str();
}

// One colour per expression, for boxes, plots and legends.
inline fer::Color expression_colour(fer::Expression e) {
    static const fer::Color colours[fer::expression_count] = {
        {230, 40, 40},  {120, 170, 40}, {150, 60, 200}, {250, 200, 0},
        {40, 110, 230}, {250, 120, 0},  {160, 160, 160}};
    return colours[int(e)];
}

inline std::string box_json(const fer::Rect& r) {
    return "[" + std::to_string(r.x) + ", " + std::to_string(r.y) + ", " + std::to_string(r.width) +
           ", " + std::to_string(r.height) + "]";
}

// One face's box and caption ("<prefix>label score"), in the expression's colour.
inline void annotate_face(fer::Image& picture, const fer::Rect& box, fer::Expression label,
                          float score, const std::string& prefix, int thickness, int text_scale) {
    const fer::Color c = expression_colour(label);
    fer::draw_rectangle(picture.mutable_view(), box, c, thickness);
    char text[64];
    std::snprintf(text, sizeof text, "%s%s %.0f%%", prefix.c_str(), fer::to_string(label),
                  100.0 * score);
    fer::draw_label(picture.mutable_view(), box, text, c, {0, 0, 0}, text_scale);
}

// Boxes with "label score" on the picture.
inline void annotate_faces(fer::Image& photo, const std::vector<fer::FaceResult>& faces) {
    const int thickness = std::max(2, std::min(photo.width(), photo.height()) / 300);
    for (const fer::FaceResult& f : faces)
        annotate_face(photo, f.box, f.label, f.score, "", thickness, std::max(2, f.box.width / 80));
}

}  // namespace cli

// Pictures and JSON of the fer tool's results: boxes with labels, one colour per expression.
#pragma once

#include <fer/fer.hpp>

#include <algorithm>
#include <array>
#include <cmath>
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

// {"right_eye": [x, y], ...}: the six keypoints in pixels.
inline std::string keypoints_json(
    const std::array<fer::FacePoint, fer::face_keypoint_count>& points) {
    static const char* const names[fer::face_keypoint_count] = {
        "right_eye", "left_eye", "nose", "mouth", "right_ear", "left_ear"};
    JsonObject o;
    for (int k = 0; k < fer::face_keypoint_count; ++k)
        o.raw(names[k], "[" + json_number(points[std::size_t(k)].x, 5) + ", " +
                            json_number(points[std::size_t(k)].y, 5) + "]");
    return o.str();
}

// Small squares on the keypoints of a face `face_width` pixels wide.
inline void draw_keypoints(fer::Image& picture,
                           const std::array<fer::FacePoint, fer::face_keypoint_count>& points,
                           int face_width, fer::Color colour, int thickness) {
    const int r = std::max(2, face_width / 30);
    for (const fer::FacePoint& p : points)
        fer::draw_rectangle(picture.mutable_view(),
                            {int(std::lround(p.x)) - r, int(std::lround(p.y)) - r, 2 * r, 2 * r},
                            colour, std::max(1, thickness / 2));
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

// Boxes with "label score" on the picture, and the detector's keypoints when it gave them.
inline void annotate_faces(fer::Image& photo, const std::vector<fer::FaceResult>& faces) {
    const int thickness = std::max(2, std::min(photo.width(), photo.height()) / 300);
    for (const fer::FaceResult& f : faces) {
        annotate_face(photo, f.box, f.label, f.score, "", thickness, std::max(2, f.box.width / 80));
        if (f.detection.has_keypoints)
            draw_keypoints(photo, f.detection.keypoints, f.box.width, expression_colour(f.label),
                           thickness);
    }
}

}  // namespace cli

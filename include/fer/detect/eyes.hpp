// fer/detect/eyes.hpp - both eyes of a detected face, and the roll angle they give.
//
//   const fer::CascadeDetector eyes(fer::load_cascade(fer::default_eye_cascade_path()));
//   if (auto pair = fer::find_eyes(eyes, gray, face.box)) rotate_by(-pair->roll_degrees);
//
// The eye cascade runs on the upper part of the face box, sized for eyes of a face that size;
// the strongest hit in each half of the face becomes that eye. Without a hit in both halves
// there is no pair: a face turned away, closed eyes or glare give no angle rather than a wrong one.
#pragma once

#include <algorithm>
#include <cmath>
#include <optional>

#include "../error.hpp"
#include "../image.hpp"
#include "detector.hpp"

namespace fer {

struct EyePair {
    double left_x = 0, left_y = 0;    // centre of the eye on the image's left, in image pixels
    double right_x = 0, right_y = 0;  // centre of the eye on the image's right
    // Angle of the line from the left to the right eye, in degrees, positive when the right eye is
    // lower (y grows downwards): rotating the image by -roll_degrees about a point levels the eyes.
    double roll_degrees = 0;
};

// Requires: `eye_detector` holds an eye cascade; `face` is a face box in `image`.
// Throws: fer::error for an empty image.
inline std::optional<EyePair> find_eyes(const CascadeDetector& eye_detector, const ImageView& image,
                                        const Rect& face) {
    if (image.empty()) detail::fail("find_eyes input", "a non-empty image", "an empty one");
    // Eyes lie in the upper part of a face box, each well under half its width.
    const Rect band = intersect(Rect{face.x, face.y + face.height / 8, face.width, face.height / 2},
                                image.bounds());
    if (band.width < eye_detector.cascade().window_width ||
        band.height < eye_detector.cascade().window_height)
        return std::nullopt;
    DetectionOptions options;
    options.min_neighbors = 2;
    options.min_width = options.min_height = std::max(1, face.width / 10);
    options.max_width = options.max_height = std::max(options.min_width, face.width / 2);
    const std::vector<Detection> hits = eye_detector.detect(image.subview(band), options);

    const double middle = face.width / 2.0;
    const Detection* best[2] = {nullptr, nullptr};
    for (const Detection& d : hits) {
        const double cx = d.box.x + d.box.width / 2.0;
        const int side = cx < middle ? 0 : 1;
        if (best[side] == nullptr || d.neighbors > best[side]->neighbors) best[side] = &d;
    }
    if (best[0] == nullptr || best[1] == nullptr) return std::nullopt;
    EyePair pair;
    pair.left_x = band.x + best[0]->box.x + best[0]->box.width / 2.0;
    pair.left_y = band.y + best[0]->box.y + best[0]->box.height / 2.0;
    pair.right_x = band.x + best[1]->box.x + best[1]->box.width / 2.0;
    pair.right_y = band.y + best[1]->box.y + best[1]->box.height / 2.0;
    pair.roll_degrees =
        std::atan2(pair.right_y - pair.left_y, pair.right_x - pair.left_x) * 180.0 / M_PI;
    return pair;
}

}  // namespace fer

// fer/detect/blazeface.hpp - faces and six keypoints from a BlazeFace network (MediaPipe's
// face detector, the 256x256 "back" model; weights/blazeface.gguf).
//
// The picture is letterboxed into the network's square input (scaled so that its longer side
// fills it, aspect kept, the rest black, at the top left). The network answers for 896 anchors:
// a 16x16 grid with 2 anchors per cell (stride 16) and an 8x8 grid with 6 (stride 32), each
// anchor at its cell's centre. Per anchor a score logit (output 0: 16x16x2, output 1: 8x8x6) and
// 16 regressed values (output 2: 16x16x32, output 3: 8x8x96), in input pixels: the box centre's
// offset from the anchor, the box width and height, then six keypoints' offsets (right eye, left
// eye, nose tip, mouth centre, right ear, left ear; "right" is the person's right, on the left
// of the picture). The score is the logit's sigmoid. Overlapping candidates are merged as
// MediaPipe does (weighted non-maximum suppression): the best-scoring one takes every candidate
// overlapping it by more than `merge_iou`, and the box and keypoints become their score-weighted
// mean, with the best score.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

#include "../error.hpp"
#include "../image.hpp"
#include "../imgproc.hpp"
#include "../nn/network.hpp"
#include "../preprocess.hpp"

namespace fer {

struct FacePoint {
    float x = 0, y = 0;
};

// The six keypoints, in this order.
enum class FaceKeypoint { right_eye, left_eye, nose, mouth, right_ear, left_ear };
inline constexpr int face_keypoint_count = 6;

struct FaceDetection {
    float x = 0, y = 0, width = 0, height = 0;  // the box, in picture pixels
    float score = 0;                            // 0-1
    std::array<FacePoint, face_keypoint_count> keypoints{};

    Rect box() const {
        return Rect{int(std::lround(x)), int(std::lround(y)), int(std::lround(width)),
                    int(std::lround(height))};
    }
    const FacePoint& point(FaceKeypoint k) const { return keypoints[std::size_t(k)]; }
};

// The slope of the line from the eye on the image's left (the person's right eye) to the
// other, in degrees, positive when the eye on the image's right is lower (EyePair's convention):
// turning the face by -roll levels them.
inline double eye_roll_degrees(const std::array<FacePoint, face_keypoint_count>& keypoints) {
    const FacePoint& a = keypoints[std::size_t(FaceKeypoint::right_eye)];
    const FacePoint& b = keypoints[std::size_t(FaceKeypoint::left_eye)];
    return std::atan2(b.y - a.y, b.x - a.x) * 180.0 / M_PI;
}

struct BlazeFaceOptions {
    float min_score = 0.5f;  // candidates below are dropped
    float merge_iou = 0.3f;  // candidates overlapping more are merged into one face
    int max_faces = 100;     // the best-scoring ones when more are found
};

namespace detail {

inline void check_blazeface_options(const BlazeFaceOptions& options) {
    if (!(options.min_score > 0.0f && options.min_score < 1.0f))
        fail("BlazeFace min_score", "above 0 and below 1", options.min_score);
    if (!(options.merge_iou >= 0.0f && options.merge_iou <= 1.0f))
        fail("BlazeFace merge_iou", "0 to 1", options.merge_iou);
    if (options.max_faces < 1 || options.max_faces > 10000)
        fail("BlazeFace max_faces", "1 to 10000", options.max_faces);
}

inline float box_iou(const FaceDetection& a, const FaceDetection& b) {
    const float ix = std::max(0.0f, std::min(a.x + a.width, b.x + b.width) - std::max(a.x, b.x));
    const float iy = std::max(0.0f, std::min(a.y + a.height, b.y + b.height) - std::max(a.y, b.y));
    const float inter = ix * iy, total = a.width * a.height + b.width * b.height - inter;
    return total > 0 ? inter / total : 0.0f;
}

// MediaPipe's weighted non-maximum suppression: clusters around the best remaining candidate,
// each cluster's box and keypoints their score-weighted mean, its score the best one.
inline std::vector<FaceDetection> merge_overlapping(std::vector<FaceDetection> candidates,
                                                    float merge_iou, int max_faces) {
    std::sort(candidates.begin(), candidates.end(),
              [](const FaceDetection& a, const FaceDetection& b) { return a.score > b.score; });
    std::vector<FaceDetection> faces;
    std::vector<char> used(candidates.size(), 0);
    for (std::size_t i = 0; i < candidates.size() && int(faces.size()) < max_faces; ++i) {
        if (used[i]) continue;
        FaceDetection sum{};
        float weight = 0;
        for (std::size_t j = i; j < candidates.size(); ++j) {
            if (used[j] || (j != i && box_iou(candidates[i], candidates[j]) <= merge_iou)) continue;
            used[j] = 1;
            const FaceDetection& c = candidates[j];
            const float w = c.score;
            sum.x += w * c.x, sum.y += w * c.y, sum.width += w * c.width,
                sum.height += w * c.height;
            for (int k = 0; k < face_keypoint_count; ++k)
                sum.keypoints[k].x += w * c.keypoints[k].x,
                    sum.keypoints[k].y += w * c.keypoints[k].y;
            weight += w;
        }
        FaceDetection face;
        face.x = sum.x / weight, face.y = sum.y / weight;
        face.width = sum.width / weight, face.height = sum.height / weight;
        for (int k = 0; k < face_keypoint_count; ++k)
            face.keypoints[k] = {sum.keypoints[k].x / weight, sum.keypoints[k].y / weight};
        face.score = candidates[i].score;
        faces.push_back(face);
    }
    return faces;
}

}  // namespace detail

class BlazeFaceDetector {
  public:
    struct Workspace {
        Tensor input;
        Network::Workspace network;
    };

    // Throws: fer::error when `net` does not have BlazeFace's input (square, RGB) and four
    // outputs (scores and boxes at strides 16 and 32, as above).
    explicit BlazeFaceDetector(Network net) : net_(std::move(net)) {
        const Shape in = net_.input().shape;
        if (in.channels != 3 || in.height != in.width || in.height % 32 != 0)
            detail::fail("BlazeFace input", "a square RGB input, a multiple of 32 pixels",
                         detail::describe(in));
        const std::vector<int> outputs = net_.output_nodes();
        const int fine = in.height / 16, coarse = in.height / 32;
        const Shape expected[4] = {
            {fine, fine, 2}, {coarse, coarse, 6}, {fine, fine, 32}, {coarse, coarse, 96}};
        if (outputs.size() != 4)
            detail::fail("BlazeFace outputs", "4 (scores and boxes at two strides)",
                         outputs.size());
        for (std::size_t k = 0; k < 4; ++k) {
            const Shape& got = net_.nodes()[std::size_t(outputs[k])].output;
            if (got != expected[k])
                detail::fail(detail::concat("BlazeFace output ", k), detail::describe(expected[k]),
                             detail::describe(got));
        }
    }

    const Network& network() const { return net_; }

    // The faces in `picture` (RGB or gray), best first. Throws: fer::error for an empty picture.
    std::vector<FaceDetection> detect(const ImageView& picture, Workspace& ws,
                                      const BlazeFaceOptions& options = {}) const {
        detail::require_nonempty(picture, "BlazeFace detect");
        detail::check_blazeface_options(options);
        const int side = net_.input().shape.width;
        const double scale = double(side) / std::max(picture.width(), picture.height());
        const int w = std::clamp(int(std::lround(picture.width() * scale)), 1, side);
        const int h = std::clamp(int(std::lround(picture.height() * scale)), 1, side);
        const Image rgb = resize_bilinear(picture.format() == PixelFormat::rgb
                                              ? picture
                                              : convert(picture, PixelFormat::rgb).view(),
                                          w, h);
        ws.input.reset(net_.input().shape);
        std::fill(ws.input.data(), ws.input.data() + ws.input.size(), 0.0f);
        for (int y = 0; y < h; ++y)
            for (int x = 0; x < w; ++x)
                for (int c = 0; c < 3; ++c)
                    ws.input.data()[(std::int64_t(y) * side + x) * 3 + c] =
                        float(rgb.row(y)[3 * x + c]);
        normalize_input(ws.input.mutable_view(), net_.input());
        net_.forward(ws.input, ws.network);

        std::vector<FaceDetection> candidates;
        const float logit_floor = std::log(options.min_score / (1.0f - options.min_score));
        const float back = float(1.0 / scale);  // input pixels to picture pixels
        for (int head = 0; head < 2; ++head) {
            const Tensor& scores = net_.output(ws.network, std::size_t(head));
            const Tensor& boxes = net_.output(ws.network, std::size_t(head + 2));
            const int grid = scores.shape().width, anchors = scores.shape().channels;
            const float stride = float(side) / float(grid);
            for (int gy = 0; gy < grid; ++gy)
                for (int gx = 0; gx < grid; ++gx)
                    for (int a = 0; a < anchors; ++a) {
                        const std::int64_t anchor = (std::int64_t(gy) * grid + gx) * anchors + a;
                        const float logit = scores.data()[anchor];
                        if (!(logit >= logit_floor)) continue;
                        const float* r = boxes.data() + anchor * 16;
                        const float ax = (float(gx) + 0.5f) * stride;
                        const float ay = (float(gy) + 0.5f) * stride;
                        FaceDetection d;
                        d.score = 1.0f / (1.0f + std::exp(-std::clamp(logit, -100.0f, 100.0f)));
                        d.width = r[2] * back, d.height = r[3] * back;
                        d.x = (ax + r[0]) * back - d.width / 2;
                        d.y = (ay + r[1]) * back - d.height / 2;
                        for (int k = 0; k < face_keypoint_count; ++k)
                            d.keypoints[k] = {(ax + r[4 + 2 * k]) * back,
                                              (ay + r[5 + 2 * k]) * back};
                        if (d.width > 0 && d.height > 0) candidates.push_back(d);
                    }
        }
        return detail::merge_overlapping(std::move(candidates), options.merge_iou,
                                         options.max_faces);
    }

  private:
    Network net_;
};

}  // namespace fer

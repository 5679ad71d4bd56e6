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
// Two more looks, both on by default (BlazeFaceOptions): the mirrored picture, whose faces are
// paired with the first pass's and scored by the mean of the two; and, for large pictures, the
// same network built for twice the input side, which answers for the faces too small at the
// first. One pass at one scale is what a video tracker runs.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <vector>

#include "../error.hpp"
#include "../image.hpp"
#include "../imgproc.hpp"
#include "../limits.hpp"
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
    // Faces scoring less are dropped (with `mirror`, the mean of the two passes' scores): on
    // the FDDB dev photos 0.36 finds 95% of the faces with 0.085 false ones per photo.
    float min_score = 0.36f;
    float merge_iou = 0.3f;  // candidates overlapping more are merged into one face
    int max_faces = 100;     // the best-scoring ones when more are found
    // Also look at the mirrored picture and give each face the mean of its two scores (0 where
    // a pass does not see it): profile and half-hidden faces score alike both ways, hands and
    // patterns less so (README, "Detectors"). Twice the cost.
    bool mirror = true;
    // Pictures whose longer side has at least this many pixels are searched a second time with
    // the network at twice its input side (512 for the shipped model), where faces too small at
    // 256 are found, at 5 times the cost; 0: never (README, "Detectors").
    int second_scale_from = 800;
};

namespace detail {

inline void check_blazeface_options(const BlazeFaceOptions& options) {
    if (!(options.min_score > 0.0f && options.min_score < 1.0f))
        fail("BlazeFace min_score", "above 0 and below 1", options.min_score);
    if (!(options.merge_iou >= 0.0f && options.merge_iou <= 1.0f))
        fail("BlazeFace merge_iou", "0 to 1", options.merge_iou);
    if (options.max_faces < 1 || options.max_faces > 10000)
        fail("BlazeFace max_faces", "1 to 10000", options.max_faces);
    if (options.second_scale_from < 0 || options.second_scale_from > limits::max_image_side)
        fail("BlazeFace second_scale_from", concat("0 to ", limits::max_image_side),
             options.second_scale_from);
}

inline float box_iou(const FaceDetection& a, const FaceDetection& b) {
    const float ix = std::max(0.0f, std::min(a.x + a.width, b.x + b.width) - std::max(a.x, b.x));
    const float iy = std::max(0.0f, std::min(a.y + a.height, b.y + b.height) - std::max(a.y, b.y));
    const float inter = ix * iy, total = a.width * a.height + b.width * b.height - inter;
    return total > 0 ? inter / total : 0.0f;
}

// MediaPipe's weighted non-maximum suppression: clusters around the best remaining candidate,
// each cluster's box and keypoints their score-weighted mean, its score the best one. Writes the
// faces into `faces`, sorting `candidates` by score; `used` is working memory.
inline void merge_overlapping(std::vector<FaceDetection>& candidates, float merge_iou,
                              int max_faces, std::vector<FaceDetection>& faces,
                              std::vector<char>& used) {
    std::sort(candidates.begin(), candidates.end(),
              [](const FaceDetection& a, const FaceDetection& b) { return a.score > b.score; });
    faces.clear();
    used.assign(candidates.size(), 0);
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
}

// The faces of a picture and of its mirror image (mapped back) as one list: a face seen in both
// (overlap above merge_iou) gets their score-weighted mean box and keypoints and the mean score;
// one seen in one pass, half its score. Those reaching min_score, best first (equal scores:
// top to bottom, then left to right), at most max_faces, into `faces`; `paired` is working
// memory.
inline void mean_of_mirrored(const std::vector<FaceDetection>& direct,
                             const std::vector<FaceDetection>& mirrored,
                             const BlazeFaceOptions& options, std::vector<FaceDetection>& faces,
                             std::vector<char>& paired) {
    faces.clear();
    paired.assign(mirrored.size(), 0);
    for (const FaceDetection& a : direct) {
        std::size_t best = mirrored.size();
        float best_iou = options.merge_iou;
        for (std::size_t j = 0; j < mirrored.size(); ++j) {
            const float overlap = paired[j] ? 0.0f : box_iou(a, mirrored[j]);
            if (overlap > best_iou) best = j, best_iou = overlap;
        }
        if (best == mirrored.size()) {
            faces.push_back(a);
            faces.back().score = a.score / 2;
            continue;
        }
        paired[best] = 1;
        const FaceDetection& b = mirrored[best];
        const float wa = a.score / (a.score + b.score), wb = 1 - wa;
        FaceDetection m;
        m.x = wa * a.x + wb * b.x, m.y = wa * a.y + wb * b.y;
        m.width = wa * a.width + wb * b.width, m.height = wa * a.height + wb * b.height;
        for (std::size_t k = 0; k < m.keypoints.size(); ++k)
            m.keypoints[k] = {wa * a.keypoints[k].x + wb * b.keypoints[k].x,
                              wa * a.keypoints[k].y + wb * b.keypoints[k].y};
        m.score = (a.score + b.score) / 2;
        faces.push_back(m);
    }
    for (std::size_t j = 0; j < mirrored.size(); ++j)
        if (!paired[j]) {
            faces.push_back(mirrored[j]);
            faces.back().score = mirrored[j].score / 2;
        }
    faces.erase(std::remove_if(faces.begin(), faces.end(),
                               [&](const FaceDetection& f) { return f.score < options.min_score; }),
                faces.end());
    std::sort(faces.begin(), faces.end(), [](const FaceDetection& a, const FaceDetection& b) {
        if (a.score != b.score) return a.score > b.score;
        return a.y != b.y ? a.y < b.y : a.x < b.x;
    });
    if (int(faces.size()) > options.max_faces) faces.resize(std::size_t(options.max_faces));
}

}  // namespace detail

class BlazeFaceDetector {
  public:
    // Per-thread working memory: the networks' inputs and buffers, the letterboxed picture, the
    // candidates of each pass and their merged faces, kept so that a warm detect() on an RGB
    // picture allocates only the list it returns.
    struct Workspace {
        Tensor input, fine_input;
        Network::Workspace network, fine_network;
        Image fitted;
        BilinearScratch resize;
        std::array<std::vector<FaceDetection>, 2> candidates, merged;
        std::vector<FaceDetection> faces;
        std::vector<char> flags;
    };

    // Throws: fer::error when `net` does not have BlazeFace's input (square, RGB) and four
    // outputs (scores and boxes at strides 16 and 32, as above).
    explicit BlazeFaceDetector(Network net)
        : net_(checked(std::move(net))),
          fine_net_(checked(net_.with_input_shape(
              {2 * net_.input().shape.height, 2 * net_.input().shape.width, 3}))) {}

    const Network& network() const { return net_; }

    // The faces in `picture` (RGB or gray), best first. Throws: fer::error for an empty picture
    // or options out of range.
    std::vector<FaceDetection> detect(const ImageView& picture, Workspace& ws,
                                      const BlazeFaceOptions& options = {}) const {
        detail::require_nonempty(picture, "BlazeFace detect");
        detail::check_blazeface_options(options);
        Image converted;
        const ImageView rgb = picture.format() == PixelFormat::rgb
                                  ? picture
                                  : (converted = convert(picture, PixelFormat::rgb)).view();
        if (!options.mirror) {
            find_candidates(rgb, ws, options, options.min_score);
            detail::merge_overlapping(ws.candidates[0], options.merge_iou, options.max_faces,
                                      ws.faces, ws.flags);
            return ws.faces;
        }
        // A face's mean score reaches min_score only if each pass scores it at least
        // 2 min_score - 1; below 0.05 the candidates are noise.
        const float floor = std::max(0.05f, 2 * options.min_score - 1);
        const int all = 10000;
        find_candidates(rgb, ws, options, floor);
        for (std::size_t pass = 0; pass < 2; ++pass)
            detail::merge_overlapping(ws.candidates[pass], options.merge_iou, all, ws.merged[pass],
                                      ws.flags);
        detail::mean_of_mirrored(ws.merged[0], ws.merged[1], options, ws.faces, ws.flags);
        return ws.faces;
    }

  private:
    Network net_;
    Network fine_net_;  // the same network at twice the input side (BlazeFaceOptions)

    // The candidates scoring at least `floor` into ws.candidates: [0] of the picture, [1] of its
    // mirror image mapped back (when options.mirror), from the second scale too when the picture
    // is large enough. Each scale letterboxes the picture once for both passes.
    void find_candidates(const ImageView& rgb, Workspace& ws, const BlazeFaceOptions& options,
                         float floor) const {
        for (std::vector<FaceDetection>& found : ws.candidates) found.clear();
        const bool two_scales = options.second_scale_from > 0 &&
                                std::max(rgb.width(), rgb.height()) >= options.second_scale_from;
        // With two scales, each answers for the sizes it sees best: faces narrower than
        // `handover` input pixels at the first are the second's (their boxes at the first are
        // rough, and too far off to merge with the second's).
        const float handover = 0.18f * float(net_.input().shape.width);
        auto scan = [&](const Network& net, Tensor& input, Network::Workspace& nws, float min_width,
                        float max_width) {
            const int side = net.input().shape.width;
            const double scale = double(side) / std::max(rgb.width(), rgb.height());
            resize_bilinear(rgb, std::clamp(int(std::lround(rgb.width() * scale)), 1, side),
                            std::clamp(int(std::lround(rgb.height() * scale)), 1, side), ws.fitted,
                            ws.resize);
            for (int pass = 0; pass < (options.mirror ? 2 : 1); ++pass)
                scan_pass(net, ws.fitted, scale, input, nws, floor, pass == 1, min_width, max_width,
                          ws.candidates[std::size_t(pass)]);
        };
        scan(net_, ws.input, ws.network, two_scales ? handover : 0.0f, 1e9f);
        if (two_scales) scan(fine_net_, ws.fine_input, ws.fine_network, 0.0f, 2 * handover);
    }

    static Network checked(Network net) {
        const Shape in = net.input().shape;
        if (in.channels != 3 || in.height != in.width || in.height % 32 != 0)
            detail::fail("BlazeFace input", "a square RGB input, a multiple of 32 pixels",
                         detail::describe(in));
        const std::vector<int> outputs = net.output_nodes();
        const int fine = in.height / 16, coarse = in.height / 32;
        const Shape expected[4] = {
            {fine, fine, 2}, {coarse, coarse, 6}, {fine, fine, 32}, {coarse, coarse, 96}};
        if (outputs.size() != 4)
            detail::fail("BlazeFace outputs", "4 (scores and boxes at two strides)",
                         outputs.size());
        for (std::size_t k = 0; k < 4; ++k) {
            const Shape& got = net.nodes()[std::size_t(outputs[k])].output;
            if (got != expected[k])
                detail::fail(detail::concat("BlazeFace output ", k), detail::describe(expected[k]),
                             detail::describe(got));
        }
        return net;
    }

    // Runs `net` on `fitted` (the picture resized by `scale` to fit its input) at the input's
    // top left, mirrored left to right when `mirrored`, and appends the candidates scoring at
    // least `floor` whose width in input pixels is in [min_width, max_width), in the picture's
    // pixels and keypoint order.
    static void scan_pass(const Network& net, const Image& fitted, double scale, Tensor& input,
                          Network::Workspace& ws, float floor, bool mirrored, float min_width,
                          float max_width, std::vector<FaceDetection>& candidates) {
        const int side = net.input().shape.width, w = fitted.width(), h = fitted.height();
        input.reset(net.input().shape);
        std::fill(input.data(), input.data() + input.size(), 0.0f);
        for (int y = 0; y < h; ++y) {
            const std::uint8_t* row = fitted.row(y);
            float* out = input.data() + std::int64_t(y) * side * 3;
            if (!mirrored)
                for (int i = 0; i < 3 * w; ++i) out[i] = float(row[i]);
            else  // pixel x goes to side - 1 - x
                for (int x = 0; x < w; ++x)
                    for (int c = 0; c < 3; ++c) out[3 * (side - 1 - x) + c] = float(row[3 * x + c]);
        }
        normalize_input(input.mutable_view(), net.input());
        net.forward(input, ws);

        const float logit_floor = std::log(floor / (1.0f - floor));
        const float back = float(1.0 / scale);  // input pixels to picture pixels
        for (int head = 0; head < 2; ++head) {
            const Tensor& scores = net.output(ws, std::size_t(head));
            const Tensor& boxes = net.output(ws, std::size_t(head + 2));
            const int grid = scores.shape().width, anchors = scores.shape().channels;
            const float stride = float(side) / float(grid);
            for (int gy = 0; gy < grid; ++gy)
                for (int gx = 0; gx < grid; ++gx)
                    for (int a = 0; a < anchors; ++a) {
                        const std::int64_t anchor = (std::int64_t(gy) * grid + gx) * anchors + a;
                        const float logit = scores.data()[anchor];
                        if (!(logit >= logit_floor)) continue;
                        const float* r = boxes.data() + anchor * 16;
                        if (!(r[2] >= min_width && r[2] < max_width)) continue;
                        const float ax = (float(gx) + 0.5f) * stride;
                        const float ay = (float(gy) + 0.5f) * stride;
                        // In a mirrored input, x is side - x and the person's right is left.
                        static constexpr std::size_t swapped[face_keypoint_count] = {1, 0, 2,
                                                                                     3, 5, 4};
                        auto input_x = [&](float dx) {
                            return mirrored ? float(side) - (ax + dx) : ax + dx;
                        };
                        FaceDetection d;
                        d.score = 1.0f / (1.0f + std::exp(-std::clamp(logit, -100.0f, 100.0f)));
                        d.width = r[2] * back, d.height = r[3] * back;
                        d.x = input_x(r[0]) * back - d.width / 2;
                        d.y = (ay + r[1]) * back - d.height / 2;
                        for (int k = 0; k < face_keypoint_count; ++k)
                            d.keypoints[mirrored ? swapped[k] : std::size_t(k)] = {
                                input_x(r[4 + 2 * k]) * back, (ay + r[5 + 2 * k]) * back};
                        if (d.width > 0 && d.height > 0) candidates.push_back(d);
                    }
        }
    }
};

}  // namespace fer

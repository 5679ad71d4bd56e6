// fer/pipeline.hpp - from a photo to labelled faces: detect, crop, classify.
//
//   const fer::Recognizer recognizer = fer::Recognizer::with_defaults();
//   fer::Recognizer::Workspace ws;                  // one per thread
//   for (const fer::FaceResult& f : recognizer.recognize(photo, ws))
//       use(f.box, fer::to_string(f.label), f.score, f.probabilities);
//
// The faces come from either detector (fer/detect/default_detector.hpp). Each becomes a square
// crop around its box's centre, enlarged by `margin` of its side on every side, which the
// classifier resizes to its model's input. With `align` (the default), the crop is turned so that
// the eyes are level (border pixels repeat outside the image): BlazeFace gives the eyes as
// keypoints; with the cascade, an eye cascade looks for both in the box (fer/detect/eyes.hpp) and
// the crop stays the upright square, clamped at the image border, when it does not find them.
// BlazeFace's box is tighter and lower on the face than the cascade's, which the expression
// models were fitted on, so its crop is placed where the cascade's box would be (crop_box()).
// recognize() is const: threads may share one recognizer, each with its own Workspace, and get
// the same answers as one thread.
#pragma once

#include <algorithm>
#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "classifier.hpp"
#include "default_model.hpp"
#include "detect/blazeface.hpp"
#include "detect/cascade.hpp"
#include "detect/default_cascade.hpp"
#include "detect/default_detector.hpp"
#include "detect/detector.hpp"
#include "detect/eyes.hpp"
#include "imgproc.hpp"
#include "limits.hpp"
#include "model/model_file.hpp"

namespace fer {

struct RecognizerOptions {
    DetectionOptions detection{1.1, 3, 30, 30};  // the cascade's: OpenCV's, faces from 30 pixels
    BlazeFaceOptions blazeface;                  // the CNN detector's
    double margin = 0.0;        // crop enlargement per side, as a fraction of the box side (0-1)
    bool flip = false;          // also classify the mirrored face and average
    bool align = true;          // level the eyes when both are found
    bool require_eyes = false;  // cascade: drop faces without an eye pair (most false positives)
};

// A face as the recognizer's detector finds it.
struct FoundFace {
    Rect box;                    // in image pixels; BlazeFace's may reach past the image edge
    float score = 0;             // BlazeFace: its confidence, 0-1; the cascade: 0
    int neighbors = 0;           // the cascade: its supporting window hits; BlazeFace: 0
    bool has_keypoints = false;  // BlazeFace: the six keypoints below (FaceKeypoint order)
    std::array<FacePoint, face_keypoint_count> keypoints{};
};

struct FaceResult {
    Rect box;  // the detector's box, in image pixels
    Expression label = Expression::neutral;
    float score = 0.0f;  // the label's probability
    Probabilities probabilities{};
    bool aligned = false;     // the crop was turned to level the eyes
    double roll_degrees = 0;  // the eyes' slope when aligned
    FoundFace detection;      // what the detector said (score, keypoints)
};

// A face crop ready for the classifier.
struct FaceCrop {
    Image image;
    bool eyes_found = false;  // the eye cascade found both eyes in the box
    bool aligned = false;     // the crop was turned to level them
    double roll_degrees = 0;  // their slope, when found
};

class Recognizer {
  public:
    struct Workspace {
        ExpressionClassifier::Workspace classifier;
        BlazeFaceDetector::Workspace blazeface;
        Image gray;  // a colour picture's gray version, for the cascades
    };

    // A recognizer that classifies crops and given boxes only (no detector, no eye alignment).
    // Throws: fer::error for options out of range or require_eyes.
    explicit Recognizer(ExpressionClassifier classifier, RecognizerOptions options = {})
        : Recognizer(std::shared_ptr<const CascadeDetector>(), std::move(classifier), options) {}

    // A recognizer whose faces come from a cascade. `detector` may be null for a recognizer
    // that only classifies crops and given boxes; `eye_detector` null means no alignment.
    // Throws: fer::error for options out of range, or require_eyes without an eye detector.
    Recognizer(std::shared_ptr<const CascadeDetector> detector, ExpressionClassifier classifier,
               RecognizerOptions options = {},
               std::shared_ptr<const CascadeDetector> eye_detector = nullptr)
        : detector_(std::move(detector)),
          eye_detector_(std::move(eye_detector)),
          classifier_(std::move(classifier)),
          options_(options) {
        if (options.require_eyes && !eye_detector_)
            detail::fail("recognizer require_eyes", "an eye detector", "none");
        check_options();
    }

    // A recognizer whose faces come from BlazeFace; their eye keypoints align the crops.
    // Throws: fer::error for a null detector, options out of range, or require_eyes (every
    // BlazeFace face has its eyes, so it would drop nothing).
    Recognizer(std::shared_ptr<const BlazeFaceDetector> detector, ExpressionClassifier classifier,
               RecognizerOptions options = {})
        : blazeface_(std::move(detector)), classifier_(std::move(classifier)), options_(options) {
        if (!blazeface_) detail::fail("recognizer BlazeFace detector", "a detector", "none");
        if (options.require_eyes)
            detail::fail("recognizer require_eyes", "the cascade detector",
                         "BlazeFace, whose faces all have eyes");
        check_options();
    }

    // The shipped models of `level` (fer/default_model.hpp; FER_MODEL replaces them) behind
    // `detector`: BlazeFace's shipped model, or the standard frontal-face cascade and, when
    // aligning, the eye cascade. Throws: fer::error saying what is missing.
    static Recognizer with_defaults(RecognizerOptions options = {},
                                    Precision precision = Precision::fp32,
                                    Level level = default_level,
                                    DetectorKind detector = default_detector) {
        ExpressionClassifier classifier =
            ExpressionClassifier::load({default_model_path(level)}, precision);
        if (detector == DetectorKind::blazeface)
            return Recognizer(std::make_shared<const BlazeFaceDetector>(
                                  load_network(default_blazeface_model_path())),
                              std::move(classifier), options);
        return Recognizer(
            std::make_shared<const CascadeDetector>(load_cascade(default_face_cascade_path())),
            std::move(classifier), options,
            options.align || options.require_eyes
                ? std::make_shared<const CascadeDetector>(load_cascade(default_eye_cascade_path()))
                : nullptr);
    }

    const RecognizerOptions& options() const { return options_; }
    const ExpressionClassifier& classifier() const { return classifier_; }
    // Whether the recognizer finds faces itself (else it classifies crops and given boxes).
    bool has_detector() const { return detector_ || blazeface_; }
    // The face cascade, or null when the faces come from BlazeFace or from the caller.
    const CascadeDetector* detector() const { return detector_.get(); }
    // The BlazeFace detector, or null.
    const BlazeFaceDetector* blazeface() const { return blazeface_.get(); }

    // Every face the detector finds in `image`, in the detector's order (BlazeFace: best first;
    // the cascade: top to bottom). `gray` may pass the image's gray version when the caller has it.
    // Throws: fer::error for an empty image or a recognizer without a detector.
    std::vector<FoundFace> detect_faces(const ImageView& image, Workspace& ws,
                                        ImageView gray = {}) const {
        detail::require_nonempty(image, "detect faces");
        if (blazeface_) return detect_faces_blazeface(image, ws, options_.blazeface);
        std::vector<FoundFace> faces;
        if (!detector_) detail::fail("recognize: no face detector (classify crops or boxes)");
        if (gray.empty()) gray = gray_of(image, ws);
        for (const Detection& d : detector_->detect(gray, options_.detection))
            faces.push_back(FoundFace{d.box, 0.0f, d.neighbors, false, {}});
        return faces;
    }

    // BlazeFace's faces in `image` with other options than the recognizer's (a video tracker
    // searches at one scale). Throws: fer::error for an empty image, options out of range or a
    // recognizer without BlazeFace.
    std::vector<FoundFace> detect_faces_blazeface(const ImageView& image, Workspace& ws,
                                                  const BlazeFaceOptions& options) const {
        if (!blazeface_) detail::fail("BlazeFace detection", "a recognizer with BlazeFace", "none");
        std::vector<FoundFace> faces;
        for (const FaceDetection& d : blazeface_->detect(image, ws.blazeface, options))
            faces.push_back(FoundFace{d.box(), d.score, 0, true, d.keypoints});
        return faces;
    }

    // Every face the detector finds, in the detector's order.
    // Throws: fer::error for an empty image or a recognizer without a detector.
    std::vector<FaceResult> recognize(const ImageView& image, Workspace& ws) const {
        detail::require_nonempty(image, "recognize");
        ImageView gray;
        if (!blazeface_ || eye_detector_) gray = gray_of(image, ws);
        return classify_found(image, detect_faces(image, ws, gray), ws, gray);
    }

    // A batch: the faces of each image, computed by `threads` workers (each with its own
    // workspace); the same answers as one recognize() call per image.
    // Throws: fer::error for an empty image (the first one met) or threads outside 1 to
    // limits::max_threads.
    std::vector<std::vector<FaceResult>> recognize_batch(const std::vector<ImageView>& images,
                                                         int threads = 1) const {
        detail::check_thread_count("recognize_batch threads", threads);
        std::vector<std::vector<FaceResult>> out(images.size());
        std::vector<std::string> errors(images.size());
        std::atomic<std::size_t> next{0};
        auto worker = [&] {
            Workspace ws;
            for (std::size_t i; (i = next++) < images.size();) {
                try {
                    out[i] = recognize(images[i], ws);
                } catch (const error& e) {
                    errors[i] = e.what();
                }
            }
        };
        std::vector<std::thread> pool;
        for (int t = 1; t < threads; ++t) pool.emplace_back(worker);
        worker();
        for (std::thread& t : pool) t.join();
        for (std::size_t i = 0; i < images.size(); ++i)
            if (!errors[i].empty()) throw error(detail::concat("image ", i + 1, ": ", errors[i]));
        return out;
    }

    // Faces whose boxes the caller already has (from another detector or a tracker). `gray`
    // may pass the image's gray version when the caller has it.
    // Throws: fer::error for an empty image or a box that does not overlap the image.
    std::vector<FaceResult> classify_boxes(const ImageView& image, const std::vector<Rect>& boxes,
                                           Workspace& ws, ImageView gray = {}) const {
        std::vector<FoundFace> faces;
        for (const Rect& box : boxes) faces.push_back(FoundFace{box, 0.0f, 0, false, {}});
        return classify_found(image, faces, ws, gray);
    }

    // Faces found by a detector: each cropped (crop_face) and classified; with require_eyes,
    // those without an eye pair are dropped. `gray` as for classify_boxes.
    // Throws: fer::error for an empty image or a face box that does not overlap the image.
    std::vector<FaceResult> classify_found(const ImageView& image,
                                           const std::vector<FoundFace>& faces, Workspace& ws,
                                           ImageView gray = {}) const {
        detail::require_nonempty(image, "classify faces");
        if (gray.empty() && eye_detector_) gray = gray_of(image, ws);
        std::vector<FaceResult> out;
        for (const FoundFace& face : faces) {
            const FaceCrop crop = crop_face(image, gray, face);
            if (options_.require_eyes && !crop.eyes_found) continue;
            FaceResult r = classify_face(crop.image, ws);
            r.box = face.box;
            r.aligned = crop.aligned;
            r.roll_degrees = crop.aligned ? crop.roll_degrees : 0.0;
            r.detection = face;
            out.push_back(r);
        }
        return out;
    }

    // The crop the classifier sees for `face`: turned to level the eyes when aligning and the
    // eyes are known (the face's keypoints, or both found by the eye cascade in `gray`, the
    // image's gray version), else the upright square clamped to the image.
    // Throws: fer::error for a box that does not overlap the image.
    FaceCrop crop_face(const ImageView& image, const ImageView& gray, const FoundFace& face) const {
        std::optional<double> roll;
        if (face.has_keypoints)
            roll = eye_roll_degrees(face.keypoints);
        else if (options_.align || options_.require_eyes)
            if (const std::optional<EyePair> eyes = find_eye_pair(gray, face.box))
                roll = eyes->roll_degrees;
        FaceCrop result = crop_face_at(image, crop_box(face, roll.value_or(0.0)),
                                       options_.align ? roll : std::nullopt);
        result.eyes_found = roll.has_value();
        if (roll) result.roll_degrees = *roll;
        return result;
    }

    // The box whose square crop_face_at() cuts for `face`, rolled by `roll_degrees`: the
    // detector's box for the cascade's faces (and given boxes); for BlazeFace's, where the
    // cascade's box would be. Measured on the faces both find in kdef-dev and fddb-dev, that box
    // is 1.11 times as wide as BlazeFace's and its centre 0.12 of the width higher, along the
    // face's own vertical (medians; 10-90% ranges 1.05-1.18 and 0.07-0.17 on kdef-dev).
    static Rect crop_box(const FoundFace& face, double roll_degrees) {
        if (!face.has_keypoints) return face.box;
        constexpr double width_ratio = 1.11, centre_rise = 0.12;
        const double angle = roll_degrees * M_PI / 180.0, w = face.box.width;
        const double side = width_ratio * std::max(face.box.width, face.box.height);
        // The face's "up" is (sin, -cos) of its roll in image coordinates (y grows downwards).
        const double cx = face.box.x + w / 2.0 + centre_rise * w * std::sin(angle);
        const double cy = face.box.y + face.box.height / 2.0 - centre_rise * w * std::cos(angle);
        return Rect{int(std::lround(cx - side / 2)), int(std::lround(cy - side / 2)),
                    int(std::lround(side)), int(std::lround(side))};
    }

    // Both eyes in `box` of `gray`, when the recognizer has an eye detector and finds them.
    std::optional<EyePair> find_eye_pair(const ImageView& gray, const Rect& box) const {
        if (!eye_detector_ || gray.empty()) return std::nullopt;
        return find_eyes(*eye_detector_, gray, box);
    }

    // The crop of `box` turned by `roll_degrees` to level eyes at that slope (a video tracker
    // knows the slope from an earlier frame), or the upright square clamped to the image.
    // Throws: fer::error for a box that does not overlap the image.
    FaceCrop crop_face_at(const ImageView& image, const Rect& box,
                          std::optional<double> roll_degrees) const {
        const Rect region = crop_region(box, image.width(), image.height());
        if (region.width < 1 || region.height < 1)
            detail::fail("face box", "one overlapping the image",
                         detail::concat(box.x, ",", box.y, " ", box.width, "x", box.height));
        FaceCrop result;
        if (roll_degrees) {
            result.aligned = true;
            result.roll_degrees = *roll_degrees;
            result.image =
                crop_rotated(image, box.x + box.width / 2.0, box.y + box.height / 2.0,
                             std::max(1, int(std::lround(crop_side(box)))), *roll_degrees);
        } else {
            result.image = crop(image, region);
        }
        return result;
    }

    // An image that is one face crop already (no detection).
    FaceResult classify_face(const ImageView& face, Workspace& ws) const {
        FaceResult r;
        r.probabilities = classifier_.classify(face, ws.classifier, options_.flip);
        r.label = top_expression(r.probabilities);
        r.score = r.probabilities[std::size_t(r.label)];
        r.box = Rect{0, 0, face.width(), face.height()};
        return r;
    }

    // The square crop of `box` with the margin, clamped to a width x height image.
    Rect crop_region(const Rect& box, int width, int height) const {
        const double side = crop_side(box);
        const double cx = box.x + box.width / 2.0, cy = box.y + box.height / 2.0;
        const Rect square{int(std::lround(cx - side / 2)), int(std::lround(cy - side / 2)),
                          int(std::lround(side)), int(std::lround(side))};
        return intersect(square, Rect{0, 0, width, height});
    }

  private:
    std::shared_ptr<const CascadeDetector> detector_, eye_detector_;
    std::shared_ptr<const BlazeFaceDetector> blazeface_;

    void check_options() const {
        if (!(options_.margin >= -0.25 && options_.margin <= 1.0))
            detail::fail("recognizer crop margin", "-0.25 to 1", options_.margin);
        detail::check_detection_options(options_.detection);
        detail::check_blazeface_options(options_.blazeface);
    }

    double crop_side(const Rect& box) const {
        return std::max(box.width, box.height) * (1.0 + 2.0 * options_.margin);
    }

    // `image` itself when gray, else its gray version, kept in the workspace.
    static ImageView gray_of(const ImageView& image, Workspace& ws) {
        if (image.format() == PixelFormat::gray) return image;
        convert(image, PixelFormat::gray, ws.gray);
        return ws.gray.view();
    }

    ExpressionClassifier classifier_;
    RecognizerOptions options_;
};

}  // namespace fer

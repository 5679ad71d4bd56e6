// fer/pipeline.hpp - from a photo to labelled faces: detect, crop, classify.
//
//   const fer::Recognizer recognizer = fer::Recognizer::with_defaults();
//   fer::Recognizer::Workspace ws;                  // one per thread
//   for (const fer::FaceResult& f : recognizer.recognize(photo, ws))
//       use(f.box, fer::to_string(f.label), f.score, f.probabilities);
//
// Each detected box becomes a square crop around its centre, enlarged by `margin` of its side on
// every side, which the classifier resizes to its model's input. With `align` (the default, when
// the recognizer has an eye detector), both eyes are looked for in the box and, when found, the
// crop is turned so that they are level (fer/detect/eyes.hpp; border pixels repeat outside the
// image); otherwise the crop is the upright square clamped at the image border.
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
#include "detect/cascade.hpp"
#include "detect/default_cascade.hpp"
#include "detect/detector.hpp"
#include "detect/eyes.hpp"
#include "imgproc.hpp"
#include "limits.hpp"

namespace fer {

struct RecognizerOptions {
    DetectionOptions detection{1.1, 3, 30, 30};  // OpenCV's defaults, faces from 30 pixels
    double margin = 0.0;        // crop enlargement per side, as a fraction of the box side (0-1)
    bool flip = false;          // also classify the mirrored face and average
    bool align = true;          // level the eyes when both are found
    bool require_eyes = false;  // drop faces without an eye pair (most cascade false positives)
};

struct FaceResult {
    Rect box;  // the detector's box, in image pixels
    Expression label = Expression::neutral;
    float score = 0.0f;  // the label's probability
    Probabilities probabilities{};
    bool aligned = false;     // the crop was turned to level the eyes
    double roll_degrees = 0;  // the eyes' slope when aligned
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
    };

    // `detector` may be null for a recognizer that only classifies crops and given boxes;
    // `eye_detector` null means no alignment.
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
        if (!(options.margin >= -0.25 && options.margin <= 1.0))
            detail::fail("recognizer crop margin", "-0.25 to 1", options.margin);
        detail::check_detection_options(options.detection);
    }

    // The standard frontal-face and eye cascades and the shipped models of `level`
    // (fer/default_model.hpp; FER_MODEL replaces them). Throws: fer::error saying what is missing.
    static Recognizer with_defaults(RecognizerOptions options = {},
                                    Precision precision = Precision::fp32,
                                    Level level = default_level) {
        return Recognizer(
            std::make_shared<const CascadeDetector>(load_cascade(default_face_cascade_path())),
            ExpressionClassifier::load({default_model_path(level)}, precision), options,
            options.align || options.require_eyes
                ? std::make_shared<const CascadeDetector>(load_cascade(default_eye_cascade_path()))
                : nullptr);
    }

    const RecognizerOptions& options() const { return options_; }
    const ExpressionClassifier& classifier() const { return classifier_; }
    // The face detector, or null for a recognizer of crops and given boxes.
    const CascadeDetector* detector() const { return detector_.get(); }

    // Every face the detector finds, in the detector's order.
    // Throws: fer::error for an empty image or a recognizer without a detector.
    std::vector<FaceResult> recognize(const ImageView& image, Workspace& ws) const {
        detail::require_nonempty(image, "recognize");
        if (!detector_) detail::fail("recognize: no face detector (classify crops or boxes)");
        const Image gray = image.format() == PixelFormat::gray ? Image() : to_gray(image);
        const ImageView gray_view = image.format() == PixelFormat::gray ? image : gray.view();
        std::vector<Rect> boxes;
        for (const Detection& d : detector_->detect(gray_view, options_.detection))
            boxes.push_back(d.box);
        return classify_boxes(image, boxes, ws, gray_view);
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
        detail::require_nonempty(image, "classify_boxes");
        Image converted;
        if (gray.empty() && eye_detector_) {
            converted = to_gray(image);
            gray = converted.view();
        }
        std::vector<FaceResult> out;
        for (const Rect& box : boxes) {
            const FaceCrop crop = crop_face(image, gray, box);
            if (options_.require_eyes && !crop.eyes_found) continue;
            FaceResult r = classify_face(crop.image, ws);
            r.box = box;
            r.aligned = crop.aligned;
            r.roll_degrees = crop.aligned ? crop.roll_degrees : 0.0;
            out.push_back(r);
        }
        return out;
    }

    // The crop the classifier sees for `box`: turned to level the eyes when aligning and both
    // are found in `gray` (the image's gray version), else the upright square clamped to the
    // image. Throws: fer::error for a box that does not overlap the image.
    FaceCrop crop_face(const ImageView& image, const ImageView& gray, const Rect& box) const {
        std::optional<EyePair> eyes;
        if (options_.align || options_.require_eyes) eyes = find_eye_pair(gray, box);
        FaceCrop result = crop_face_at(
            image, box,
            options_.align && eyes ? std::optional<double>(eyes->roll_degrees) : std::nullopt);
        result.eyes_found = eyes.has_value();
        if (eyes) result.roll_degrees = eyes->roll_degrees;
        return result;
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

    double crop_side(const Rect& box) const {
        return std::max(box.width, box.height) * (1.0 + 2.0 * options_.margin);
    }

    ExpressionClassifier classifier_;
    RecognizerOptions options_;
};

}  // namespace fer

// fer/video/tracker.hpp - faces followed through a video: stable IDs, steady labels, low cost.
//
//   fer::FaceTracker tracker(std::make_shared<const fer::Recognizer>(
//       fer::Recognizer::with_defaults()));
//   while (source.read(frame))
//       for (const fer::TrackedFace& f : tracker.process(frame))
//           use(f.id, f.box, fer::to_string(f.label), f.probabilities);
//
// Every `detect_interval`-th frame the whole frame is searched for faces; in the frames between,
// each known face is looked for only near its last box and at about its last size, which costs a
// small fraction of a full search. Detections are assigned to tracks by box overlap (IoU, greedy),
// a track survives `max_missed` frames without a detection and then ends; new faces start tracks
// on full-search frames. Each face seen in a frame is classified, and its probabilities are
// smoothed over time per track (fer/video/smoothing.hpp). Eye alignment, when the recognizer
// aligns, is measured on full-search frames and reused in between.
// A tracker holds state: one per stream, used by one thread at a time. The recognizer behind it
// may be shared with other trackers and threads.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "../error.hpp"
#include "../imgproc.hpp"
#include "../pipeline.hpp"
#include "match.hpp"
#include "smoothing.hpp"

namespace fer {

struct TrackerOptions {
    int detect_interval = 10;  // search the whole frame every Nth frame (1: every frame)
    double match_iou = 0.3;    // least box overlap for "the same face as in the last frame"
    int max_missed = 10;       // frames a face may go unseen before its track ends
    // Between full searches each known face is looked for near its last box: this far around it
    // (a fraction of its side, on every side), at sizes from 1/ratio to ratio times its last
    // size in steps of `search_scale_factor`, needing `search_min_neighbors` detector hits.
    // Windows on a face run deep into the cascade, so these few levels dominate the cost of a
    // tracked frame; the steps are coarser than a full search's because the size is known.
    double search_margin = 0.25;
    double search_size_ratio = 1.25;
    double search_scale_factor = 1.15;
    int search_min_neighbors = 1;
    SmoothingOptions smoothing;  // per-track averaging of the probabilities
    int threads = 1;             // workers for the full search and for classifying the faces
};

struct TrackedFace {
    int id = 0;  // the same for as long as the face is tracked; never reused in one stream
    Rect box;
    Expression label = Expression::neutral;  // the top smoothed probability
    float score = 0.0f;                      // its smoothed probability
    Probabilities probabilities{};           // smoothed over the track's frames
    Probabilities raw_probabilities{};       // this frame's alone
    bool aligned = false;                    // the crop was turned to level the eyes
    std::int64_t first_frame = 0;            // index of the frame where the track started
};

class FaceTracker {
  public:
    // Throws: fer::error for a recognizer without a face detector or options out of range.
    explicit FaceTracker(std::shared_ptr<const Recognizer> recognizer, TrackerOptions options = {})
        : recognizer_(std::move(recognizer)), options_(options) {
        if (!recognizer_ || !recognizer_->detector())
            detail::fail("face tracker recognizer", "one with a face detector", "none");
        if (options.detect_interval < 1 || options.detect_interval > 1000)
            detail::fail("detection interval", "1 to 1000 frames", options.detect_interval);
        if (!(options.match_iou > 0.0 && options.match_iou <= 1.0))
            detail::fail("tracker IoU threshold", "more than 0 and at most 1", options.match_iou);
        if (options.max_missed < 0 || options.max_missed > 100000)
            detail::fail("tracker max missed frames", "0 to 100000", options.max_missed);
        if (!(options.search_margin >= 0.0 && options.search_margin <= 4.0))
            detail::fail("tracker search margin", "0 to 4", options.search_margin);
        if (!(options.search_size_ratio >= 1.0 && options.search_size_ratio <= 4.0))
            detail::fail("tracker search size ratio", "1 to 4", options.search_size_ratio);
        if (!(options.search_scale_factor > 1.0 && options.search_scale_factor <= 2.0))
            detail::fail("tracker search scale factor", "more than 1 and at most 2",
                         options.search_scale_factor);
        if (options.search_min_neighbors < 0 || options.search_min_neighbors > 10000)
            detail::fail("tracker search min neighbors", "0 to 10000",
                         options.search_min_neighbors);
        if (options.threads < 1 || options.threads > 256)
            detail::fail("tracker threads", "1 to 256", options.threads);
        detail::check_smoothing_options(options.smoothing);
        workspaces_.resize(std::size_t(options.threads));
    }

    const TrackerOptions& options() const { return options_; }

    // The faces seen in `frame`, in order of ID. Frames should come in stream order and keep one
    // size; a frame of another size restarts tracking (a new stream).
    // Throws: fer::error for an empty frame.
    const std::vector<TrackedFace>& process(const ImageView& frame) {
        detail::require_nonempty(frame, "face tracker");
        if (frame.width() != width_ || frame.height() != height_) {
            tracks_.clear();
            width_ = frame.width();
            height_ = frame.height();
        }
        const ImageView gray = gray_of(frame);
        const bool full_search = frames_ % options_.detect_interval == 0;
        for (Track& t : tracks_) ++t.missed;
        if (full_search) {
            const std::vector<Rect> found = search_frame(gray);
            const std::vector<char> claimed = assign(found, all_tracks());
            for (std::size_t j = 0; j < found.size(); ++j)
                if (!claimed[j]) start_track(found[j]);
        }
        // Known faces the full search missed (its bar is higher), and every known face between
        // full searches, are looked for near their last place.
        std::vector<std::size_t> unseen;
        for (std::size_t i = 0; i < tracks_.size(); ++i)
            if (tracks_[i].missed > 0) unseen.push_back(i);
        assign(search_near(gray, unseen), unseen);
        end_stale_tracks();
        if (full_search) measure_eyes(gray);
        classify_visible(frame);
        ++frames_;
        return faces_;
    }

    std::int64_t frames_processed() const { return frames_; }
    int tracks_started() const { return next_id_ - 1; }
    int active_tracks() const { return int(tracks_.size()); }

  private:
    struct Track {
        int id = 0;
        Rect box;
        int missed = 0;  // frames since the last detection
        std::int64_t first_frame = 0;
        std::optional<double> roll;  // eye slope from the last full search that found both eyes
        ProbabilitySmoother smoother;
    };

    ImageView gray_of(const ImageView& frame) {
        if (frame.format() == PixelFormat::gray) return frame;
        gray_ = to_gray(frame);
        return gray_.view();
    }

    std::vector<Rect> search_frame(const ImageView& gray) const {
        DetectionOptions o = recognizer_->options().detection;
        o.threads = options_.threads;
        std::vector<Rect> boxes;
        for (const Detection& d : recognizer_->detector()->detect(gray, o)) boxes.push_back(d.box);
        return boxes;
    }

    std::vector<std::size_t> all_tracks() const {
        std::vector<std::size_t> all(tracks_.size());
        for (std::size_t i = 0; i < all.size(); ++i) all[i] = i;
        return all;
    }

    // Gives each of the tracks `candidates` the found box it overlaps most (greedy IoU); returns
    // which boxes were taken.
    std::vector<char> assign(const std::vector<Rect>& found,
                             const std::vector<std::size_t>& candidates) {
        std::vector<Rect> previous;
        for (std::size_t i : candidates) previous.push_back(tracks_[i].box);
        std::vector<char> claimed(found.size(), 0);
        for (const auto& [i, j] : match_by_iou(previous, found, options_.match_iou)) {
            Track& t = tracks_[candidates[std::size_t(i)]];
            t.box = found[std::size_t(j)];
            t.missed = 0;
            claimed[std::size_t(j)] = 1;
        }
        return claimed;
    }

    // The faces of tracks `which` looked for in their neighbourhoods (TrackerOptions::search_*).
    // A face known to be there needs fewer detector hits than one found from nothing: the
    // cascade's hit count on a face flickers from frame to frame.
    std::vector<Rect> search_near(const ImageView& gray,
                                  const std::vector<std::size_t>& which) const {
        const CascadeDetector& detector = *recognizer_->detector();
        const DetectionOptions& base = recognizer_->options().detection;
        std::vector<Rect> boxes;
        for (std::size_t i : which) {
            const Track& t = tracks_[i];
            const int side = std::max(t.box.width, t.box.height);
            const int grow = int(std::lround(side * options_.search_margin));
            const Rect near = intersect(Rect{t.box.x - grow, t.box.y - grow, t.box.width + 2 * grow,
                                             t.box.height + 2 * grow},
                                        gray.bounds());
            if (near.width < detector.cascade().window_width ||
                near.height < detector.cascade().window_height)
                continue;
            DetectionOptions o = base;
            o.scale_factor = options_.search_scale_factor;
            o.min_neighbors = options_.search_min_neighbors;
            o.min_width = o.min_height =
                std::max({base.min_width, base.min_height, int(side / options_.search_size_ratio)});
            o.max_width = o.max_height =
                std::max(o.min_width, int(std::ceil(side * options_.search_size_ratio)));
            for (const Detection& d : detector.detect(gray.subview(near), o)) {
                const Rect box{d.box.x + near.x, d.box.y + near.y, d.box.width, d.box.height};
                // Neighbourhoods of nearby faces overlap: one face, one box.
                const bool seen = std::any_of(boxes.begin(), boxes.end(),
                                              [&](const Rect& b) { return iou(b, box) > 0.5; });
                if (!seen) boxes.push_back(box);
            }
        }
        return boxes;
    }

    void start_track(const Rect& box) {
        Track t;
        t.id = next_id_++;
        t.box = box;
        t.first_frame = frames_;
        t.smoother = ProbabilitySmoother(options_.smoothing);
        tracks_.push_back(std::move(t));
    }

    // Drops tracks unseen for too long, and the younger of two visible tracks on one face (two
    // tracks can meet when a face was briefly lost and found again as new).
    void end_stale_tracks() {
        std::vector<char> drop(tracks_.size(), 0);
        for (std::size_t i = 0; i < tracks_.size(); ++i) {
            if (tracks_[i].missed > options_.max_missed) drop[i] = 1;
            for (std::size_t j = 0; j < i; ++j)
                if (!drop[j] && tracks_[i].missed == 0 && tracks_[j].missed == 0 &&
                    iou(tracks_[i].box, tracks_[j].box) > 0.5)
                    drop[tracks_[i].id > tracks_[j].id ? i : j] = 1;
        }
        std::size_t kept = 0;
        for (std::size_t i = 0; i < tracks_.size(); ++i) {
            if (drop[i]) continue;
            if (kept != i) tracks_[kept] = std::move(tracks_[i]);  // self-move would empty it
            ++kept;
        }
        tracks_.resize(kept);
    }

    // The eye slope of each visible face; a face whose eyes are not found (a blink, glare) keeps
    // the slope it had.
    void measure_eyes(const ImageView& gray) {
        if (!recognizer_->options().align) return;
        for (Track& t : tracks_)
            if (t.missed == 0)
                if (const auto eyes = recognizer_->find_eye_pair(gray, t.box))
                    t.roll = eyes->roll_degrees;
    }

    void classify_visible(const ImageView& frame) {
        std::vector<Track*> visible;
        for (Track& t : tracks_)
            if (t.missed == 0) visible.push_back(&t);
        std::sort(visible.begin(), visible.end(),
                  [](const Track* a, const Track* b) { return a->id < b->id; });
        std::vector<Probabilities> raw(visible.size());
        std::vector<char> aligned(visible.size(), 0);
        const std::size_t workers = std::min(workspaces_.size(), visible.size());
        std::vector<std::exception_ptr> failures(workers);
        auto classify_share = [&](std::size_t worker) {
            try {
                Recognizer::Workspace& ws = workspaces_[worker];
                for (std::size_t i = worker; i < visible.size(); i += workers) {
                    const FaceCrop crop =
                        recognizer_->crop_face_at(frame, visible[i]->box, visible[i]->roll);
                    raw[i] = recognizer_->classify_face(crop.image, ws).probabilities;
                    aligned[i] = crop.aligned;
                }
            } catch (...) {
                failures[worker] = std::current_exception();  // rethrown on the caller's thread
            }
        };
        std::vector<std::thread> pool;
        for (std::size_t w = 1; w < workers; ++w) pool.emplace_back(classify_share, w);
        if (workers > 0) classify_share(0);
        for (std::thread& t : pool) t.join();
        for (const std::exception_ptr& f : failures)
            if (f) std::rethrow_exception(f);

        faces_.clear();
        for (std::size_t i = 0; i < visible.size(); ++i) {
            Track& t = *visible[i];
            TrackedFace f;
            f.id = t.id;
            f.box = t.box;
            f.raw_probabilities = raw[i];
            f.probabilities = t.smoother.update(raw[i]);
            f.label = top_expression(f.probabilities);
            f.score = f.probabilities[std::size_t(f.label)];
            f.aligned = aligned[i];
            f.first_frame = t.first_frame;
            faces_.push_back(f);
        }
    }

    std::shared_ptr<const Recognizer> recognizer_;
    TrackerOptions options_;
    std::vector<Recognizer::Workspace> workspaces_;
    std::vector<Track> tracks_;
    std::vector<TrackedFace> faces_;
    Image gray_;
    int width_ = 0, height_ = 0;
    std::int64_t frames_ = 0;
    int next_id_ = 1;
};

}  // namespace fer

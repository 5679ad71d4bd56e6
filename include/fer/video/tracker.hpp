// fer/video/tracker.hpp - faces followed through a video: stable IDs, steady labels, low cost.
//
//   fer::FaceTracker tracker(std::make_shared<const
//   fer::Recognizer>(fer::Recognizer::with_defaults(
//       {}, fer::Precision::fp32, fer::default_video_level)));
//   while (source.read(frame))
//       for (const fer::TrackedFace& f : tracker.process(frame))
//           use(f.id, f.box, fer::to_string(f.label), f.probabilities);
//
// With the recognizer's cascade, each known face is looked for in every frame, only near its last
// box and at about its last size, which costs a small fraction of a search of the whole frame.
// New faces come from a full search, one per `detect_interval` frames: by default its pyramid
// levels are spread over those frames, about the same work in each, and its hits are grouped
// once the last level is scanned (a face found so is confirmed near its box in the current frame
// before its track starts); `spread_search = false` searches the whole frame at once on every
// interval-th frame. The first frame of a stream is always searched whole. Eye alignment, when
// the recognizer aligns, is measured when a track starts and once per interval after that
// (tracks take turns), and reused in between.
// With BlazeFace, whose one pass over the frame costs about what the cascade's search near a few
// faces does, the whole frame is searched (in one pass, BlazeFaceOptions) every
// `detect_interval` frames and the faces keep their boxes and keypoints (which give the
// alignment) in between.
// Detections are assigned to tracks by box overlap (IoU, greedy); a track survives `max_missed`
// frames without a detection and then ends. Each face seen in a frame is reported; faces are
// classified in turns (TrackerOptions::classify_interval) and their probabilities smoothed over
// time per track (fer/video/smoothing.hpp).
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
#include "../limits.hpp"
#include "../pipeline.hpp"
#include "match.hpp"
#include "smoothing.hpp"

namespace fer {

struct TrackerOptions {
    // One full search per N frames (1: a whole search every frame); 0: the detector's own, 10
    // for the cascade (spread over the frames), 2 for BlazeFace (README, "Video").
    int detect_interval = 0;
    // Spread each full search over its interval's frames, so that no frame pays for a whole
    // search (a frame's cost stays even: what live video needs); new faces show up to two
    // intervals after they appear instead of one.
    bool spread_search = true;
    double match_iou = 0.3;  // least box overlap for "the same face as in the last frame"
    int max_missed = 10;     // frames a face may go unseen before its track ends
    // Between full searches each known face is looked for near its last box: this far around it
    // (a fraction of its side, on every side), at sizes from 1/ratio to ratio times its last
    // size in steps of `search_scale_factor`, needing `search_min_neighbors` detector hits.
    // Windows on a face run deep into the cascade, so these few levels dominate the cost of a
    // tracked frame; the steps are coarser than a full search's because the size is known.
    double search_margin = 0.25;
    double search_size_ratio = 1.15;
    double search_scale_factor = 1.15;
    int search_min_neighbors = 1;
    // Each face is classified when its track starts and then once per `classify_interval`
    // frames, faces taking turns by ID so that the cost spreads over the frames (with BlazeFace,
    // in the frames between its searches, a frame later where a turn falls on a search); in
    // between it keeps its last answer. Smoothing's memory stays the same in frames (its alpha and
    // window are scaled to the classified frames). 2 keeps four faces at the fast level real time
    // on one core (README); 1 classifies every face in every frame.
    int classify_interval = 2;
    // BlazeFace: the least score of a face in the tracker's one pass over a frame (one pass's
    // scores run higher than the two-pass mean that BlazeFaceOptions::min_score is for).
    float min_face_score = 0.5f;
    SmoothingOptions smoothing;  // per-track averaging of the probabilities
    int threads = 1;             // workers for the full search and for classifying the faces
};

struct TrackedFace {
    int id = 0;  // the same for as long as the face is tracked; never reused in one stream
    Rect box;
    FoundFace detection;  // the last detection of the face (BlazeFace: score and keypoints)
    Expression label = Expression::neutral;  // the top smoothed probability
    float score = 0.0f;                      // its smoothed probability
    Probabilities probabilities{};           // smoothed over the track's frames
    Probabilities raw_probabilities{};       // the last classification alone, unsmoothed
    bool aligned = false;                    // the crop was turned to level the eyes
    std::int64_t first_frame = 0;            // index of the frame where the track started
};

class FaceTracker {
  public:
    // Throws: fer::error for a recognizer without a face detector or options out of range.
    explicit FaceTracker(std::shared_ptr<const Recognizer> recognizer, TrackerOptions options = {})
        : recognizer_(std::move(recognizer)), options_(options) {
        if (!recognizer_ || !recognizer_->has_detector())
            detail::fail("face tracker recognizer", "one with a face detector", "none");
        if (options.detect_interval < 0 || options.detect_interval > 1000)
            detail::fail("detection interval", "1 to 1000 frames (0: the detector's own)",
                         options.detect_interval);
        if (options_.detect_interval == 0)
            options_.detect_interval = recognizer_->blazeface() ? 2 : 10;
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
        if (!(options.min_face_score > 0.0f && options.min_face_score < 1.0f))
            detail::fail("tracker min face score", "above 0 and below 1", options.min_face_score);
        if (options.classify_interval < 1 || options.classify_interval > 100)
            detail::fail("classification interval", "1 to 100 frames", options.classify_interval);
        detail::check_thread_count("tracker threads", options.threads);
        detail::check_smoothing_options(options.smoothing);
        workspaces_.resize(std::size_t(options.threads));
    }

    const TrackerOptions& options() const { return options_; }

    // The faces seen in `frame`, in order of ID. Frames should come in stream order and keep one
    // size; a frame of another size restarts tracking (a new stream).
    // Throws: fer::error for an empty frame.
    const std::vector<TrackedFace>& process(const ImageView& frame) {
        detail::require_nonempty(frame, "face tracker");
        if (frame.width() != width_ || frame.height() != height_) restart(frame);
        const ImageView gray = gray_of(frame);
        if (recognizer_->blazeface()) {
            follow_with_blazeface(frame);
            return finish_frame(frame, gray);
        }
        const int interval = options_.detect_interval;
        const bool spread = options_.spread_search && interval > 1;
        const bool whole_search =
            stream_frames_ == 0 || (!spread && stream_frames_ % interval == 0);
        for (Track& t : tracks_) ++t.missed;
        if (whole_search) {
            const std::vector<Rect> found = search_frame(gray);
            const std::vector<char> claimed = assign(found, all_tracks());
            for (std::size_t j = 0; j < found.size(); ++j)
                if (!claimed[j]) start_track(found[j]);
        }
        // Known faces a whole search missed (its bar is higher), and every known face in the
        // frames between, are looked for near their last place.
        const std::vector<std::size_t> unseen = missing_tracks();
        assign(search_near(gray, boxes_of(unseen)), unseen);
        if (spread && stream_frames_ > 0) {
            // The spread search's new faces, confirmed where they are now; one that turns out to
            // be a lost known face takes up its track again.
            const int part = int((stream_frames_ - 1) % interval);
            const std::vector<Rect> found = search_near(gray, unknown(search_part(gray, part)));
            const std::vector<char> claimed = assign(found, missing_tracks());
            std::vector<Rect> left;
            for (std::size_t j = 0; j < found.size(); ++j)
                if (!claimed[j]) left.push_back(found[j]);
            for (const Rect& box : unknown(left)) start_track(box);
        }
        measure_eyes(gray);
        return finish_frame(frame, gray);
    }

    std::int64_t frames_processed() const { return frames_; }
    int tracks_started() const { return next_id_ - 1; }
    int active_tracks() const { return int(tracks_.size()); }

  private:
    struct Track {
        int id = 0;
        Rect box;
        FoundFace detection;  // BlazeFace's last one (with keypoints)
        int missed = 0;       // frames since the last detection
        std::int64_t first_frame = 0;
        std::optional<double> roll;  // eye slope from the last measurement that found both eyes
        ProbabilitySmoother smoother;
        bool classified = false;         // the fields below hold its last answer
        std::int64_t classified_at = 0;  // the stream frame of that answer
        Probabilities raw{}, smoothed{};
        bool aligned = false;
    };

    // A frame of a new size: a new stream, with its own pyramid for the full search.
    void restart(const ImageView& frame) {
        tracks_.clear();
        width_ = frame.width();
        height_ = frame.height();
        stream_frames_ = 0;
        gathered_hits_.clear();
        if (recognizer_->detector()) part_ends_ = split_pyramid();
    }

    // What every frame ends with: tracks ended, faces classified and reported.
    const std::vector<TrackedFace>& finish_frame(const ImageView& frame, const ImageView& gray) {
        end_stale_tracks();
        classify_visible(frame, gray);
        ++frames_;
        ++stream_frames_;
        return faces_;
    }

    // BlazeFace: on every interval-th frame, the whole frame's faces are matched to the tracks
    // (their boxes, keypoints and roll updated) and the others start tracks; in the frames
    // between, the faces stay where they were found.
    void follow_with_blazeface(const ImageView& frame) {
        const int interval = options_.detect_interval;
        if (stream_frames_ % interval != 0) return;
        for (Track& t : tracks_) t.missed += interval;
        // One pass: the mirrored one doubles the cost and the second scale multiplies it by
        // five, more than a frame has.
        BlazeFaceOptions one_pass = recognizer_->options().blazeface;
        one_pass.mirror = false;
        one_pass.second_scale_from = 0;
        one_pass.min_score = options_.min_face_score;
        const std::vector<FoundFace> found =
            recognizer_->detect_faces_blazeface(frame, workspaces_.front(), one_pass);
        std::vector<Rect> boxes, previous;
        for (const FoundFace& f : found) boxes.push_back(f.box);
        for (const Track& t : tracks_) previous.push_back(t.box);
        std::vector<char> claimed(found.size(), 0);
        for (const auto& [i, j] : match_by_iou(previous, boxes, options_.match_iou)) {
            see(tracks_[std::size_t(i)], found[std::size_t(j)]);
            claimed[std::size_t(j)] = 1;
        }
        for (std::size_t j = 0; j < found.size(); ++j)
            if (!claimed[j]) {
                start_track(found[j].box);
                see(tracks_.back(), found[j]);
            }
    }

    static void see(Track& t, const FoundFace& face) {
        t.box = face.box;
        t.detection = face;
        t.missed = 0;
        t.roll = eye_roll_degrees(face.keypoints);
    }

    DetectionOptions full_search_options() const {
        DetectionOptions o = recognizer_->options().detection;
        o.threads = options_.threads;
        return o;
    }

    // Where each part of a spread full search ends in the pyramid's level list: contiguous runs
    // of levels of about equal cost (the number of windows a level scans).
    std::vector<std::size_t> split_pyramid() const {
        const std::vector<detail::PyramidLevel> levels =
            recognizer_->detector()->pyramid(width_, height_, full_search_options());
        std::vector<double> cost;
        double total = 0.0;
        for (const detail::PyramidLevel& l : levels) {
            cost.push_back(double(l.width) * l.height / (l.step * l.step));
            total += cost.back();
        }
        const int parts = options_.detect_interval;
        std::vector<std::size_t> ends(std::size_t(parts), 0);
        if (levels.empty()) return ends;  // a frame smaller than the detector's window
        double before = 0.0;
        for (std::size_t i = 0; i < levels.size(); ++i) {
            // A level belongs to the part its middle falls in.
            const int part = std::min(parts - 1, int((before + cost[i] / 2) / total * parts));
            ends[std::size_t(part)] = i + 1;
            before += cost[i];
        }
        for (std::size_t p = 1; p < ends.size(); ++p) ends[p] = std::max(ends[p], ends[p - 1]);
        return ends;
    }

    // Scans part `part` of a spread full search; on its last part, returns the faces that the
    // hits gathered over the interval make (boxes from up to an interval ago).
    // The faces being tracked are blanked out of the picture it scans: the search is there to
    // find new faces, and windows on a face are the costly ones (they pass many stages), while a
    // flat window is rejected before its first stage.
    std::vector<Rect> search_part(const ImageView& gray, int part) {
        const std::size_t first = part == 0 ? 0 : part_ends_[std::size_t(part - 1)];
        const std::size_t end = part_ends_[std::size_t(part)];
        const DetectionOptions o = full_search_options();
        std::vector<Rect> hits;
        if (first < end) {
            if (blanked_.width() != gray.width() || blanked_.height() != gray.height())
                blanked_ = Image(gray.width(), gray.height(), PixelFormat::gray);
            for (int y = 0; y < gray.height(); ++y)
                std::copy_n(gray.row(y), gray.width(), blanked_.row(y));
            for (const Track& t : tracks_) {
                if (t.missed != 0) continue;
                const Rect box = intersect(t.box, gray.bounds());
                for (int y = box.y; y < box.y + box.height; ++y)
                    std::fill_n(blanked_.row(y) + box.x, box.width, std::uint8_t{128});
            }
            hits = recognizer_->detector()->level_hits(blanked_.view(), o, first, end);
        }
        gathered_hits_.insert(gathered_hits_.end(), hits.begin(), hits.end());
        if (part + 1 < options_.detect_interval) return {};
        const std::vector<Detection> found =
            CascadeDetector::group_hits(gathered_hits_, o.min_neighbors, gray.bounds());
        gathered_hits_.clear();
        return boxes_of(found);
    }

    ImageView gray_of(const ImageView& frame) {
        if (frame.format() == PixelFormat::gray) return frame;
        convert(frame, PixelFormat::gray, gray_);
        return gray_.view();
    }

    std::vector<Rect> search_frame(const ImageView& gray) const {
        return boxes_of(recognizer_->detector()->detect(gray, full_search_options()));
    }

    static std::vector<Rect> boxes_of(const std::vector<Detection>& detections) {
        std::vector<Rect> boxes;
        for (const Detection& d : detections) boxes.push_back(d.box);
        return boxes;
    }

    // The boxes that overlap no visible track.
    std::vector<Rect> unknown(const std::vector<Rect>& boxes) const {
        std::vector<Rect> out;
        for (const Rect& box : boxes)
            if (std::none_of(tracks_.begin(), tracks_.end(), [&](const Track& t) {
                    return t.missed == 0 && iou(t.box, box) > options_.match_iou;
                }))
                out.push_back(box);
        return out;
    }

    std::vector<Rect> boxes_of(const std::vector<std::size_t>& which) const {
        std::vector<Rect> boxes;
        for (std::size_t i : which) boxes.push_back(tracks_[i].box);
        return boxes;
    }

    std::vector<std::size_t> missing_tracks() const {
        std::vector<std::size_t> missing;
        for (std::size_t i = 0; i < tracks_.size(); ++i)
            if (tracks_[i].missed > 0) missing.push_back(i);
        return missing;
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
            t.box = t.detection.box = found[std::size_t(j)];
            t.missed = 0;
            claimed[std::size_t(j)] = 1;
        }
        return claimed;
    }

    // The faces at `last_boxes` looked for in their neighbourhoods (TrackerOptions::search_*).
    // A face known to be there needs fewer detector hits than one found from nothing: the
    // cascade's hit count on a face flickers from frame to frame.
    std::vector<Rect> search_near(const ImageView& gray,
                                  const std::vector<Rect>& last_boxes) const {
        const CascadeDetector& detector = *recognizer_->detector();
        const DetectionOptions& base = recognizer_->options().detection;
        std::vector<Rect> boxes;
        for (const Rect& last : last_boxes) {
            const int side = std::max(last.width, last.height);
            const int grow = int(std::lround(side * options_.search_margin));
            const Rect near = intersect(
                Rect{last.x - grow, last.y - grow, last.width + 2 * grow, last.height + 2 * grow},
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
        t.detection.box = box;
        t.first_frame = frames_;
        t.smoother = ProbabilitySmoother(smoothing_per_classification());
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

    // The eye slope of the visible faces whose turn it is: new ones, and each face once per
    // detection interval, faces taking turns (by ID) so that the cost spreads over the frames.
    // A face whose eyes are not found (a blink, glare) keeps the slope it had.
    void measure_eyes(const ImageView& gray) {
        if (!recognizer_->options().align) return;
        for (Track& t : tracks_)
            if (t.missed == 0 && (t.first_frame == frames_ ||
                                  (stream_frames_ + t.id) % options_.detect_interval == 0))
                if (const auto eyes = recognizer_->find_eye_pair(gray, t.box))
                    t.roll = eyes->roll_degrees;
    }

    // Whether a visible face is classified in this frame (TrackerOptions::classify_interval).
    // With BlazeFace, a search frame already pays for the network's pass, so the turns go to
    // the frames between searches; one that falls on a search waits a frame.
    bool classification_due(const Track& t) const {
        const int interval = options_.classify_interval;
        if (!t.classified || interval == 1) return true;
        if (!recognizer_->blazeface()) return (stream_frames_ + t.id) % interval == 0;
        const int searches = options_.detect_interval;
        const bool search_frame = searches > 1 && stream_frames_ % searches == 0;
        return stream_frames_ - t.classified_at >= interval && !search_frame;
    }

    // The smoothing options that give, with one update per classify_interval frames, the memory
    // in frames that options_.smoothing gives with one update per frame.
    SmoothingOptions smoothing_per_classification() const {
        SmoothingOptions o = options_.smoothing;
        const int k = options_.classify_interval;
        o.alpha = 1.0 - std::pow(1.0 - o.alpha, double(k));
        o.window = std::max(1, (o.window + k - 1) / k);
        return o;
    }

    // Classifies the visible faces whose turn it is (see TrackerOptions::classify_interval) and
    // reports every visible face with its last answer.
    void classify_visible(const ImageView& frame, const ImageView& gray) {
        const ImageView source = recognizer_->classifier().takes_gray() ? gray : frame;
        std::vector<Track*> visible, due;
        for (Track& t : tracks_)
            if (t.missed == 0) visible.push_back(&t);
        std::sort(visible.begin(), visible.end(),
                  [](const Track* a, const Track* b) { return a->id < b->id; });
        for (Track* t : visible)
            if (classification_due(*t)) due.push_back(t);
        std::vector<Probabilities> raw(due.size());
        std::vector<char> aligned(due.size(), 0);
        const std::size_t workers = std::min(workspaces_.size(), due.size());
        std::vector<std::exception_ptr> failures(workers);
        auto classify_share = [&](std::size_t worker) {
            try {
                Recognizer::Workspace& ws = workspaces_[worker];
                for (std::size_t i = worker; i < due.size(); i += workers) {
                    const Track& t = *due[i];
                    const FaceCrop crop = recognizer_->crop_face_at(
                        source, Recognizer::crop_box(t.detection, t.roll.value_or(0.0)),
                        recognizer_->options().align ? t.roll : std::nullopt);
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

        for (std::size_t i = 0; i < due.size(); ++i) {
            Track& t = *due[i];
            t.raw = raw[i];
            t.smoothed = t.smoother.update(raw[i]);
            t.aligned = aligned[i];
            t.classified = true;
            t.classified_at = stream_frames_;
        }
        faces_.clear();
        for (const Track* t : visible) {
            TrackedFace f;
            f.id = t->id;
            f.box = t->box;
            f.detection = t->detection;
            f.raw_probabilities = t->raw;
            f.probabilities = t->smoothed;
            f.label = top_expression(f.probabilities);
            f.score = f.probabilities[std::size_t(f.label)];
            f.aligned = t->aligned;
            f.first_frame = t->first_frame;
            faces_.push_back(f);
        }
    }

    std::shared_ptr<const Recognizer> recognizer_;
    TrackerOptions options_;
    std::vector<Recognizer::Workspace> workspaces_;
    std::vector<Track> tracks_;
    std::vector<TrackedFace> faces_;
    Image gray_;
    Image blanked_;  // the frame a spread search part scans
    int width_ = 0, height_ = 0;
    std::int64_t frames_ = 0;             // frames processed
    std::int64_t stream_frames_ = 0;      // frames since the frame size last changed
    std::vector<std::size_t> part_ends_;  // see split_pyramid()
    std::vector<Rect> gathered_hits_;     // of the spread full search under way
    int next_id_ = 1;
};

}  // namespace fer

// fer/detect/detector.hpp - Viola-Jones object detection with OpenCV's cascades, without OpenCV.
//
//   fer::CascadeDetector faces(fer::load_cascade(
//       "/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml"));
//   for (const fer::Detection& d : faces.detect(photo)) use(d.box, d.neighbors);
//
// detect() follows OpenCV 4's CascadeClassifier::detectMultiScale step for step, so that on the
// same gray pixels with the same parameters it finds the same boxes: the image is shrunk by
// scale_factor^k (OpenCV's bit-exact bilinear), the window slides in steps of 2 pixels (1 once the
// image is at half size or less), skipping the next position after a first-stage rejection, each
// window's features are normalized by its standard deviation, the hits are grouped as
// groupRectangles does (eps 0.2) and the boxes are clipped to the image. Colour images are
// converted to gray with BT.601 first.
//
// A detector is immutable after construction: detect() is const and may be called from several
// threads at once.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "../error.hpp"
#include "../image.hpp"
#include "../imgproc.hpp"
#include "../limits.hpp"
#include "cascade.hpp"
#include "detail/evaluate.hpp"
#include "detail/scan.hpp"
#include "group.hpp"

namespace fer {

struct DetectionOptions {
    double scale_factor = 1.1;  // pyramid step, > 1; smaller finds more sizes but is slower
    int min_neighbors = 3;      // hits a group needs beyond this count to become a detection
    int min_width = 0;          // smallest object size in pixels (0: the cascade's window)
    int min_height = 0;
    int max_width = 0;  // largest object size (0: the image size)
    int max_height = 0;
    int threads = 1;  // worker threads for one call
};

namespace detail {

inline void check_detection_options(const DetectionOptions& o) {
    if (!(o.scale_factor > 1.0 && o.scale_factor <= 10.0))
        fail("detection scale factor", "more than 1 and at most 10", o.scale_factor);
    if (o.min_neighbors < 0 || o.min_neighbors > 10000)
        fail("min neighbors", "0 to 10000", o.min_neighbors);
    for (int size : {o.min_width, o.min_height, o.max_width, o.max_height})
        if (size < 0 || size > limits::max_image_side)
            fail("object size limit", concat("0 to ", limits::max_image_side), size);
    check_thread_count("detection threads", o.threads);
}

// One pyramid level: the scale (original size / level size) and the level's image size.
struct PyramidLevel {
    float scale = 1.0f;
    int width = 0;
    int height = 0;
    int step = 2;  // window step in level pixels
};

// The levels OpenCV 4 scans: scale_factor^k while the window fits the image, keeping those
// whose window on the original image lies within the size limits. Replaces `levels`' contents.
inline void pyramid_levels(int image_width, int image_height, int window_width, int window_height,
                           const DetectionOptions& o, std::vector<PyramidLevel>& levels) {
    const int max_w = o.max_width > 0 ? o.max_width : image_width;
    const int max_h = o.max_height > 0 ? o.max_height : image_height;
    levels.clear();
    for (double factor = 1.0;; factor *= o.scale_factor) {
        if (int(std::lrint(window_width * factor)) > image_width ||
            int(std::lrint(window_height * factor)) > image_height)
            break;
        const float scale = float(factor);
        const int w = round_float(float(window_width) * scale),
                  h = round_float(float(window_height) * scale);
        if (w > max_w || h > max_h) break;
        if (w < o.min_width || h < o.min_height) continue;
        PyramidLevel level;
        level.scale = scale;
        level.width = round_float(float(image_width) / scale);
        level.height = round_float(float(image_height) / scale);
        level.step = scale >= 2.0f ? 1 : 2;
        levels.push_back(level);
    }
}

inline std::vector<PyramidLevel> pyramid_levels(int image_width, int image_height, int window_width,
                                                int window_height, const DetectionOptions& o) {
    std::vector<PyramidLevel> levels;
    pyramid_levels(image_width, image_height, window_width, window_height, o, levels);
    return levels;
}

}  // namespace detail

namespace detail {

// The working memory of one detection: gray picture, pyramid levels and images, tables, compiled
// cascade, scan buffers, hits and their grouping. Detectors keep these between calls, since
// faulting in fresh pages for every pyramid level costs more than many levels' arithmetic, and
// so that a warm one-thread detect() allocates only the list it returns.
struct DetectorWorkspace {
    explicit DetectorWorkspace(const Cascade& cascade) : compiled(cascade, 1) {}
    CompiledCascade compiled;
    Image gray;
    std::vector<PyramidLevel> levels;
    LinearExactScratch resize;
    Image scaled;
    LevelTables tables;
    std::vector<std::int32_t> accepted;
    ScanScratch scratch;
    std::vector<Rect> hits;
    GroupScratch group;
    std::vector<Detection> grouped;
};

}  // namespace detail

class CascadeDetector {
  public:
    // Throws: nothing beyond std::bad_alloc.
    explicit CascadeDetector(Cascade cascade)
        : cascade_(std::make_shared<const Cascade>(std::move(cascade))),
          pool_(std::make_shared<Pool>()) {}

    const Cascade& cascade() const { return *cascade_; }

    // Objects in `image` (gray, rgb or bgr), grouped, clipped to the image, top to bottom.
    // Throws: fer::error for an empty image or invalid options.
    std::vector<Detection> detect(const ImageView& image,
                                  const DetectionOptions& options = {}) const {
        if (options.threads > 1)
            return group_hits(level_hits(image, options, 0, SIZE_MAX), options.min_neighbors,
                              image.bounds());
        // One thread: the same steps in one pooled workspace.
        check_input(image);
        const Lease lease(*this);
        detail::DetectorWorkspace& w = *lease.workspace;
        pyramid(image.width(), image.height(), options, w.levels);
        ImageView gray = image;
        if (image.format() != PixelFormat::gray) {
            convert(image, PixelFormat::gray, w.gray);
            gray = w.gray.view();
        }
        w.hits.clear();
        for (const detail::PyramidLevel& level : w.levels) scan_level(gray, level, w, w.hits);
        group_rectangles(w.hits, options.min_neighbors, 0.2, w.group, w.grouped);
        return clipped(w.grouped, image.bounds());
    }

    // The raw window hits before grouping, clipped to the image (what OpenCV returns with
    // minNeighbors 0), for tests and tools.
    // Throws: fer::error for an empty image or invalid options.
    std::vector<Rect> detect_hits(const ImageView& image,
                                  const DetectionOptions& options = {}) const {
        std::vector<Rect> clipped;
        for (const Rect& r : level_hits(image, options, 0, SIZE_MAX))
            if (!intersect(r, image.bounds()).empty())
                clipped.push_back(intersect(r, image.bounds()));
        return clipped;
    }

    // One search spread over several calls (a video tracker does this, so that no frame pays for
    // a whole search): pyramid() lists the levels detect() scans for an image of this size,
    // biggest first; level_hits() scans levels [first, end) of them and returns their raw hits
    // in image coordinates, not clipped (boxes of windows rounded up at the image edge may reach
    // past it); group_hits() groups the hits gathered from all levels as detect() does.
    // Scanning every level of one image this way finds exactly what detect() finds.
    // Throws: fer::error for an empty image or invalid options.
    std::vector<detail::PyramidLevel> pyramid(int width, int height,
                                              const DetectionOptions& options = {}) const {
        std::vector<detail::PyramidLevel> levels;
        pyramid(width, height, options, levels);
        return levels;
    }
    std::vector<Rect> level_hits(const ImageView& image, const DetectionOptions& options,
                                 std::size_t first, std::size_t end) const {
        check_input(image);
        const std::vector<detail::PyramidLevel> all =
            pyramid(image.width(), image.height(), options);
        end = std::min(end, all.size());
        if (first >= end) return {};
        const std::vector<detail::PyramidLevel> levels(all.begin() + std::ptrdiff_t(first),
                                                       all.begin() + std::ptrdiff_t(end));
        Image converted;
        const ImageView gray =
            image.format() == PixelFormat::gray ? image : (converted = to_gray(image)).view();

        // Levels are independent: with several threads each takes a share of them, the biggest
        // first to whoever has the least work so far, and uses its own workspace.
        const int workers = std::max(1, std::min<int>(options.threads, int(levels.size())));
        std::vector<std::vector<std::size_t>> share(static_cast<std::size_t>(workers));
        std::vector<double> load(static_cast<std::size_t>(workers), 0.0);
        for (std::size_t i = 0; i < levels.size(); ++i) {  // levels come biggest first
            const std::size_t w =
                std::size_t(std::min_element(load.begin(), load.end()) - load.begin());
            share[w].push_back(i);
            load[w] +=
                double(levels[i].width) * levels[i].height / (levels[i].step * levels[i].step);
        }
        std::vector<std::vector<Rect>> found(static_cast<std::size_t>(workers));
        auto work = [&](std::size_t w) {
            const Lease lease(*this);
            for (const std::size_t i : share[w])
                scan_level(gray, levels[i], *lease.workspace, found[w]);
        };
        std::vector<std::thread> pool;
        for (std::size_t w = 1; w < share.size(); ++w) pool.emplace_back(work, w);
        work(0);
        for (std::thread& t : pool) t.join();
        std::vector<Rect> hits;
        for (const std::vector<Rect>& f : found) hits.insert(hits.end(), f.begin(), f.end());
        return hits;
    }
    static std::vector<Detection> group_hits(const std::vector<Rect>& hits, int min_neighbors,
                                             const Rect& bounds) {
        return clipped(group_rectangles(hits, min_neighbors), bounds);
    }

  private:
    // Shared, so that the compiled cascades in the workspaces stay valid when the detector is
    // moved or copied; the workspace pool is shared by copies too (it is locked).
    std::shared_ptr<const Cascade> cascade_;
    struct Pool {
        std::mutex mutex;
        std::vector<std::unique_ptr<detail::DetectorWorkspace>> idle;
        std::size_t created = 0;  // idle's capacity, so that returning one never allocates
    };
    std::shared_ptr<Pool> pool_;

    // A workspace from the pool, returned to it when the lease ends.
    struct Lease {
        explicit Lease(const CascadeDetector& detector) : owner(detector) {
            {
                const std::lock_guard<std::mutex> lock(owner.pool_->mutex);
                if (!owner.pool_->idle.empty()) {
                    workspace = std::move(owner.pool_->idle.back());
                    owner.pool_->idle.pop_back();
                }
            }
            if (workspace) return;
            workspace = std::make_unique<detail::DetectorWorkspace>(*owner.cascade_);
            const std::lock_guard<std::mutex> lock(owner.pool_->mutex);
            owner.pool_->idle.reserve(owner.pool_->created + 1);
            ++owner.pool_->created;
        }
        ~Lease() {
            const std::lock_guard<std::mutex> lock(owner.pool_->mutex);
            owner.pool_->idle.push_back(std::move(workspace));
        }
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;
        const CascadeDetector& owner;
        std::unique_ptr<detail::DetectorWorkspace> workspace;
    };

    static void check_input(const ImageView& image) {
        if (image.empty()) detail::fail("detection input", "a non-empty image", "an empty one");
    }

    // pyramid() into `levels`, replacing its contents.
    void pyramid(int width, int height, const DetectionOptions& options,
                 std::vector<detail::PyramidLevel>& levels) const {
        detail::check_detection_options(options);
        levels.clear();
        if (width < cascade_->window_width || height < cascade_->window_height) return;
        detail::pyramid_levels(width, height, cascade_->window_width, cascade_->window_height,
                               options, levels);
    }

    // The detections that overlap `bounds`, clipped to it (one allocation: the list).
    static std::vector<Detection> clipped(const std::vector<Detection>& detections,
                                          const Rect& bounds) {
        const auto inside = [&](const Detection& d) { return !intersect(d.box, bounds).empty(); };
        std::vector<Detection> out;
        out.reserve(std::size_t(std::count_if(detections.begin(), detections.end(), inside)));
        for (const Detection& d : detections)
            if (inside(d)) out.push_back({intersect(d.box, bounds), d.neighbors});
        return out;
    }

    // Scans one pyramid level of `gray`, appending accepted windows in image coordinates.
    void scan_level(const ImageView& gray, const detail::PyramidLevel& level,
                    detail::DetectorWorkspace& w, std::vector<Rect>& hits) const {
        const int W = cascade_->window_width, H = cascade_->window_height;
        detail::RowBand band;
        band.columns = level.width + 1 - W;
        band.rows = level.height + 1 - H;
        band.step = level.step;
        if (band.columns <= 0 || band.rows <= 0) return;
        const bool haar = cascade_->feature_type == CascadeFeatureType::haar;
        const bool vector_scan = detail::uses_vector_scan(*cascade_);
        detail::resize_linear_exact(gray, level.width, level.height, w.scaled, w.resize);
        w.tables.build(w.scaled, haar, cascade_->has_tilted_features);
        if (level.step == 2 && vector_scan) w.tables.split_columns();
        w.compiled.restride(w.tables.stride, vector_scan);
        w.accepted.clear();
        detail::scan_band(w.compiled, w.tables, band, w.accepted, w.scratch);
        const int box_w = detail::round_float(float(W) * level.scale);
        const int box_h = detail::round_float(float(H) * level.scale);
        for (const std::int32_t origin : w.accepted) {
            const int x = int(origin % w.tables.stride), y = int(origin / w.tables.stride);
            hits.push_back(Rect{detail::round_float(float(x) * level.scale),
                                detail::round_float(float(y) * level.scale), box_w, box_h});
        }
    }
};

}  // namespace fer

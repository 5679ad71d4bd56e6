// Video: frames per second of fer::FaceTracker on a 640x360 stream with four faces in view, per
// face detector and speed level (fer/default_model.hpp), with the tracker's defaults (BlazeFace:
// a search of the whole frame every other frame; the cascade: one full search per 10 frames,
// spread over them, and a search near each face in every frame; each face classified every
// other frame; alignment; ema smoothing) and the variants listed at the end. The stream is made
// here from the sample photos (see frames()), so that full searches, near searches, alignment and
// classification all run on real pictures. Counters: frames/s (items_per_second), the slowest
// frame's milliseconds (what a live stream must absorb), faces per frame (should be 4), tracks
// started (4 unless false detections).
//   tools/bench.sh --benchmark_filter=video
#include <fer/fer.hpp>

#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <string>
#include <vector>

namespace {

const std::string assets = FER_BENCH_ASSETS_DIR;

// 120 frames of 640x360 cut from sample3.jpg scaled to 720 pixels wide (three faces of 94 to 118
// pixels, a textured bar scene behind them), with a fourth face, from sample1.jpg, pasted into
// its lower left; the cut pans left-right and up-down.
const std::vector<fer::Image>& frames() {
    static const std::vector<fer::Image> clip = [] {
        const fer::Image scene = fer::load_image(assets + "/face-api/sample3.jpg");
        fer::Image canvas = fer::resize_area(scene, 720, scene.height() * 720 / scene.width());
        const fer::Image other = fer::load_image(assets + "/face-api/sample1.jpg");
        const fer::CascadeDetector detector(fer::load_cascade(fer::default_face_cascade_path()));
        fer::DetectionOptions o;
        o.min_width = o.min_height = 200;  // the photo's near face, not its small false hits
        const std::vector<fer::Detection> found = detector.detect(fer::to_gray(other), o);
        if (found.empty()) fer::detail::fail("bench_video: no face in sample1.jpg");
        const fer::Rect b = found.front().box;
        const int m = b.width / 4;
        const fer::Image face = fer::resize_area(
            fer::crop(other, fer::intersect({b.x - m, b.y - m, b.width + 2 * m, b.height + 2 * m},
                                            other.view().bounds())),
            150, 150);
        const int left = 60, top = 250;
        for (int y = 0; y < face.height(); ++y)
            std::copy(face.row(y), face.row(y) + 3 * face.width(), canvas.row(top + y) + 3 * left);
        std::vector<fer::Image> out;
        for (int t = 0; t < 120; ++t) {
            const int dx = int(std::lround(40 + 35 * std::sin(t * 0.05)));
            const int dy = int(std::lround(40 + 30 * std::cos(t * 0.04)));
            out.push_back(fer::crop(canvas, {dx, dy, 640, 360}));
        }
        return out;
    }();
    return clip;
}

void video(benchmark::State& state, fer::DetectorKind detector, fer::Level level,
           fer::Precision precision, bool spread_search, int classify_interval) {
    const int threads = int(state.range(0));
    fer::RecognizerOptions options;
    auto recognizer = std::make_shared<const fer::Recognizer>(
        fer::Recognizer::with_defaults(options, precision, level, detector));
    const std::vector<fer::Image>& clip = frames();
    fer::TrackerOptions tracker_options;
    tracker_options.threads = threads;
    tracker_options.spread_search = spread_search;
    tracker_options.classify_interval = classify_interval;
    fer::FaceTracker tracker(recognizer, tracker_options);
    // The first frames pay for workspaces and the first full search with eye alignment; a
    // stream is long, so they are left out.
    for (std::size_t warm = 0; warm < 10; ++warm) tracker.process(clip[warm]);
    int i = 10, direction = 1;
    std::int64_t faces = 0, frames_done = 0;
    double slowest = 0.0;
    for (auto _ : state) {
        const auto start = std::chrono::steady_clock::now();
        faces += std::int64_t(tracker.process(clip[std::size_t(i)]).size());
        slowest = std::max(slowest, std::chrono::duration<double, std::milli>(
                                        std::chrono::steady_clock::now() - start)
                                        .count());
        ++frames_done;
        // Back and forth through the clip: a jump back to its start would be a scene cut,
        // after which faces are found again from scratch.
        const int last = int(clip.size()) - 1;
        if ((i == last && direction > 0) || (i == 0 && direction < 0)) direction = -direction;
        i += direction;
    }
    state.counters["slowest_ms"] = slowest;
    state.SetItemsProcessed(frames_done);
    state.counters["faces_per_frame"] = double(faces) / double(frames_done);
    state.counters["tracks"] = tracker.tracks_started();
}

// video/640x360_4faces/<detector>/<level>/<variant>/threads:<1|2>; `fer video` runs BlazeFace
// and the fast level with fp32 by default (fer::default_video_level, each face classified every
// other frame); the variants show the other choices: int8 arithmetic, the cascade's full search
// whole on every 10th frame, every face classified in every frame, and the other levels.
const bool registered = [] {
    struct Variant {
        fer::DetectorKind detector;
        fer::Level level;
        const char* name;
        fer::Precision precision;
        bool spread_search;
        int classify_interval;
        std::vector<int> threads;
    };
    const fer::Precision fp32 = fer::Precision::fp32, int8 = fer::Precision::int8;
    const fer::DetectorKind cnn = fer::DetectorKind::blazeface, haar = fer::DetectorKind::haar;
    const fer::Level fast = fer::Level::fast;
    for (const Variant& v : {
             Variant{cnn, fast, "fp32", fp32, true, 2, {1, 2}},
             Variant{cnn, fast, "int8", int8, true, 2, {1}},
             Variant{cnn, fast, "fp32_classify_every_frame", fp32, true, 1, {1}},
             Variant{cnn, fer::Level::balanced, "fp32", fp32, true, 2, {1}},
             Variant{cnn, fer::Level::best, "fp32", fp32, true, 2, {1}},
             Variant{haar, fast, "fp32", fp32, true, 2, {1, 2}},
             Variant{haar, fast, "int8", int8, true, 2, {1}},
             Variant{haar, fast, "fp32_whole_search", fp32, false, 2, {1}},
             Variant{haar, fast, "fp32_classify_every_frame", fp32, true, 1, {1}},
         }) {
        const std::string name = std::string("video/640x360_4faces/") +
                                 fer::detector_name(v.detector) + "/" + fer::level_name(v.level) +
                                 "/" + v.name;
        auto* b = benchmark::RegisterBenchmark(name.c_str(), video, v.detector, v.level,
                                               v.precision, v.spread_search, v.classify_interval);
        b->ArgName("threads")->Unit(benchmark::kMillisecond)->MinTime(3.0)->UseRealTime();
        for (int t : v.threads) b->Arg(t);
    }
    return true;
}();

}  // namespace

BENCHMARK_MAIN();

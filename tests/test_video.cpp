// Video: YUV conversion against the BT.601 formulas, Y4M streams good and hostile, box matching,
// smoothing, the latest-frame reader, and the tracker on a moving picture.
#include <fer/video/match.hpp>
#include <fer/video/smoothing.hpp>
#include <fer/video/tracker.hpp>
#include <fer/video/y4m.hpp>
#include <fer/video/yuv.hpp>

#include <fer/draw.hpp>
#include <fer/imgproc.hpp>
#include <fer/io.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <thread>

#include "helpers.hpp"

namespace {

// The BT.601 YCbCr -> RGB formulas in floating point, the reference for the fixed-point code.
std::array<int, 3> reference_rgb(int y, int u, int v, bool full_range) {
    const double l = full_range ? y : (y - 16) * 255.0 / 219.0;
    const double cs = full_range ? 1.0 : 255.0 / 224.0;
    const double cb = (u - 128) * cs, cr = (v - 128) * cs;
    auto clamp = [](double x) { return int(std::lround(std::clamp(x, 0.0, 255.0))); };
    return {clamp(l + 1.402 * cr), clamp(l - 0.344136 * cb - 0.714136 * cr), clamp(l + 1.772 * cb)};
}

std::string y4m_header(const std::string& params) {
    return "YUV4MPEG2 " + params + "\n";
}

std::string random_bytes(std::size_t n) {
    std::string s(n, '\0');
    for (char& c : s) c = char(test::uniform(0, 255));
    return s;
}

// Every frame of a Y4M stream held in a string.
std::vector<fer::Image> read_all(const std::string& stream) {
    std::istringstream in(stream);
    fer::Y4mReader reader(in);
    std::vector<fer::Image> frames;
    fer::Image frame;
    while (reader.read(frame)) frames.push_back(frame);
    return frames;
}

void check_rejected(const std::string& stream, const std::string& words) {
    CAPTURE(stream.substr(0, 60));
    CHECK_THROWS_WITH_AS(read_all(stream), doctest::Contains(words.c_str()), fer::error);
}

}  // namespace

TEST_CASE("yuv420_to_rgb follows the BT.601 formulas within one step, odd sizes included") {
    INFO("seed ", test::seed());
    for (const bool full_range : {false, true})
        for (const auto& [w, h] :
             std::vector<std::pair<int, int>>{{1, 1}, {3, 5}, {17, 9}, {64, 2}}) {
            CAPTURE(full_range);
            CAPTURE(w);
            CAPTURE(h);
            const fer::Yuv420Layout layout{w, h};
            const std::string planes = random_bytes(layout.frame_bytes());
            const auto* y = reinterpret_cast<const std::uint8_t*>(planes.data());
            const std::uint8_t* u = y + layout.luma_bytes();
            const std::uint8_t* v = u + layout.chroma_bytes();
            fer::Image rgb;
            fer::yuv420_to_rgb(y, u, v, layout, full_range, rgb);
            REQUIRE(rgb.width() == w);
            REQUIRE(rgb.height() == h);
            int worst = 0;
            for (int r = 0; r < h; ++r)
                for (int c = 0; c < w; ++c) {
                    const std::size_t ci = std::size_t(r / 2) * layout.chroma_width() + c / 2;
                    const auto want = reference_rgb(y[r * w + c], u[ci], v[ci], full_range);
                    for (int k = 0; k < 3; ++k)
                        worst = std::max(worst, std::abs(rgb.row(r)[3 * c + k] - want[k]));
                }
            CHECK(worst <= 1);
        }
}

TEST_CASE("rgb_to_yuv420 and back keeps smooth pictures; gray has neutral chroma") {
    // A smooth picture: chroma subsampling loses little, so the round trip stays close.
    fer::Image rgb(21, 13, fer::PixelFormat::rgb);
    for (int y = 0; y < rgb.height(); ++y)
        for (int x = 0; x < rgb.width(); ++x) {
            std::uint8_t* p = rgb.row(y) + 3 * x;
            p[0] = std::uint8_t(40 + 8 * x), p[1] = std::uint8_t(60 + 10 * y), p[2] = 128;
        }
    std::vector<std::uint8_t> planes;
    fer::rgb_to_yuv420(rgb, planes);
    const fer::Yuv420Layout layout{21, 13};
    REQUIRE(planes.size() == layout.frame_bytes());
    fer::Image back;
    fer::yuv420_to_rgb(planes.data(), planes.data() + layout.luma_bytes(),
                       planes.data() + layout.luma_bytes() + layout.chroma_bytes(), layout, false,
                       back);
    int worst = 0;
    for (int y = 0; y < rgb.height(); ++y)
        for (int i = 0; i < 3 * rgb.width(); ++i)
            worst = std::max(worst, std::abs(rgb.row(y)[i] - back.row(y)[i]));
    CHECK(worst <= 12);  // one 2x2 chroma sample per block: neighbours differ by up to 10

    fer::Image gray(5, 3, fer::PixelFormat::gray);
    std::fill(gray.data(), gray.data() + 15, std::uint8_t(200));
    fer::rgb_to_yuv420(gray, planes);
    const fer::Yuv420Layout small{5, 3};
    for (std::size_t i = small.luma_bytes(); i < planes.size(); ++i) CHECK(int(planes[i]) == 128);
    CHECK(int(planes[0]) == 16 + (219 * 200 + 127) / 255);
    CHECK_THROWS_AS(fer::rgb_to_yuv420(fer::ImageView(), planes), fer::error);
}

TEST_CASE("Y4M: frames read back as written; mono, full range and stream parameters") {
    const fer::Image a = test::random_image(7, 5, fer::PixelFormat::rgb);
    const fer::Image b = test::random_image(7, 5, fer::PixelFormat::rgb);
    std::ostringstream out;
    fer::Y4mWriter writer(out, 7, 5, 30000, 1001);
    writer.write(a);
    writer.write(b);
    CHECK_THROWS_AS(writer.write(test::random_image(8, 5, fer::PixelFormat::rgb)), fer::error);
    std::istringstream in(out.str());
    fer::Y4mReader reader(in);
    CHECK(reader.width() == 7);
    CHECK(reader.height() == 5);
    CHECK(reader.frames_per_second() == doctest::Approx(29.97).epsilon(0.001));
    fer::Image frame;
    std::vector<std::uint8_t> planes;
    for (const fer::Image* original : {&a, &b}) {
        REQUIRE(reader.read(frame));
        // What the reader returns is exactly the conversion of what the writer stored.
        fer::rgb_to_yuv420(*original, planes);
        const fer::Yuv420Layout layout{7, 5};
        fer::Image expected;
        fer::yuv420_to_rgb(planes.data(), planes.data() + layout.luma_bytes(),
                           planes.data() + layout.luma_bytes() + layout.chroma_bytes(), layout,
                           false, expected);
        CHECK(std::equal(frame.data(), frame.data() + 7 * 5 * 3, expected.data()));
    }
    CHECK_FALSE(reader.read(frame));
    CHECK(reader.frames_read() == 2);

    // Monochrome: full range by default, the luma plane as it is.
    const std::string luma = random_bytes(6);
    const auto mono = read_all(y4m_header("W3 H2 F25:1 Cmono") + "FRAME\n" + luma);
    REQUIRE(mono.size() == 1);
    CHECK(mono[0].format() == fer::PixelFormat::gray);
    CHECK(std::equal(luma.begin(), luma.end(), mono[0].data(),
                     [](char c, std::uint8_t p) { return std::uint8_t(c) == p; }));
    // 4:2:0 full range: Y = U = V = 128 is mid-gray 128; limited range stretches it.
    const std::string mid(6, char(128));
    CHECK(int(read_all(y4m_header("W2 H2 C420jpeg XCOLORRANGE=FULL") + "FRAME\n" + mid)[0]
                  .data()[0]) == 128);
    CHECK(
        int(read_all(y4m_header("W2 H2 C420mpeg2 Ip A1:1") + "FRAME Ixyz\n" + mid)[0].data()[0]) ==
        reference_rgb(128, 128, 128, false)[0]);
    CHECK(read_all(y4m_header("W2 H2")).empty());  // a header and no frames
}

TEST_CASE("Y4M: hostile streams give fer::error naming the problem") {
    const std::string frame_420 = "FRAME\n" + std::string(6, '\0');
    check_rejected("", "empty");
    check_rejected("RIFF....WAVEfmt \n", "YUV4MPEG2");
    check_rejected("YUV4MPEG2W2 H2\n", "YUV4MPEG2");
    check_rejected("YUV4MPEG2 W2 H2", "newline");  // no end of header line
    check_rejected(y4m_header("H2 C420"), "W (width)");
    check_rejected(y4m_header("W0 H2"), "Y4M width");
    check_rejected(y4m_header("W-3 H2"), "Y4M width");
    check_rejected(y4m_header("W2x H2"), "Y4M width");
    check_rejected(y4m_header("W99999 H2"), "Y4M width");
    check_rejected(y4m_header("W99999999999999999999 H2"), "Y4M width");
    check_rejected(y4m_header("W16384 H16384"), "pixel count");  // each side fine, area not
    check_rejected(y4m_header("W2 H2 F25"), "frame rate");
    check_rejected(y4m_header("W2 H2 F25:0"), "frame rate denominator");
    check_rejected(y4m_header("W2 H2 C444"), "colourspace");
    check_rejected(y4m_header("W2 H2 Z1"), "parameter");
    check_rejected("YUV4MPEG2 W2 H2 X" + std::string(5000, 'a') + "\n", "at most 4096");
    check_rejected(y4m_header("W2 H2") + frame_420 + "FRAMX\n" + std::string(6, '\0'), "frame 2");
    check_rejected(y4m_header("W2 H2") + frame_420 + "FRAME\n" + std::string(5, '\0'),
                   "frame 2: expected 6 bytes of pixels, found 5");
    check_rejected(y4m_header("W2 H2") + "FRAME", "frame 1 header");
    // Random garbage after a good header never crashes: either frames or a clear error.
    for (int trial = 0; trial < 50; ++trial) {
        const std::string stream =
            y4m_header("W3 H3") + random_bytes(std::size_t(test::uniform(0, 80)));
        try {
            read_all(stream);
        } catch (const fer::error&) {
        }
    }
}

TEST_CASE("iou and match_by_iou: overlap, greedy assignment, threshold") {
    CHECK(fer::iou({0, 0, 10, 10}, {0, 0, 10, 10}) == doctest::Approx(1.0));
    CHECK(fer::iou({0, 0, 10, 10}, {5, 0, 10, 10}) == doctest::Approx(50.0 / 150.0));
    CHECK(fer::iou({0, 0, 10, 10}, {20, 20, 5, 5}) == 0.0);
    CHECK(fer::iou({0, 0, 0, 0}, {0, 0, 0, 0}) == 0.0);

    const std::vector<fer::Rect> previous{{0, 0, 10, 10}, {100, 0, 10, 10}, {200, 0, 10, 10}};
    // Moved a little, in another order, plus a new box and without the third.
    const std::vector<fer::Rect> current{{102, 1, 10, 10}, {300, 0, 10, 10}, {1, 0, 10, 10}};
    const auto pairs = fer::match_by_iou(previous, current, 0.3);
    CHECK(pairs == std::vector<std::pair<int, int>>{{0, 2}, {1, 0}});
    // Two candidates for one box: the larger overlap wins, the other stays unmatched.
    const auto contested =
        fer::match_by_iou({{0, 0, 10, 10}}, {{4, 0, 10, 10}, {1, 0, 10, 10}}, 0.1);
    CHECK(contested == std::vector<std::pair<int, int>>{{0, 1}});
    CHECK(fer::match_by_iou({{0, 0, 10, 10}}, {{6, 0, 10, 10}}, 0.3).empty());
    CHECK(fer::match_by_iou({}, current, 0.3).empty());
    CHECK_THROWS_AS(fer::match_by_iou(previous, current, 0.0), fer::error);
    CHECK_THROWS_AS(fer::match_by_iou(previous, current, 1.5), fer::error);
}

TEST_CASE("smoothing: ema and window follow their formulas and keep the sum at 1") {
    const fer::Probabilities a{0.7f, 0.0f, 0.0f, 0.3f, 0.0f, 0.0f, 0.0f};
    const fer::Probabilities b{0.1f, 0.0f, 0.0f, 0.9f, 0.0f, 0.0f, 0.0f};
    fer::ProbabilitySmoother ema({fer::SmoothingMethod::ema, 0.25, 10});
    CHECK(ema.update(a)[0] == doctest::Approx(0.7));  // the first frame as it is
    CHECK(ema.update(b)[0] == doctest::Approx(0.25 * 0.1 + 0.75 * 0.7));
    const fer::Probabilities s = ema.update(b);
    CHECK(s[0] == doctest::Approx(0.25 * 0.1 + 0.75 * (0.25 * 0.1 + 0.75 * 0.7)));
    CHECK(s[0] + s[3] == doctest::Approx(1.0));

    fer::ProbabilitySmoother window({fer::SmoothingMethod::window, 0.5, 2});
    window.update(a);
    CHECK(window.update(b)[3] == doctest::Approx(0.6));
    CHECK(window.update(b)[3] == doctest::Approx(0.9));  // a has left the window

    fer::ProbabilitySmoother none({fer::SmoothingMethod::none, 0.5, 2});
    none.update(a);
    CHECK(none.update(b) == b);
    CHECK_THROWS_AS(fer::ProbabilitySmoother({fer::SmoothingMethod::ema, 0.0, 10}), fer::error);
    CHECK_THROWS_AS(fer::ProbabilitySmoother({fer::SmoothingMethod::window, 0.5, 0}), fer::error);
}

namespace {

// The video level's shipped models behind `detector`; null (the caller skips) when absent.
std::shared_ptr<const fer::Recognizer> video_recognizer(fer::DetectorKind detector) {
    try {
        return std::make_shared<const fer::Recognizer>(fer::Recognizer::with_defaults(
            {}, fer::Precision::fp32, fer::default_video_level, detector));
    } catch (const fer::error& e) {
        MESSAGE("skipped: ", e.what());
        return nullptr;
    }
}

// 30 frames of 640x360 panning over sample3 (three women): 2 pixels a frame to the right, 1
// down, the picture turned by `degrees`; empty when the photo is missing.
std::vector<fer::Image> panning_clip(double degrees = 0.0) {
    const auto path = test::sample_photo(3);
    if (!std::filesystem::exists(path)) {
        MESSAGE("skipped: ", path.string(), " is missing (run tools/fetch-assets.sh)");
        return {};
    }
    const fer::Image photo = fer::load_image(path.string());
    const int height = photo.height() * 720 / photo.width();
    fer::Image scene = fer::resize_area(photo, 720, height);
    if (degrees != 0.0) scene = fer::crop_rotated(scene, 360, height / 2.0, 720, degrees);
    std::vector<fer::Image> clip;
    for (int t = 0; t < 30; ++t) clip.push_back(fer::crop(scene, {2 * t, t, 640, 360}));
    return clip;
}

}  // namespace

TEST_CASE("FaceTracker with BlazeFace: stable IDs, moving boxes, keypoints, turned faces") {
    const auto recognizer = video_recognizer(fer::DetectorKind::blazeface);
    if (!recognizer) return;
    for (const double degrees : {0.0, 30.0}) {
        CAPTURE(degrees);
        const std::vector<fer::Image> clip = panning_clip(degrees);
        if (clip.empty()) return;
        fer::FaceTracker tracker(recognizer);
        CHECK(tracker.options().detect_interval == 2);  // BlazeFace's own
        std::map<int, int> seen;
        std::map<int, fer::Rect> first_box, last_box;
        std::map<int, fer::Probabilities> last_answer;
        int search_frames_checked = 0;
        for (std::size_t n = 0; n < clip.size(); ++n)
            for (const fer::TrackedFace& f : tracker.process(clip[n])) {
                ++seen[f.id];
                if (!first_box.count(f.id)) first_box[f.id] = f.box;
                last_box[f.id] = f.box;
                CHECK(f.detection.has_keypoints);
                CHECK(f.aligned);
                // Known faces are classified between searches (odd frames), not in them.
                if (n % 2 == 0 && last_answer.count(f.id)) {
                    CHECK(f.raw_probabilities == last_answer[f.id]);
                    ++search_frames_checked;
                }
                last_answer[f.id] = f.raw_probabilities;
            }
        CHECK(search_frames_checked > 20);
        // The three faces under one ID each, in every frame once in view (turned, the third
        // comes into view in frame 3 and is found in frame 4); the last search (frame 28) saw
        // those in view from the start 56 pixels left and 28 up of where they started.
        CHECK(tracker.tracks_started() == 3);
        int steady = 0;
        for (const auto& [id, frames] : seen) {
            CAPTURE(id);
            CHECK(frames >= 26);
            if (frames < 30) continue;
            ++steady;
            CHECK(last_box[id].x - first_box[id].x == doctest::Approx(-56).epsilon(0.2));
            CHECK(last_box[id].y - first_box[id].y == doctest::Approx(-28).epsilon(0.35));
        }
        CHECK(steady >= 2);
    }
    // Faces that come into view mid-stream get tracks at the next search.
    const std::vector<fer::Image> clip = panning_clip();
    fer::FaceTracker tracker(recognizer);
    fer::Image empty(640, 360, fer::PixelFormat::rgb);
    std::fill_n(empty.data(), 640 * 360 * 3, std::uint8_t{90});
    for (int t = 0; t < 7; ++t) CHECK(tracker.process(empty).empty());
    CHECK(tracker.process(clip[7]).empty());  // frame 7: no search
    CHECK(tracker.process(clip[8]).size() == 3);
}

TEST_CASE("FaceTracker: stable IDs on a panning picture, every frame answered") {
    const auto recognizer = video_recognizer(fer::DetectorKind::haar);
    if (!recognizer) return;
    const std::vector<fer::Image> clip = panning_clip();
    if (clip.empty()) return;

    // Faces are classified in turns: a face's answer changes only on its frames (frame + id a
    // multiple of the interval) and is there from its first frame; with 1, in every frame.
    for (const int interval : {1, 3}) {
        CAPTURE(interval);
        fer::TrackerOptions options;
        options.classify_interval = interval;
        options.smoothing.method = fer::SmoothingMethod::none;
        fer::FaceTracker tracker(recognizer, options);
        std::map<int, fer::Probabilities> last;
        int changes = 0, turns = 0;
        for (std::size_t n = 0; n < clip.size(); ++n)
            for (const fer::TrackedFace& f : tracker.process(clip[n])) {
                const bool turn = (std::int64_t(n) + f.id) % interval == 0;
                const auto before = last.find(f.id);
                if (before != last.end()) {
                    const bool changed = before->second != f.raw_probabilities;
                    if (!turn) CHECK_FALSE(changed);
                    turns += turn;
                    changes += turn && changed;
                }
                CHECK(f.probabilities == f.raw_probabilities);
                last[f.id] = f.raw_probabilities;
            }
        CHECK(turns > 0);
        CHECK(changes >= turns * 9 / 10);  // the picture moves: new crops, new numbers
    }
    {  // ema over classified frames keeps its memory in frames: alpha' = 1 - (1 - alpha)^k
        fer::TrackerOptions options;
        options.classify_interval = 2;
        options.smoothing.alpha = 0.2;
        const double alpha = 1 - (1 - 0.2) * (1 - 0.2);
        fer::FaceTracker tracker(recognizer, options);
        std::map<int, fer::Probabilities> smoothed;
        int checked = 0;
        for (std::size_t n = 0; n < clip.size(); ++n)
            for (const fer::TrackedFace& f : tracker.process(clip[n])) {
                const auto before = smoothed.find(f.id);
                if (before != smoothed.end() && (std::int64_t(n) + f.id) % 2 == 0) {
                    for (int k = 0; k < fer::expression_count; ++k)
                        CHECK(f.probabilities[k] ==
                              doctest::Approx((1 - alpha) * before->second[k] +
                                              alpha * f.raw_probabilities[k])
                                  .epsilon(1e-5));
                    ++checked;
                }
                smoothed[f.id] = f.probabilities;
            }
        CHECK(checked > 0);
    }
    fer::TrackerOptions bad_interval;
    bad_interval.classify_interval = 0;
    CHECK_THROWS_AS(fer::FaceTracker(recognizer, bad_interval), fer::error);

    // Full searches every 5 frames, spread over them or whole.
    auto options_with = [](bool spread) {
        fer::TrackerOptions options;
        options.detect_interval = 5;
        options.spread_search = spread;
        return options;
    };
    for (const bool spread : {true, false}) {
        CAPTURE(spread);
        fer::FaceTracker tracker(recognizer, options_with(spread));
        std::map<int, int> seen;  // id -> frames
        std::map<int, fer::Rect> first_box, last_box;
        for (const fer::Image& frame : clip) {
            const auto& faces = tracker.process(frame);
            std::set<int> ids;
            for (const fer::TrackedFace& f : faces) {
                CHECK(ids.insert(f.id).second);  // one face per ID in a frame
                ++seen[f.id];
                if (!first_box.count(f.id)) first_box[f.id] = f.box;
                last_box[f.id] = f.box;
                float sum = 0;
                for (float p : f.probabilities) sum += p;
                CHECK(sum == doctest::Approx(1.0).epsilon(1e-4));
                CHECK(f.label == fer::top_expression(f.probabilities));
            }
        }
        CHECK(tracker.frames_processed() == 30);
        // The three women stay in view: three IDs seen in every frame, their boxes moving with
        // the picture (the view moves 58 right and 29 down, so the faces move left and up).
        int steady = 0;
        for (const auto& [id, frames] : seen)
            if (frames == 30) {
                ++steady;
                CHECK(last_box[id].x - first_box[id].x == doctest::Approx(-58).epsilon(0.2));
                CHECK(last_box[id].y - first_box[id].y == doctest::Approx(-29).epsilon(0.35));
            }
        CHECK(steady == 3);
    }

    // Faces that come into view mid-stream get tracks within two detection intervals when the
    // full search is spread over the frames, and at the next full search otherwise.
    for (const bool spread : {true, false}) {
        CAPTURE(spread);
        const fer::TrackerOptions options = options_with(spread);
        fer::FaceTracker tracker(recognizer, options);
        fer::Image empty(640, 360, fer::PixelFormat::rgb);
        std::fill_n(empty.data(), 640 * 360 * 3, std::uint8_t{90});
        const int arrival = 7;  // the faces appear in this frame
        for (int t = 0; t < arrival; ++t) CHECK(tracker.process(empty).empty());
        int found_at = -1;
        for (int t = arrival; t < arrival + 3 * options.detect_interval && found_at < 0; ++t)
            if (tracker.process(clip[std::size_t(t)]).size() >= 3) found_at = t;
        REQUIRE(found_at >= 0);
        CHECK(found_at - arrival <= (spread ? 2 : 1) * options.detect_interval);
        CHECK(tracker.tracks_started() == 3);
    }

    // A frame of another size starts over; bad options and a detector-less recognizer fail.
    fer::FaceTracker tracker(recognizer);
    tracker.process(clip[0]);
    const fer::Image small = fer::resize_area(clip[0], 320, 180);
    tracker.process(small);
    CHECK(tracker.active_tracks() <= 3);
    CHECK_THROWS_AS(tracker.process(fer::ImageView()), fer::error);
    fer::TrackerOptions bad;
    bad.detect_interval = -1;
    CHECK_THROWS_AS(fer::FaceTracker(recognizer, bad), fer::error);
    bad = {};
    bad.smoothing.alpha = 2;
    CHECK_THROWS_AS(fer::FaceTracker(recognizer, bad), fer::error);
    CHECK_THROWS_AS(fer::FaceTracker(std::make_shared<const fer::Recognizer>(
                        fer::ExpressionClassifier::load({fer::default_model_path()}))),
                    fer::error);
}

TEST_CASE("draw_line: end points included, clipped, far-off coordinates refused") {
    fer::Image image(9, 7, fer::PixelFormat::gray);
    fer::draw_line(image.mutable_view(), 1, 1, 7, 5, {255, 255, 255});
    int lit = 0;
    for (int i = 0; i < 63; ++i) lit += image.data()[i] != 0;
    CHECK(lit == 7);  // one pixel per column of the longer axis
    CHECK(image.row(1)[1] != 0);
    CHECK(image.row(5)[7] != 0);
    fer::Image clipped(9, 7, fer::PixelFormat::gray);
    fer::draw_line(clipped.mutable_view(), -100, 3, 100, 3, {255, 255, 255}, 3);
    for (int x = 0; x < 9; ++x)
        CHECK((clipped.row(2)[x] && clipped.row(3)[x] && clipped.row(4)[x]));
    CHECK(clipped.row(1)[0] == 0);
    CHECK_THROWS_AS(fer::draw_line(image.mutable_view(), 0, 0, 2000000000, 0, {1, 1, 1}),
                    fer::error);
    CHECK_THROWS_AS(fer::draw_line(image.mutable_view(), 0, 0, 1, 1, {1, 1, 1}, 0), fer::error);
}

// BlazeFace: merging of overlapping candidates, faces and keypoints on a real photo, faces found
// and their roll measured when the photo is turned, and networks or options it cannot use.
#include <fer/fer.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <vector>

#include "helpers.hpp"

namespace {

fer::FaceDetection candidate(float x, float y, float side, float score) {
    fer::FaceDetection d;
    d.x = x, d.y = y, d.width = d.height = side, d.score = score;
    for (int k = 0; k < fer::face_keypoint_count; ++k) d.keypoints[k] = {x + k, y + 2 * k};
    return d;
}

std::optional<fer::BlazeFaceDetector> shipped_detector() {
    try {
        return fer::BlazeFaceDetector(fer::load_network(fer::shipped_model_path("blazeface.gguf")));
    } catch (const fer::error& e) {
        MESSAGE("skipped: ", e.what());
        return std::nullopt;
    }
}

struct PhotoAndDetector {
    fer::Image photo;
    fer::BlazeFaceDetector detector;
};

// sample3.jpg and the shipped detector, or nothing (the test is reported skipped) when either is
// missing.
std::optional<PhotoAndDetector> sample3_and_detector() {
    const auto path = test::sample_photo(3);
    if (!std::filesystem::exists(path)) {
        MESSAGE("skipped: ", path.string(), " is missing (run tools/fetch-assets.sh)");
        return std::nullopt;
    }
    std::optional<fer::BlazeFaceDetector> detector = shipped_detector();
    if (!detector) return std::nullopt;
    return PhotoAndDetector{fer::load_image(path.string()), std::move(*detector)};
}

// The detector's merging steps, with their working memory local.
std::vector<fer::FaceDetection> merge(std::vector<fer::FaceDetection> candidates, float iou,
                                      int max_faces) {
    std::vector<fer::FaceDetection> faces;
    std::vector<char> used;
    fer::detail::merge_overlapping(candidates, iou, max_faces, faces, used);
    return faces;
}
std::vector<fer::FaceDetection> mean_of_passes(const std::vector<fer::FaceDetection>& direct,
                                               const std::vector<fer::FaceDetection>& mirrored,
                                               const fer::BlazeFaceOptions& options) {
    std::vector<fer::FaceDetection> faces;
    std::vector<char> paired;
    fer::detail::mean_of_mirrored(direct, mirrored, options, faces, paired);
    return faces;
}

}  // namespace

TEST_CASE("BlazeFace merging: overlapping candidates become their score-weighted mean") {
    // Two candidates on one face (IoU 0.67), one apart, one too weak to lead but merged.
    const std::vector<fer::FaceDetection> merged =
        merge({candidate(0, 0, 10, 0.6f), candidate(2, 0, 10, 0.9f), candidate(50, 50, 8, 0.7f)},
              0.3f, 10);
    REQUIRE(merged.size() == 2);
    CHECK(merged[0].score == doctest::Approx(0.9f));  // the best score of the cluster
    CHECK(merged[0].x == doctest::Approx((0.6 * 0 + 0.9 * 2) / 1.5));
    CHECK(merged[0].keypoints[3].y == doctest::Approx(6.0f));  // same offsets in both
    CHECK(merged[1].score == doctest::Approx(0.7f));
    CHECK(merged[1].x == doctest::Approx(50.0f));
    // At most max_faces, best first.
    const auto one = merge({candidate(0, 0, 10, 0.6f), candidate(50, 50, 8, 0.7f)}, 0.3f, 1);
    REQUIRE(one.size() == 1);
    CHECK(one[0].score == doctest::Approx(0.7f));
}

TEST_CASE("BlazeFace's two passes: faces seen in both get the mean, the others half a score") {
    fer::BlazeFaceOptions options;
    options.min_score = 0.4f;
    // Direct: a face at 0 (0.8) and one at 100 (0.9); mirrored: the first again at 2 (0.6),
    // one at 200 (0.7).
    const std::vector<fer::FaceDetection> faces =
        mean_of_passes({candidate(0, 0, 10, 0.8f), candidate(100, 0, 10, 0.9f)},
                       {candidate(2, 0, 10, 0.6f), candidate(200, 0, 10, 0.7f)}, options);
    REQUIRE(faces.size() == 2);                      // 200 (0.35) falls under 0.4
    CHECK(faces[0].score == doctest::Approx(0.7f));  // (0.8 + 0.6) / 2, best first
    CHECK(faces[0].x == doctest::Approx((0.8 * 0 + 0.6 * 2) / 1.4));
    CHECK(faces[1].score == doctest::Approx(0.45f));
    CHECK(faces[1].x == doctest::Approx(100.0f));
    options.max_faces = 1;  // the best one
    const std::vector<fer::FaceDetection> best =
        mean_of_passes({candidate(0, 0, 10, 0.8f), candidate(100, 0, 10, 0.9f)},
                       {candidate(2, 0, 10, 0.6f)}, options);
    REQUIRE(best.size() == 1);
    CHECK(best[0].score == doctest::Approx(0.7f));
}

TEST_CASE("BlazeFace's mirrored pass sees what a pass over the mirrored picture sees") {
    const auto sample = sample3_and_detector();
    if (!sample) return;
    const fer::Image photo = fer::resize_area(sample->photo, 640, 450);
    fer::Image flipped(photo.width(), photo.height(), fer::PixelFormat::rgb);
    for (int y = 0; y < photo.height(); ++y)
        for (int x = 0; x < photo.width(); ++x)
            std::copy_n(photo.row(y) + 3 * x, 3, flipped.row(y) + 3 * (photo.width() - 1 - x));
    fer::BlazeFaceDetector::Workspace ws;
    fer::BlazeFaceOptions one_pass;
    one_pass.mirror = false;
    one_pass.min_score = 0.05f;  // the floor the two-pass detection uses at min_score 0.36
    one_pass.max_faces = 10000;
    std::vector<fer::FaceDetection> back = sample->detector.detect(flipped, ws, one_pass);
    for (fer::FaceDetection& f : back) {  // into the photo's coordinates and keypoint order
        f.x = float(photo.width()) - f.x - f.width;
        for (fer::FacePoint& p : f.keypoints) p.x = float(photo.width()) - p.x;
        std::swap(f.keypoints[0], f.keypoints[1]);
        std::swap(f.keypoints[4], f.keypoints[5]);
    }
    const fer::BlazeFaceOptions two_passes;
    const std::vector<fer::FaceDetection> expected =
        mean_of_passes(sample->detector.detect(photo, ws, one_pass), back, two_passes);
    const std::vector<fer::FaceDetection> got = sample->detector.detect(photo, ws, two_passes);
    REQUIRE(got.size() == expected.size());
    CHECK(got.size() == 3);
    for (std::size_t i = 0; i < got.size(); ++i) {
        CHECK(got[i].score == doctest::Approx(expected[i].score).epsilon(1e-3));
        CHECK(got[i].x == doctest::Approx(expected[i].x).epsilon(1e-3));
        CHECK(got[i].width == doctest::Approx(expected[i].width).epsilon(1e-3));
        for (int k = 0; k < fer::face_keypoint_count; ++k)
            CHECK(got[i].keypoints[k].x ==
                  doctest::Approx(expected[i].keypoints[k].x).epsilon(1e-3));
    }
}

TEST_CASE("BlazeFace on a photo: the three faces, keypoints where they belong, no glass") {
    const auto sample = sample3_and_detector();
    if (!sample) return;
    const fer::Image& photo = sample->photo;
    const fer::BlazeFaceDetector& detector = sample->detector;
    fer::BlazeFaceDetector::Workspace ws;
    const std::vector<fer::FaceDetection> faces = detector.detect(photo, ws);
    REQUIRE(faces.size() == 3);  // the Haar cascade adds a glass and a phone here
    for (const fer::FaceDetection& f : faces) {
        INFO("face at ", f.x, ", ", f.y, ", width ", f.width, ", score ", f.score);
        CHECK(f.score >= 0.5f);
        CHECK(f.width > 150);  // the faces are 200-320 pixels wide
        const fer::FacePoint& mouth = f.point(fer::FaceKeypoint::mouth);
        const fer::FacePoint& nose = f.point(fer::FaceKeypoint::nose);
        for (fer::FaceKeypoint k : {fer::FaceKeypoint::right_eye, fer::FaceKeypoint::left_eye}) {
            CHECK(f.point(k).y < nose.y);
            CHECK(f.point(k).x > f.x);
            CHECK(f.point(k).x < f.x + f.width);
        }
        CHECK(nose.y < mouth.y);
        CHECK(mouth.y < f.y + f.height);
        CHECK(f.point(fer::FaceKeypoint::right_eye).x < f.point(fer::FaceKeypoint::left_eye).x);
    }
    // The same faces in a gray copy, scaled down (the letterbox maps boxes back to the picture).
    const fer::Image small = fer::resize_area(fer::to_gray(photo), 960, 675);
    const std::vector<fer::FaceDetection> again = detector.detect(small, ws);
    CHECK(again.size() == 3);
    for (const fer::FaceDetection& f : again) {
        bool matched = false;
        for (const fer::FaceDetection& g : faces)
            matched |= std::abs(2 * f.x - g.x) < 0.1 * g.width &&
                       std::abs(2 * f.width - g.width) < 0.15 * g.width;
        CHECK(matched);
    }
}

TEST_CASE("BlazeFace finds faces turned up to 45 degrees and measures their roll") {
    const auto sample = sample3_and_detector();
    if (!sample) return;
    const fer::Image& photo = sample->photo;
    const fer::BlazeFaceDetector& detector = sample->detector;
    fer::BlazeFaceDetector::Workspace ws;
    // The left woman's face (centre about 690, 486), turned about its centre.
    const fer::Image upright = fer::crop_rotated(photo, 690, 486, 640, 0.0);
    const std::vector<fer::FaceDetection> base = detector.detect(upright, ws);
    REQUIRE(!base.empty());
    const double base_roll = fer::eye_roll_degrees(base.front().keypoints);
    for (const double degrees : {-45.0, -30.0, -15.0, 15.0, 30.0, 45.0}) {
        CAPTURE(degrees);
        const std::vector<fer::FaceDetection> faces =
            detector.detect(fer::crop_rotated(photo, 690, 486, 640, degrees), ws);
        REQUIRE(!faces.empty());
        CHECK(faces.front().score >= 0.5f);
        // crop_rotated turns the picture by -degrees: the eyes' slope changes by that much.
        CHECK(std::abs(fer::eye_roll_degrees(faces.front().keypoints) - (base_roll - degrees)) <
              8.0);
    }
}

TEST_CASE("BlazeFace's second scale finds the small faces of a large picture") {
    const auto sample = sample3_and_detector();
    if (!sample) return;
    // sample3 shrunk to 840x560 in a 3000x2000 picture: faces of 80-105 pixels, 7-9 pixels at
    // the network's 256, where its boxes are rough (overlapping, unmerged duplicates).
    const fer::Image small = fer::resize_area(sample->photo, 840, 560);
    fer::Image large(3000, 2000, fer::PixelFormat::rgb);
    std::fill_n(large.data(), std::size_t(3000) * 2000 * 3, std::uint8_t{0});
    for (int y = 0; y < small.height(); ++y)
        std::copy_n(small.row(y), 3 * small.width(), large.row(800 + y) + 3 * 1200);
    fer::BlazeFaceDetector::Workspace ws;
    fer::BlazeFaceOptions two_scales;  // one pass each, its own scores
    two_scales.mirror = false;
    two_scales.min_score = 0.5f;
    fer::BlazeFaceOptions one_scale = two_scales;
    one_scale.second_scale_from = 0;
    CHECK(sample->detector.detect(large, ws, one_scale).size() > 3);
    // At twice the side, the three faces, once each.
    const std::vector<fer::FaceDetection> faces = sample->detector.detect(large, ws, two_scales);
    CHECK(faces.size() == 3);
    for (const fer::FaceDetection& f : faces) {
        CHECK(f.score > 0.6f);
        CHECK(f.x > 1200);
        CHECK(f.x + f.width < 2040);
        CHECK(f.y > 800);
        CHECK(f.y + f.height < 1360);
    }
    // Below the side where the second scale starts, one scale.
    one_scale.second_scale_from = 3001;
    CHECK(sample->detector.detect(large, ws, one_scale).size() > 3);
}

TEST_CASE("the recognizer levels BlazeFace's faces turned up to 45 degrees, labels unchanged") {
    const auto sample = sample3_and_detector();
    if (!sample) return;
    const fer::Recognizer recognizer(
        std::make_shared<const fer::BlazeFaceDetector>(sample->detector),
        fer::ExpressionClassifier::load({fer::default_model_path(fer::Level::fast)}));
    fer::Recognizer::Workspace ws;
    fer::BlazeFaceDetector::Workspace detector_ws;
    // The middle woman's face (centre about 1190, 380), turned about its centre.
    const std::vector<fer::FaceResult> upright =
        recognizer.recognize(fer::crop_rotated(sample->photo, 1190, 380, 640, 0.0), ws);
    REQUIRE(upright.size() == 1);
    CHECK(upright[0].aligned);
    for (const double degrees : {-45.0, -30.0, 30.0, 45.0}) {
        CAPTURE(degrees);
        const fer::Image turned = fer::crop_rotated(sample->photo, 1190, 380, 640, degrees);
        const std::vector<fer::FaceResult> faces = recognizer.recognize(turned, ws);
        REQUIRE(faces.size() == 1);
        const fer::FaceResult& face = faces[0];
        CHECK(face.aligned);
        CHECK(std::abs(face.roll_degrees - (upright[0].roll_degrees - degrees)) < 8.0);
        CHECK(face.label == upright[0].label);
        // The crop the classifier saw has the eyes level again.
        const fer::FaceCrop crop = recognizer.crop_face(turned, {}, face.detection);
        const std::vector<fer::FaceDetection> in_crop =
            sample->detector.detect(crop.image, detector_ws);
        REQUIRE(!in_crop.empty());
        CHECK(std::abs(fer::eye_roll_degrees(in_crop.front().keypoints)) < 8.0);
    }
}

TEST_CASE("BlazeFace refuses other networks, truncated files and options out of range") {
    const auto detector = shipped_detector();
    if (!detector) return;
    const std::vector<std::uint8_t> file =
        fer::read_file_bytes(fer::shipped_model_path("blazeface.gguf"));
    for (std::size_t keep = 0; keep + 32 < file.size(); keep += file.size() / 23 + 1)
        CHECK_THROWS_AS(fer::BlazeFaceDetector(fer::load_network(fer::GgufFile::parse(
                            std::vector<std::uint8_t>(file.begin(), file.begin() + long(keep))))),
                        fer::error);
    CHECK_THROWS_WITH_AS(fer::BlazeFaceDetector(
                             fer::load_network(fer::shipped_model_path("human-emotion-int8.gguf"))),
                         doctest::Contains("BlazeFace input"), fer::error);
    fer::BlazeFaceDetector::Workspace ws;
    const fer::Image picture(40, 30, fer::PixelFormat::rgb);
    for (const fer::BlazeFaceOptions& bad :
         {fer::BlazeFaceOptions{0.0f, 0.3f, 10}, fer::BlazeFaceOptions{1.0f, 0.3f, 10},
          fer::BlazeFaceOptions{0.5f, 1.5f, 10}, fer::BlazeFaceOptions{0.5f, 0.3f, 0},
          fer::BlazeFaceOptions{0.5f, 0.3f, 10, true, -1}})
        CHECK_THROWS_AS(detector->detect(picture, ws, bad), fer::error);
    CHECK(detector->detect(picture, ws).empty());  // a black picture has no face
    CHECK_THROWS_AS(detector->detect(fer::Image(), ws), fer::error);
}

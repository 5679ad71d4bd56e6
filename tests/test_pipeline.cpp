// The recognizer: photos to labelled faces, crops, given boxes, batches.
#include <fer/pipeline.hpp>

#include <fer/imgproc.hpp>
#include <fer/io.hpp>

#include "helpers.hpp"

namespace {

// The shipped default model behind `detector`; null (the caller skips) when either is absent.
std::unique_ptr<fer::Recognizer> default_recognizer(fer::DetectorKind detector) {
    try {
        return std::make_unique<fer::Recognizer>(
            fer::Recognizer::with_defaults({}, fer::Precision::fp32, fer::default_level, detector));
    } catch (const fer::error& e) {
        MESSAGE("skipped: ", e.what());
        return nullptr;
    }
}

}  // namespace

TEST_CASE("crop regions are squares around the box, enlarged by the margin, clamped") {
    fer::RecognizerOptions options;
    options.margin = 0.5;
    const fer::Recognizer r(fer::ExpressionClassifier::load({fer::default_model_path()}), options);
    CHECK(r.crop_region({10, 10, 20, 20}, 100, 100) == fer::Rect{0, 0, 40, 40});
    CHECK(r.crop_region({70, 80, 20, 20}, 100, 100) == fer::Rect{60, 70, 40, 30});  // clamped
    CHECK(r.crop_region({10, 10, 20, 10}, 100, 100) == fer::Rect{0, 0, 40, 35});
    fer::Recognizer::Workspace ws;
    const fer::Image photo = test::random_image(64, 48, fer::PixelFormat::rgb);
    CHECK_THROWS_AS(r.recognize(photo, ws), fer::error);  // no detector
    CHECK_THROWS_AS(r.classify_boxes(photo, {{200, 200, 10, 10}}, ws), fer::error);
    const auto faces = r.classify_boxes(photo, {{5, 5, 30, 30}}, ws);
    REQUIRE(faces.size() == 1);
    float total = 0;
    for (float p : faces[0].probabilities) total += p;
    CHECK(total == doctest::Approx(1.0f).epsilon(1e-4));
    CHECK(faces[0].score == faces[0].probabilities[std::size_t(faces[0].label)]);
    options.margin = 2.0;
    CHECK_THROWS_AS(fer::Recognizer(r.classifier(), options), fer::error);
}

TEST_CASE("recognize: faces on the sample photos, the same answers in a batch") {
    const auto recognizer = default_recognizer(fer::DetectorKind::haar);
    const auto cnn = default_recognizer(fer::DetectorKind::blazeface);
    if (!recognizer || !cnn) return;
    std::vector<fer::Image> photos;
    for (int n = 1; n <= 6; ++n) {
        FER_SKIP_UNLESS_EXISTS(test::sample_photo(n));
        photos.push_back(fer::load_image(test::sample_photo(n).string()));
    }
    fer::Recognizer::Workspace ws;
    std::vector<std::vector<fer::FaceResult>> expected;
    for (const fer::Image& p : photos) expected.push_back(recognizer->recognize(p, ws));
    CHECK(expected[0].size() == 2);  // sample1: one face and a badge (two faces missed)
    CHECK(expected[2].size() == 5);  // sample3: three faces, a glass and a phone
    // BlazeFace: all three faces of sample1, only the faces of sample3, each crop aligned by
    // the eye keypoints.
    for (const auto& [n, faces] : {std::pair{0, 3}, std::pair{2, 3}}) {
        const std::vector<fer::FaceResult> found = cnn->recognize(photos[std::size_t(n)], ws);
        CHECK(found.size() == std::size_t(faces));
        for (const fer::FaceResult& f : found) {
            CHECK(f.aligned);
            CHECK(f.detection.has_keypoints);
            CHECK(f.detection.score >= 0.5f);
        }
    }
    // The batch form, on two workers, gives the same faces (threads sharing one recognizer:
    // test_threads.cpp).
    std::vector<fer::ImageView> views(photos.begin(), photos.end());
    const auto batch = recognizer->recognize_batch(views, 2);
    REQUIRE(batch.size() == photos.size());
    for (std::size_t i = 0; i < photos.size(); ++i) {
        REQUIRE(batch[i].size() == expected[i].size());
        for (std::size_t f = 0; f < batch[i].size(); ++f)
            CHECK(batch[i][f].probabilities == expected[i][f].probabilities);
    }
    views.push_back(fer::ImageView());
    CHECK_THROWS_WITH_AS(recognizer->recognize_batch(views, 2), doctest::Contains("image 7"),
                         fer::error);
}

TEST_CASE("alignment turns a tilted face until its eyes are level") {
    const auto recognizer = default_recognizer(fer::DetectorKind::haar);
    if (!recognizer) return;
    FER_SKIP_UNLESS_EXISTS(test::sample_photo(3));
    const fer::Image photo = fer::load_image(test::sample_photo(3).string());
    const fer::Image gray = fer::to_gray(photo);
    const fer::CascadeDetector eyes(fer::load_cascade(fer::default_eye_cascade_path()));
    const fer::Rect face{1015, 209, 315, 315};  // the woman in the middle, head tilted

    auto roll_of = [&](const fer::Image& image, const fer::Rect& box) {
        const auto pair = fer::find_eyes(eyes, fer::to_gray(image), box);
        REQUIRE(pair.has_value());
        return pair->roll_degrees;
    };
    // Before: her eyes slope by about 12 degrees; after alignment, they are level.
    const double before = roll_of(photo, face);
    CHECK(before > 8);
    const fer::FaceCrop aligned = recognizer->crop_face(photo, gray, fer::FoundFace{face});
    CHECK(aligned.aligned);
    CHECK(aligned.roll_degrees == doctest::Approx(before));
    const fer::Rect whole{0, 0, aligned.image.width(), aligned.image.height()};
    CHECK(std::abs(roll_of(aligned.image, whole)) < 3);

    // A synthetic tilt the other way: turn the level crop by 15 degrees, then align again.
    const fer::Image tilted =
        fer::crop_rotated(aligned.image, whole.width / 2.0, whole.height / 2.0, whole.width, 15.0);
    const double tilt = roll_of(tilted, whole);
    CHECK(tilt < -10);
    const fer::FaceCrop again =
        recognizer->crop_face(tilted, fer::to_gray(tilted), fer::FoundFace{whole});
    CHECK(again.aligned);
    CHECK(std::abs(roll_of(again.image, whole)) < 3);
}

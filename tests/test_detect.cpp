#include <fer/detect/detector.hpp>
#include <fer/fer.hpp>

#include <algorithm>
#include <filesystem>
#include <string>
#include <thread>

#include "helpers.hpp"

namespace {

const std::string haar_dir = "/usr/share/opencv4/haarcascades/";

bool have(const std::string& path) {
    return std::filesystem::exists(path);
}

// A random image with smooth structure (flat noise is mostly rejected as flat or at stage 0,
// which would leave the later stages untested).
fer::Image blobby_image(int width, int height) {
    fer::Image noise =
        test::random_image(std::max(2, width / 6), std::max(2, height / 6), fer::PixelFormat::gray);
    fer::Image out = fer::resize_bilinear(noise, width, height);
    for (int i = 0; i < width * height; ++i)
        out.data()[i] =
            std::uint8_t(std::clamp(int(out.data()[i]) + test::uniform(-12, 12), 0, 255));
    return out;
}

std::vector<std::int32_t> scan(const fer::Cascade& cascade, const fer::ImageView& gray, int step,
                               bool vector_path) {
    fer::detail::LevelTables tables;
    tables.build(gray, true, cascade.has_tilted_features);
    if (step == 2) tables.split_columns();
    fer::detail::CompiledCascade compiled(cascade, tables.stride);
    fer::detail::RowBand band;
    band.columns = gray.width() + 1 - cascade.window_width;
    band.rows = gray.height() + 1 - cascade.window_height;
    band.step = step;
    std::vector<std::int32_t> accepted;
#if FER_HAS_AVX2 || FER_HAS_NEON
    fer::detail::ScanScratch scratch;
    if (vector_path) fer::detail::scan_band_vector(compiled, tables, band, accepted, scratch);
#else
    (void)vector_path;
#endif
    if (!vector_path) fer::detail::scan_band_scalar(compiled, tables, band, accepted);
    std::sort(accepted.begin(), accepted.end());
    return accepted;
}

}  // namespace

TEST_CASE("the vector window scan accepts exactly the windows the plain scan accepts") {
#if !FER_HAS_AVX2 && !FER_HAS_NEON
    MESSAGE("skipped: no vector scan on this platform");
    return;
#else
    if (!fer::detail::cpu_has_vector_kernels()) {
        MESSAGE("skipped: this CPU has no AVX2");
        return;
    }
    INFO("seed ", test::seed());
    const std::string names[] = {"haarcascade_frontalface_default.xml",
                                 "haarcascade_frontalface_alt.xml",
                                 "haarcascade_smile.xml"};  // the last has tilted features
    int compared = 0, accepted = 0;
    for (const std::string& name : names) {
        if (!have(haar_dir + name)) continue;
        const fer::Cascade cascade = fer::load_cascade(haar_dir + name);
        REQUIRE(cascade.all_stumps);
        // Odd sizes, both window steps, random structured images and, when present, a real photo
        // shrunk so that faces fill the window.
        std::vector<fer::Image> images;
        for (const auto& size :
             {std::pair{37, 29}, std::pair{61, 41}, std::pair{97, 83}, std::pair{150, 121}})
            images.push_back(blobby_image(size.first, size.second));
        if (std::filesystem::exists(test::sample_photo(1)))
            images.push_back(fer::resize_area(
                fer::to_gray(fer::load_image(test::sample_photo(1).string())), 160, 107));
        for (const fer::Image& image : images)
            for (int step : {1, 2}) {
                INFO(name, " on ", image.width(), "x", image.height(), " step ", step);
                const std::vector<std::int32_t> plain = scan(cascade, image, step, false);
                CHECK(scan(cascade, image, step, true) == plain);
                ++compared;
                accepted += int(plain.size());
            }
    }
    MESSAGE(compared, " scans compared, ", accepted, " windows accepted in all");
    CHECK(compared > 0);
#endif
}

TEST_CASE("grouping merges neighbours, applies the neighbour threshold and drops nested boxes") {
    std::vector<fer::Rect> hits;
    for (int i = 0; i < 5; ++i) hits.push_back({100 + i, 100 - i, 50, 50});  // one face, 5 hits
    for (int i = 0; i < 2; ++i) hits.push_back({300 + i, 40, 30, 30});       // a weak group
    hits.push_back({110, 110, 20, 20});  // inside the strong group: dropped
    hits.push_back({112, 111, 20, 20});
    hits.push_back({111, 110, 20, 20});
    hits.push_back({113, 112, 20, 20});
    const std::vector<fer::Detection> grouped = fer::group_rectangles(hits, 1);
    REQUIRE(grouped.size() == 2);
    CHECK(grouped[0].box == fer::Rect{300, 40, 30, 30});  // 300.5 rounds to even, as in OpenCV
    CHECK(grouped[0].neighbors == 2);
    CHECK(grouped[1].box == fer::Rect{102, 98, 50, 50});
    CHECK(grouped[1].neighbors == 5);
    CHECK(fer::group_rectangles(hits, 5).empty());  // a group needs more than min_neighbors hits
    CHECK(fer::group_rectangles(hits, 0).size() == hits.size());
}

TEST_CASE("pyramid levels follow the scale factor and the size limits") {
    fer::DetectionOptions o;
    const auto levels = fer::detail::pyramid_levels(640, 480, 24, 24, o);
    REQUIRE(!levels.empty());
    CHECK(levels.front().scale == 1.0f);
    CHECK(levels.front().width == 640);
    CHECK(levels.front().step == 2);
    CHECK(levels.back().step == 1);
    for (const auto& level : levels) CHECK(std::lround(24 * level.scale) <= 480);
    o.min_width = o.min_height = 100;
    o.max_width = o.max_height = 200;
    for (const auto& level : fer::detail::pyramid_levels(640, 480, 24, 24, o)) {
        CHECK(std::lround(24 * level.scale) >= 100);
        CHECK(std::lround(24 * level.scale) <= 200);
    }
}

TEST_CASE("detection finds the faces of the sample photos") {
    const std::string default_cascade = haar_dir + "haarcascade_frontalface_default.xml";
    if (!have(default_cascade) || !std::filesystem::exists(test::sample_photo(1))) {
        MESSAGE("skipped: needs opencv-data and the sample photos");
        return;
    }
    const fer::CascadeDetector detector(fer::load_cascade(default_cascade));
    fer::DetectionOptions options;
    options.min_width = options.min_height = 30;
    // sample1 shows three women: the cascade finds the frontal face and, as OpenCV does, a round
    // badge; the tilted and the downcast faces are missed.
    const fer::Image photo = fer::load_image(test::sample_photo(1).string());
    const std::vector<fer::Detection> faces = detector.detect(photo, options);
    CHECK(faces.size() == 2);
    for (const fer::Detection& f : faces) CHECK(f.neighbors > options.min_neighbors);
    // Threads change nothing but speed; colour input equals its gray conversion.
    fer::DetectionOptions threaded = options;
    threaded.threads = 3;
    const std::vector<fer::Detection> again = detector.detect(fer::to_gray(photo), threaded);
    REQUIRE(again.size() == faces.size());
    for (std::size_t i = 0; i < faces.size(); ++i) CHECK(again[i].box == faces[i].box);
    // Too small an image, or a window bigger than the maximum size: nothing, no error.
    CHECK(detector.detect(fer::Image(20, 20, fer::PixelFormat::gray)).empty());
    fer::DetectionOptions tiny = options;
    tiny.max_width = tiny.max_height = 10;
    CHECK(detector.detect(photo, tiny).empty());
}

TEST_CASE("a search spread over parts of the pyramid finds what one detect() finds") {
    const std::string default_cascade = haar_dir + "haarcascade_frontalface_default.xml";
    if (!have(default_cascade) || !std::filesystem::exists(test::sample_photo(3))) {
        MESSAGE("skipped: needs opencv-data and the sample photos");
        return;
    }
    const fer::CascadeDetector detector(fer::load_cascade(default_cascade));
    const fer::Image photo = fer::to_gray(fer::load_image(test::sample_photo(3).string()));
    fer::DetectionOptions options;
    options.min_width = options.min_height = 30;
    const std::vector<fer::Detection> whole = detector.detect(photo, options);
    REQUIRE(whole.size() >= 3);
    const std::size_t levels = detector.pyramid(photo.width(), photo.height(), options).size();
    REQUIRE(levels > 10);
    // Parts of random lengths, some empty, in order; the last one runs past the end.
    std::vector<fer::Rect> hits;
    for (std::size_t first = 0; first < levels;) {
        const std::size_t end = first + std::size_t(test::uniform(0, 5));
        const std::vector<fer::Rect> part = detector.level_hits(photo, options, first, end);
        if (end == first) CHECK(part.empty());
        hits.insert(hits.end(), part.begin(), part.end());
        first = end;
    }
    const std::vector<fer::Detection> spread =
        fer::CascadeDetector::group_hits(hits, options.min_neighbors, photo.view().bounds());
    REQUIRE(spread.size() == whole.size());
    for (std::size_t i = 0; i < whole.size(); ++i) {
        CHECK(spread[i].box == whole[i].box);
        CHECK(spread[i].neighbors == whole[i].neighbors);
    }
    CHECK(detector.level_hits(photo, options, levels, levels + 3).empty());
    CHECK(detector.pyramid(20, 20, options).empty());
}

TEST_CASE("bad detection arguments give fer::error") {
    const std::string default_cascade = haar_dir + "haarcascade_frontalface_default.xml";
    if (!have(default_cascade)) {
        MESSAGE("skipped: needs opencv-data");
        return;
    }
    const fer::CascadeDetector detector(fer::load_cascade(default_cascade));
    const fer::Image image(64, 64, fer::PixelFormat::gray);
    fer::DetectionOptions o;
    o.scale_factor = 1.0;
    CHECK_THROWS_WITH_AS(detector.detect(image, o), doctest::Contains("scale factor"), fer::error);
    o = {};
    o.min_neighbors = -1;
    CHECK_THROWS_AS(detector.detect(image, o), fer::error);
    o = {};
    o.threads = 0;
    CHECK_THROWS_AS(detector.detect(image, o), fer::error);
    CHECK_THROWS_AS(detector.detect(fer::ImageView()), fer::error);
}

TEST_CASE("eyes give the roll angle of a face, and its mirror image the opposite angle") {
    const std::string face_cascade = haar_dir + "haarcascade_frontalface_default.xml";
    const std::string eye_cascade = haar_dir + "haarcascade_eye.xml";
    if (!have(face_cascade) || !have(eye_cascade) ||
        !std::filesystem::exists(test::sample_photo(3))) {
        MESSAGE("skipped: needs opencv-data and the sample photos");
        return;
    }
    const fer::CascadeDetector faces(fer::load_cascade(face_cascade));
    const fer::CascadeDetector eyes(fer::load_cascade(eye_cascade));
    const fer::Image gray = fer::to_gray(fer::load_image(test::sample_photo(3).string()));
    fer::Image mirrored(gray.width(), gray.height(), fer::PixelFormat::gray);
    for (int y = 0; y < gray.height(); ++y)
        for (int x = 0; x < gray.width(); ++x)
            mirrored.row(y)[gray.width() - 1 - x] = gray.row(y)[x];
    fer::DetectionOptions options;
    options.min_width = options.min_height = 150;  // the three large faces
    int with_eyes = 0;
    for (const fer::Detection& face : faces.detect(gray, options)) {
        const std::optional<fer::EyePair> pair = fer::find_eyes(eyes, gray, face.box);
        if (!pair) continue;
        ++with_eyes;
        INFO("face ", face.box.x, " ", face.box.y, " roll ", pair->roll_degrees);
        // Both eyes in the upper half of the face, left one on the left.
        CHECK(pair->left_x < pair->right_x);
        for (double y : {pair->left_y, pair->right_y}) {
            CHECK(y > face.box.y);
            CHECK(y < face.box.y + face.box.height / 2.0 + 1);
        }
        CHECK(std::abs(pair->roll_degrees) < 30);
        // The same face, mirrored: the angle changes sign.
        const fer::Rect flipped{gray.width() - face.box.right(), face.box.y, face.box.width,
                                face.box.height};
        const std::optional<fer::EyePair> mirror = fer::find_eyes(eyes, mirrored, flipped);
        REQUIRE(mirror.has_value());
        CHECK(std::abs(mirror->roll_degrees + pair->roll_degrees) < 4.0);
    }
    CHECK(with_eyes >= 2);
}

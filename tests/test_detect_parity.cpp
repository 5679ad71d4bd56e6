// Our detector next to OpenCV's CascadeClassifier on the same gray pixels with the same
// parameters. Built only where OpenCV is installed.
#include <fer/detect/detector.hpp>
#include <fer/fer.hpp>

#include <opencv2/core/utility.hpp>
#include <opencv2/objdetect.hpp>

#include <algorithm>
#include <filesystem>
#include <map>
#include <string>
#include <tuple>

#include "helpers.hpp"

namespace {

const std::string haar_dir = "/usr/share/opencv4/haarcascades/";
const std::string lbp_dir = "/usr/share/opencv4/lbpcascades/";

std::vector<std::filesystem::path> parity_photos() {
    std::vector<std::filesystem::path> photos;
    for (int i = 1; i <= 6; ++i)
        if (std::filesystem::exists(test::sample_photo(i))) photos.push_back(test::sample_photo(i));
    const std::filesystem::path astronaut =
        "/usr/lib/python3/dist-packages/skimage/data/astronaut.png";
    if (std::filesystem::exists(astronaut)) photos.push_back(astronaut);
    return photos;
}

using Key = std::tuple<int, int, int, int>;
std::map<Key, int> count_boxes(const std::vector<fer::Rect>& boxes) {
    std::map<Key, int> counts;
    for (const fer::Rect& r : boxes) ++counts[{r.x, r.y, r.width, r.height}];
    return counts;
}

struct Comparison {
    std::vector<fer::Rect> only_ours, only_opencv;  // raw hits found by one side only
    int grouped_ours = 0, grouped_opencv = 0, unmatched = 0;
};

Comparison compare(const fer::Image& gray, const std::string& cascade_path,
                   const fer::DetectionOptions& options) {
    cv::setNumThreads(1);
    const fer::CascadeDetector ours(fer::load_cascade(cascade_path));
    cv::CascadeClassifier theirs(cascade_path);
    REQUIRE_FALSE(theirs.empty());
    const cv::Mat pixels(gray.height(), gray.width(), CV_8UC1,
                         const_cast<std::uint8_t*>(gray.data()));
    const cv::Size min_size(options.min_width, options.min_height);

    Comparison c;
    fer::DetectionOptions raw = options;
    raw.min_neighbors = 0;
    std::vector<cv::Rect> cv_hits;
    theirs.detectMultiScale(pixels, cv_hits, options.scale_factor, 0, 0, min_size);
    std::vector<fer::Rect> cv_raw;
    for (const cv::Rect& r : cv_hits) cv_raw.push_back({r.x, r.y, r.width, r.height});
    const std::vector<fer::Rect> our_raw = ours.detect_hits(gray, raw);
    std::map<Key, int> a = count_boxes(our_raw), b = count_boxes(cv_raw);
    for (const auto& [k, n] : a)
        for (int i = b.count(k) ? b[k] : 0; i < n; ++i)
            c.only_ours.push_back({std::get<0>(k), std::get<1>(k), std::get<2>(k), std::get<3>(k)});
    for (const auto& [k, n] : b)
        for (int i = a.count(k) ? a[k] : 0; i < n; ++i)
            c.only_opencv.push_back(
                {std::get<0>(k), std::get<1>(k), std::get<2>(k), std::get<3>(k)});

    std::vector<cv::Rect> cv_boxes;
    std::vector<int> cv_neighbors;
    theirs.detectMultiScale(pixels, cv_boxes, cv_neighbors, options.scale_factor,
                            options.min_neighbors, 0, min_size);
    const std::vector<fer::Detection> our_boxes = ours.detect(gray, options);
    c.grouped_ours = int(our_boxes.size());
    c.grouped_opencv = int(cv_boxes.size());
    // Every box of each side has a partner on the other side with IoU >= 0.9.
    for (const cv::Rect& t : cv_boxes)
        c.unmatched +=
            std::none_of(our_boxes.begin(), our_boxes.end(), [&](const fer::Detection& d) {
                return fer::iou(d.box, {t.x, t.y, t.width, t.height}) >= 0.9;
            });
    for (const fer::Detection& d : our_boxes)
        c.unmatched += std::none_of(cv_boxes.begin(), cv_boxes.end(), [&](const cv::Rect& t) {
            return fer::iou(d.box, {t.x, t.y, t.width, t.height}) >= 0.9;
        });
    return c;
}

}  // namespace

// Full-resolution photos with the default cascade; the other cascades on half-size copies, which
// keeps the run short (OpenCV takes over a second per full-size photo and cascade).
TEST_CASE("the same raw hits and the same boxes as OpenCV, for every cascade, on real photos") {
    const std::vector<std::filesystem::path> photos = parity_photos();
    if (photos.empty()) {
        MESSAGE("skipped: no sample photos (run tools/fetch-assets.sh)");
        return;
    }
    const std::string face_cascades[] = {haar_dir + "haarcascade_frontalface_alt.xml",
                                         haar_dir + "haarcascade_frontalface_alt2.xml",
                                         haar_dir + "haarcascade_frontalface_alt_tree.xml",
                                         lbp_dir + "lbpcascade_frontalface_improved.xml"};
    // Tilted features, trees, non-square windows.
    const std::string other_cascades[] = {haar_dir + "haarcascade_smile.xml",
                                          haar_dir + "haarcascade_eye_tree_eyeglasses.xml",
                                          haar_dir + "haarcascade_upperbody.xml"};
    fer::DetectionOptions options;  // OpenCV's defaults: scale 1.1, 3 neighbours
    options.min_width = options.min_height = 30;
    int total_boxes = 0;
    for (std::size_t p = 0; p < photos.size(); ++p) {
        const fer::Image gray = fer::to_gray(fer::load_image(photos[p].string()));
        const fer::Image half = fer::resize_area(gray, gray.width() / 2, gray.height() / 2);
        std::vector<std::pair<const fer::Image*, std::string>> runs = {
            {&gray, haar_dir + "haarcascade_frontalface_default.xml"}};
        for (const std::string& c : face_cascades) runs.push_back({&half, c});
        if (p == 3)
            for (const std::string& c : other_cascades) runs.push_back({&half, c});
        for (const auto& [image, cascade] : runs) {
            INFO(photos[p].filename().string(), " (", image->width(), "x", image->height(),
                 ") with ", std::filesystem::path(cascade).filename().string());
            const Comparison c = compare(*image, cascade, options);
            CHECK(c.only_ours.empty());
            CHECK(c.only_opencv.empty());
            CHECK(c.grouped_ours == c.grouped_opencv);
            CHECK(c.unmatched == 0);
            total_boxes += c.grouped_ours;
        }
    }
    MESSAGE("compared ", total_boxes, " grouped boxes");
    CHECK(total_boxes > 50);  // the comparison saw real detections, not empty lists
}

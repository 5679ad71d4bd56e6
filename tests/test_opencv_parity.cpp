// Our image basics next to OpenCV's, on the same pixels. Built only when OpenCV is found (it is a
// test and benchmark dependency, never a library one).
#include <fer/fer.hpp>

#include <opencv2/imgproc.hpp>

#include "helpers.hpp"

namespace {

cv::Mat as_mat(const fer::Image& image) {
    return cv::Mat(image.height(), image.width(), image.channels() == 1 ? CV_8UC1 : CV_8UC3,
                   const_cast<std::uint8_t*>(image.data()), std::size_t(image.stride()));
}

int max_difference(const fer::Image& ours, const cv::Mat& theirs) {
    REQUIRE(theirs.cols == ours.width());
    REQUIRE(theirs.rows == ours.height());
    double worst = 0;
    cv::Mat diff;
    cv::absdiff(as_mat(ours), theirs, diff);
    cv::minMaxLoc(diff.reshape(1), nullptr, &worst);
    return int(worst);
}

fer::Image test_photo() {
    const std::filesystem::path photo = test::sample_photo(2);
    if (std::filesystem::exists(photo)) return fer::load_image(photo.string());
    return test::random_image(640, 480, fer::PixelFormat::rgb);
}

}  // namespace

TEST_CASE("gray conversion equals cv::cvtColor for every colour") {
    fer::Image all(4096, 4096, fer::PixelFormat::rgb);
    for (std::uint32_t i = 0; i < (1u << 24); ++i) {
        std::uint8_t* p = all.data() + std::size_t(i) * 3;
        p[0] = std::uint8_t(i >> 16), p[1] = std::uint8_t(i >> 8), p[2] = std::uint8_t(i);
    }
    cv::Mat theirs;
    cv::cvtColor(as_mat(all), theirs, cv::COLOR_RGB2GRAY);
    CHECK(max_difference(fer::to_gray(all), theirs) == 0);
    const fer::Image bgr = fer::convert(all, fer::PixelFormat::bgr);
    cv::cvtColor(as_mat(bgr), theirs, cv::COLOR_BGR2GRAY);
    CHECK(max_difference(fer::to_gray(bgr), theirs) == 0);
}

TEST_CASE("equalization equals cv::equalizeHist; integral sums equal cv::integral") {
    const fer::Image gray = fer::to_gray(test_photo());
    cv::Mat theirs;
    cv::equalizeHist(as_mat(gray), theirs);
    CHECK(max_difference(fer::equalize_histogram(gray), theirs) == 0);

    cv::Mat sum, sqsum;
    cv::integral(as_mat(gray), sum, sqsum, CV_32S, CV_64F);
    const fer::IntegralImages tables = fer::integral_images(gray);
    for (int y = 0; y <= gray.height(); y += 7)
        for (int x = 0; x <= gray.width(); x += 5) {
            REQUIRE(std::int32_t(tables.sum[y * tables.stride() + x]) ==
                    sum.at<std::int32_t>(y, x));
            REQUIRE(double(tables.sqsum[y * tables.stride() + x]) == sqsum.at<double>(y, x));
        }
}

TEST_CASE("bilinear resize equals cv::resize INTER_LINEAR; area resize is within one level") {
    INFO("seed ", test::seed());
    const fer::Image photo = test_photo();
    const fer::Image gray = fer::to_gray(photo);
    const int sizes[][2] = {{320, 213}, {97, 61},     {48, 48},  {1001, 777}, {13, 5},
                            {1, 1},     {2500, 1700}, {1920, 3}, {640, 640}};
    for (const auto& size : sizes) {
        INFO("size ", size[0], "x", size[1]);
        cv::Mat theirs;
        cv::resize(as_mat(photo), theirs, cv::Size(size[0], size[1]), 0, 0, cv::INTER_LINEAR);
        CHECK(max_difference(fer::resize_bilinear(photo, size[0], size[1]), theirs) == 0);
        cv::resize(as_mat(gray), theirs, cv::Size(size[0], size[1]), 0, 0, cv::INTER_LINEAR);
        CHECK(max_difference(fer::resize_bilinear(gray, size[0], size[1]), theirs) == 0);
        if (size[0] <= photo.width() &&
            size[1] <= photo.height()) {  // INTER_AREA is a box filter only when shrinking
            cv::resize(as_mat(gray), theirs, cv::Size(size[0], size[1]), 0, 0, cv::INTER_AREA);
            const int area = max_difference(fer::resize_area(gray, size[0], size[1]), theirs);
            CHECK(area <= 1);
        }
    }
}

TEST_CASE("halving equals cv::resize INTER_LINEAR, which averages 2 x 2 blocks there") {
    const fer::Image even = fer::crop(test_photo(), {0, 0, 640, 474});
    cv::Mat theirs;
    cv::resize(as_mat(even), theirs, cv::Size(320, 237), 0, 0, cv::INTER_LINEAR);
    CHECK(max_difference(fer::resize_bilinear(even, 320, 237), theirs) == 0);
}

TEST_CASE("the tilted integral equals cv::integral's") {
    const fer::Image gray = fer::resize_area(fer::to_gray(test_photo()), 333, 251);
    cv::Mat sum, sqsum, tilted;
    cv::integral(as_mat(gray), sum, sqsum, tilted, CV_32S, CV_64F);
    const std::vector<std::uint32_t> ours = fer::tilted_integral(gray);
    int mismatches = 0;
    for (int y = 0; y <= gray.height(); ++y)
        for (int x = 0; x <= gray.width(); ++x)
            mismatches += std::int32_t(ours[std::size_t(y) * (gray.width() + 1) + x]) !=
                          tilted.at<std::int32_t>(y, x);
    CHECK(mismatches == 0);
}

TEST_CASE("the detector's pyramid resize equals cv::resize INTER_LINEAR_EXACT") {
    const fer::Image gray = fer::to_gray(test_photo());
    for (const auto& size :
         {std::pair{1745, 1243}, std::pair{418, 297}, std::pair{97, 61}, std::pair{24, 24}}) {
        INFO("size ", size.first, "x", size.second);
        cv::Mat theirs;
        cv::resize(as_mat(gray), theirs, cv::Size(size.first, size.second), 0, 0,
                   cv::INTER_LINEAR_EXACT);
        CHECK(max_difference(fer::detail::resize_linear_exact(gray, size.first, size.second),
                             theirs) == 0);
    }
}

// Face crops to network inputs: colour, resize, mirror and normalization against plain formulas.
#include <fer/preprocess.hpp>

#include <cmath>

#include "helpers.hpp"

namespace {

// Half-pixel bilinear sample of channel c at output (y, x), written from the definition in
// double: position = (out + 0.5) * in / out - 0.5, clamped to the image.
double bilinear_reference(const fer::Image& src, int y, int x, int c, int out_h, int out_w) {
    auto axis = [](int o, int out, int in, int& a, int& b) {
        double p = (o + 0.5) * in / out - 0.5;
        p = std::min(std::max(p, 0.0), double(in - 1));
        a = int(std::floor(p));
        b = std::min(a + 1, in - 1);
        return p - a;
    };
    int y0, y1, x0, x1;
    const double fy = axis(y, out_h, src.height(), y0, y1);
    const double fx = axis(x, out_w, src.width(), x0, x1);
    auto px = [&](int yy, int xx) { return double(src.row(yy)[xx * src.channels() + c]); };
    return (1 - fy) * ((1 - fx) * px(y0, x0) + fx * px(y0, x1)) +
           fy * ((1 - fx) * px(y1, x0) + fx * px(y1, x1));
}

}  // namespace

TEST_CASE("face_pixels enlarges with half-pixel bilinear interpolation, mirrored on request") {
    INFO("seed ", test::seed());
    for (int trial = 0; trial < 20; ++trial) {
        const int w = test::uniform(1, 48), h = test::uniform(1, 48);
        const bool rgb = trial % 2 == 1;
        const fer::Image face =
            test::random_image(w, h, rgb ? fer::PixelFormat::rgb : fer::PixelFormat::gray);
        const fer::Shape shape{test::uniform(h, 65), test::uniform(w + 1, 65), rgb ? 3 : 1};
        INFO(w, "x", h, " into ", shape.width, "x", shape.height);
        fer::Tensor plain, mirrored;
        fer::face_pixels(face, shape, false, plain);
        fer::face_pixels(face, shape, true, mirrored);
        REQUIRE(plain.shape() == shape);
        double worst = 0, worst_mirror = 0;
        for (int y = 0; y < shape.height; ++y)
            for (int x = 0; x < shape.width; ++x)
                for (int c = 0; c < shape.channels; ++c) {
                    const double want =
                        bilinear_reference(face, y, x, c, shape.height, shape.width);
                    worst = std::max(worst, std::abs(plain.view().at(y, x, c) - want));
                    worst_mirror =
                        std::max(worst_mirror,
                                 std::abs(mirrored.view().at(y, shape.width - 1 - x, c) - want));
                }
        CHECK(worst < 1e-3);  // float arithmetic on 0-255 values
        CHECK(worst_mirror < 1e-3);
    }
}

TEST_CASE("face_pixels shrinks by area averaging and converts colour first") {
    INFO("seed ", test::seed());
    const fer::Image face = test::random_image(150, 130, fer::PixelFormat::bgr);
    fer::Tensor t;
    fer::face_pixels(face, fer::Shape{64, 64, 1}, false, t);
    const fer::Image expected = fer::resize_area(fer::to_gray(face), 64, 64);
    double worst = 0;
    for (int y = 0; y < 64; ++y)
        for (int x = 0; x < 64; ++x)
            worst = std::max(worst, std::abs(double(t.view().at(y, x, 0)) - expected.row(y)[x]));
    CHECK(worst == 0);

    // Gray into an RGB network: the same value in all three channels.
    const fer::Image gray = test::random_image(48, 48, fer::PixelFormat::gray);
    fer::face_pixels(gray, fer::Shape{112, 112, 3}, false, t);
    bool replicated = true;
    for (int y = 0; y < 112; ++y)
        for (int x = 0; x < 112; ++x)
            replicated = replicated && t.view().at(y, x, 0) == t.view().at(y, x, 1) &&
                         t.view().at(y, x, 1) == t.view().at(y, x, 2);
    CHECK(replicated);
}

TEST_CASE("make_input normalizes each channel with the network's scale and offsets") {
    fer::Image face(2, 1, fer::PixelFormat::rgb);
    const std::uint8_t pixels[] = {0, 128, 255, 10, 20, 30};
    std::copy(pixels, pixels + 6, face.data());
    const fer::NetworkInput input{fer::Shape{1, 2, 3}, 0.5f, {1.0f, -2.0f, 3.0f}};
    fer::Tensor t;
    fer::make_input(face, input, t);
    const float expected[] = {1.0f, 62.0f, 130.5f, 6.0f, 8.0f, 18.0f};
    for (int i = 0; i < 6; ++i) CHECK(t.data()[i] == expected[i]);
    fer::make_input(face, input, t, true);  // mirrored: the pixels swap places
    CHECK(t.data()[0] == expected[3]);
    CHECK(t.data()[5] == expected[2]);
    CHECK_THROWS_AS(fer::face_pixels(fer::ImageView(), fer::Shape{8, 8, 1}, false, t), fer::error);
    CHECK_THROWS_AS(fer::face_pixels(face, fer::Shape{8, 8, 2}, false, t), fer::error);
}

#include <fer/fer.hpp>

int sum_of_gray_b() {
    const fer::Image image(3, 3, fer::PixelFormat::bgr);
    return fer::integral_images(fer::to_gray(image)).rect_sum({0, 0, 3, 3});
}

// fer.hpp included in two translation units of one program must link (no duplicate symbols).
#include <fer/fer.hpp>

int sum_of_gray_b();

int main() {
    const fer::Image image(4, 4, fer::PixelFormat::rgb);
    const int a = fer::to_gray(image).data()[0];
    return a + sum_of_gray_b() == 0 ? 0 : 1;
}

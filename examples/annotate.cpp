// Loads a photo, draws a labelled box and a shrunken gray copy in a corner, and saves the result.
//
//   example_annotate photo.jpg annotated.png
#include <fer/fer.hpp>

#include <cstdio>

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: %s INPUT_IMAGE OUTPUT.png\n", argv[0]);
        return 2;
    }
    try {
        fer::Image photo = fer::load_image(argv[1]);

        // A quarter-size gray thumbnail, contrast-equalized, pasted into the top-left corner.
        const fer::Image gray = fer::to_gray(photo);
        const fer::Image thumb = fer::convert(
            fer::equalize_histogram(fer::resize_area(gray, gray.width() / 4, gray.height() / 4)),
            fer::PixelFormat::rgb);
        for (int y = 0; y < thumb.height(); ++y)
            std::copy(thumb.row(y), thumb.row(y) + thumb.stride(), photo.row(y));

        const fer::Rect centre{photo.width() / 3, photo.height() / 3, photo.width() / 3,
                               photo.height() / 3};
        fer::draw_rectangle(photo.mutable_view(), centre, {0, 200, 0}, 4);
        fer::draw_label(photo.mutable_view(), centre, "centre third", {0, 200, 0}, {255, 255, 255},
                        3);
        fer::save_image(argv[2], photo);
    } catch (const fer::error& e) {
        std::fprintf(stderr, "error: %s\n", e.what());
        return 1;
    }
    return 0;
}

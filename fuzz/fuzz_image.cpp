// libFuzzer target: image files through fer's decoding wrapper (format sniffing, completeness
// checks, size limits, then stb_image), as rgb and as gray.
#include <fer/io.hpp>

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    for (const fer::PixelFormat format : {fer::PixelFormat::rgb, fer::PixelFormat::gray}) {
        try {
            const fer::Image image = fer::decode_image(data, size, format);
            // A decoded image is whole: its last pixel is readable.
            volatile std::uint8_t last = image.row(image.height() - 1)[image.stride() - 1];
            (void)last;
        } catch (const fer::error&) {
        }
    }
    return 0;
}

// libFuzzer target: cascade XML. Parse the text into a cascade and, when it loads, detect on a
// small picture with it, since a cascade that passes the load-time checks must be safe to run.
#include <fer/detect/cascade.hpp>
#include <fer/detect/detector.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        const fer::Cascade cascade =
            fer::parse_cascade(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz");
        static const fer::Image picture = [] {
            fer::Image p(48, 40, fer::PixelFormat::gray);
            for (int y = 0; y < p.height(); ++y)
                for (int x = 0; x < p.width(); ++x)
                    p.row(y)[x] = std::uint8_t((x * 37 + y * 91 + (x * y) % 29) & 0xff);
            return p;
        }();
        const fer::CascadeDetector detector(cascade);
        detector.detect(picture);
    } catch (const fer::error&) {
    }
    return 0;
}

// libFuzzer target: Y4M streams. Read the header and up to four frames.
#include <fer/video/y4m.hpp>

#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
        fer::Y4mReader reader(in);
        fer::Image frame;
        for (int n = 0; n < 4 && reader.read(frame); ++n) {
        }
    } catch (const fer::error&) {
    }
    return 0;
}

// Shared test helpers: seeded random inputs, data locations, brute-force comparisons.
#pragma once

#include <fer/image.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>

namespace test {

// A fresh seed per run (override with FER_TEST_SEED=N to replay a failure); every test that
// draws random inputs logs its seed so a failure can be reproduced.
inline std::uint32_t seed() {
    static const std::uint32_t value = [] {
        if (const char* env = std::getenv("FER_TEST_SEED"))
            return std::uint32_t(std::strtoul(env, nullptr, 10));
        return std::uint32_t(std::random_device{}());
    }();
    return value;
}

inline std::mt19937& rng() {
    static std::mt19937 engine(seed());
    return engine;
}

inline int uniform(int lo, int hi) {
    return std::uniform_int_distribution<int>(lo, hi)(rng());
}

inline fer::Image random_image(int width, int height, fer::PixelFormat format) {
    fer::Image image(width, height, format);
    for (int y = 0; y < height; ++y)
        for (std::ptrdiff_t i = 0; i < image.stride(); ++i)
            image.row(y)[i] = std::uint8_t(uniform(0, 255));
    return image;
}

// A view of `image` with padding between rows, to exercise stride handling: the pixels are copied
// into `storage` with `pad` extra bytes per row.
inline fer::ImageView padded_view(const fer::Image& image, std::vector<std::uint8_t>& storage,
                                  int pad) {
    const std::ptrdiff_t stride = image.stride() + pad;
    storage.assign(std::size_t(stride) * image.height(), 0xAB);
    for (int y = 0; y < image.height(); ++y)
        std::copy(image.row(y), image.row(y) + image.stride(), storage.data() + y * stride);
    return fer::ImageView(storage.data(), image.width(), image.height(), image.format(), stride);
}

// Data shipped by tools/fetch-assets.sh (assets/) and the workspace's ../shared folder. Tests
// that need them skip with a message when they are absent.
inline std::filesystem::path assets_dir() {
    return FER_TEST_ASSETS_DIR;
}
inline std::filesystem::path sample_photo(int n) {
    return assets_dir() / "face-api" / ("sample" + std::to_string(n) + ".jpg");
}

}  // namespace test

#define FER_SKIP_UNLESS_EXISTS(path)                                                          \
    do {                                                                                      \
        if (!std::filesystem::exists(path)) {                                                 \
            MESSAGE("skipped: ", (path).string(), " is missing (run tools/fetch-assets.sh)"); \
            return;                                                                           \
        }                                                                                     \
    } while (false)

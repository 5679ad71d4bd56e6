// Uses the installed headers and the linked stb: encodes, decodes and draws.
#include <fer/fer.hpp>

#include <cstdio>

int main() {
    fer::Image image(32, 16, fer::PixelFormat::rgb);
    fer::draw_label(image.mutable_view(), {2, 2, 20, 10}, "ok", {0, 200, 0});
    const fer::Image back = fer::decode_image(fer::encode_png(image));
    const bool same =
        back.width() == 32 && std::equal(back.data(), back.data() + 32 * 16 * 3, image.data());
    std::printf("consumer: fer %s, round trip %s\n", FER_VERSION_STRING, same ? "ok" : "FAILED");
    return same ? 0 : 1;
}

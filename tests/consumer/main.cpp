// Uses the installed headers and the linked stb the way a user would, compiled for the compiler's
// default target (no -march): encodes, decodes and draws, and runs a depthwise layer, whose
// kernels for wider vector units must still compile there (they carry their own targets).
#include <fer/fer.hpp>

#include <algorithm>
#include <cstdio>

namespace {

// A 3x3 depthwise layer of ones over ones: 9 inside, 4 in a corner (zero padding).
bool depthwise_sums() {
    fer::DepthwiseConv2D dw;
    dw.channels = 16;
    dw.weights.assign(9 * 16, 1.0f);
    dw.bias.assign(16, 0.0f);
    fer::Tensor in({12, 12, 16});
    std::fill(in.data(), in.data() + in.size(), 1.0f);
    fer::Tensor out(dw.output_shape(in.shape()));
    fer::LayerContext context;
    dw.forward(in, out.mutable_view(), context);
    return out.view().at(5, 5, 3) == 9.0f && out.view().at(0, 0, 15) == 4.0f;
}

}  // namespace

int main() {
    fer::Image image(32, 16, fer::PixelFormat::rgb);
    fer::draw_label(image.mutable_view(), {2, 2, 20, 10}, "ok", {0, 200, 0});
    const fer::Image back = fer::decode_image(fer::encode_png(image));
    const bool same =
        back.width() == 32 && std::equal(back.data(), back.data() + 32 * 16 * 3, image.data());
    const bool sums = depthwise_sums();
    std::printf("consumer: fer %s, round trip %s, depthwise %s\n", FER_VERSION_STRING,
                same ? "ok" : "FAILED", sums ? "ok" : "FAILED");
    return same && sums ? 0 : 1;
}

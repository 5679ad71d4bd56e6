// Writes the fuzzers' seed corpora: small valid inputs of every kind made from real data (a
// sample photo's pixels, a small network in the shipped models' layer vocabulary, a cascade in
// OpenCV's format), next to which tools/fuzz.sh copies real files (shipped models, OpenCV's
// smaller cascades).
//   fuzz_seeds PHOTO OUT_DIR   -> OUT_DIR/{model,cascade,image,y4m}/...
#include <fer/fer.hpp>

#include <cstdio>
#include <filesystem>
#include <random>
#include <sstream>

namespace {

void write(const std::filesystem::path& path, const std::string& bytes) {
    fer::write_file(path.string(), std::vector<std::uint8_t>(bytes.begin(), bytes.end()));
}

std::vector<float> values(std::size_t n, std::mt19937& rng) {
    std::uniform_real_distribution<float> d(-0.5f, 0.5f);
    std::vector<float> v(n);
    for (float& x : v) x = d(rng);
    return v;
}

fer::Conv2D conv(int k, int stride, int cin, int cout, std::mt19937& rng) {
    fer::Conv2D c;
    c.kernel_h = c.kernel_w = k;
    c.stride_h = c.stride_w = stride;
    c.in_channels = cin, c.out_channels = cout, c.activation = fer::Activation::relu;
    c.weights = values(std::size_t(k) * k * cin * cout, rng);
    c.bias = values(std::size_t(cout), rng);
    return c;
}

// Every layer kind the model files hold, on an 8 x 8 gray input: convolutions (one with more
// than min_int8_depth taps, so that it has an int8 form), depthwise, pooling, a residual add,
// global pooling, dense, softmax.
fer::Network tiny_network() {
    std::mt19937 rng(7);
    fer::Network net;
    net.set_input({fer::Shape{8, 8, 1}, 1.0f / 255.0f, {-0.5f}});
    net.add(conv(3, 1, 1, 8, rng), {-1});
    fer::DepthwiseConv2D dw;
    dw.channels = 8;
    dw.weights = values(72, rng);
    dw.bias = values(8, rng);
    net.add(dw, {0});
    net.add(conv(3, 1, 8, 8, rng), {1});
    net.add(fer::AddLayer{fer::Activation::relu}, {0, 2});
    fer::Pool2D pool;
    net.add(pool, {3});
    net.add(fer::GlobalAveragePool{}, {4});
    fer::Dense dense;
    dense.inputs = 8, dense.outputs = 7;
    dense.weights = values(56, rng);
    dense.bias = values(7, rng);
    net.add(dense, {5});
    net.add(fer::SoftmaxLayer{}, {6});
    net.labels = {"angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"};
    net.info["name"] = "fuzz seed";
    return net;
}

// Two stages on a 6 x 6 window: a stump on an upright two-rectangle feature and a stump on a
// tilted one (OpenCV's format, as in haarcascade_*.xml).
const char* tiny_cascade =
    "<?xml version=\"1.0\"?>\n<opencv_storage>\n"
    "<cascade type_id=\"opencv-cascade-classifier\"><stageType>BOOST</stageType>\n"
    "<featureType>HAAR</featureType><height>6</height><width>6</width>\n"
    "<stageParams><maxWeakCount>1</maxWeakCount></stageParams>\n"
    "<featureParams><maxCatCount>0</maxCatCount></featureParams>\n"
    "<stageNum>2</stageNum><stages>\n"
    "<_><maxWeakCount>1</maxWeakCount><stageThreshold>-0.5</stageThreshold><weakClassifiers>\n"
    "<_><internalNodes>0 -1 0 0.15</internalNodes><leafValues>-1. 1.</leafValues></_>\n"
    "</weakClassifiers></_>\n"
    "<_><maxWeakCount>1</maxWeakCount><stageThreshold>-0.5</stageThreshold><weakClassifiers>\n"
    "<_><internalNodes>0 -1 1 -0.05</internalNodes><leafValues>1. -1.</leafValues></_>\n"
    "</weakClassifiers></_></stages>\n"
    "<features><_><rects><_>0 0 6 3 -1.</_><_>0 3 6 3 2.</_></rects></_>\n"
    "<_><rects><_>3 0 2 2 -1.</_><_>3 1 1 1 2.</_></rects><tilted>1</tilted></_></features>\n"
    "</cascade>\n</opencv_storage>\n";

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: fuzz_seeds PHOTO OUT_DIR\n");
        return 2;
    }
    try {
        namespace fs = std::filesystem;
        const fs::path out = argv[2];
        for (const char* kind : {"model", "cascade", "image", "y4m"})
            fs::create_directories(out / kind);

        fer::Network net = tiny_network();
        fer::write_file((out / "model" / "tiny-fp32.gguf").string(), fer::save_network(net));
        std::vector<fer::Tensor> faces(2, fer::Tensor(net.input().shape));
        for (std::int64_t i = 0; i < faces[1].size(); ++i) faces[1].data()[i] = float(i % 7) / 7;
        fer::calibrate_int8(net, faces);
        fer::write_file((out / "model" / "tiny-int8.gguf").string(), fer::save_network(net, true));
        write(out / "cascade" / "tiny-haar.xml", tiny_cascade);

        // The photo, shrunk: a real picture's statistics in a few hundred bytes.
        const fer::Image photo = fer::load_image(argv[1]);
        const fer::Image small = fer::resize_area(photo, 24, 16);
        fer::write_file((out / "image" / "photo.png").string(), fer::encode_png(small));
        fer::write_file((out / "image" / "photo.jpg").string(), fer::encode_jpeg(small, 80));
        fer::write_file((out / "image" / "gray.png").string(),
                        fer::encode_png(fer::to_gray(small)));
        std::string pgm = "P5\n24 16\n255\n";
        const fer::Image gray = fer::to_gray(small);
        pgm.append(reinterpret_cast<const char*>(gray.data()), 24 * 16);
        write(out / "image" / "photo.pgm", pgm);

        std::ostringstream clip;
        fer::Y4mWriter writer(clip, 15, 9, 25, 1);  // odd sizes: rounded-up chroma planes
        writer.write(fer::resize_area(photo, 15, 9));
        writer.write(fer::resize_area(photo, 15, 9));
        write(out / "y4m" / "photo-420.y4m", clip.str());
        std::string mono = "YUV4MPEG2 W12 H8 F30000:1001 Cmono\nFRAME\n";
        const fer::Image mono_frame = fer::to_gray(fer::resize_area(photo, 12, 8));
        mono.append(reinterpret_cast<const char*>(mono_frame.data()), 96);
        write(out / "y4m" / "photo-mono.y4m", mono);
    } catch (const fer::error& e) {
        std::fprintf(stderr, "fuzz_seeds: %s\n", e.what());
        return 1;
    }
    return 0;
}

// Threads sharing one detector, network, recognizer or tracker get the answers one thread gets.
// Kept small (photos reduced, few rounds) so that the ThreadSanitizer build can run this file
// alone in a few minutes (tools/sanitize.sh tsan).
#include <fer/fer.hpp>

#include <chrono>
#include <memory>
#include <thread>

#include "helpers.hpp"

namespace {

// sample3.jpg reduced to `width` pixels wide: three faces and two cascade false positives.
fer::Image small_photo(int width) {
    const fer::Image photo = fer::load_image(test::sample_photo(3).string());
    return fer::resize_area(photo, width, photo.height() * width / photo.width());
}

std::shared_ptr<const fer::Recognizer> default_recognizer() {
    try {
        return std::make_shared<const fer::Recognizer>(fer::Recognizer::with_defaults());
    } catch (const fer::error& e) {
        MESSAGE("skipped: ", e.what());
        return nullptr;
    }
}

bool same_faces(const std::vector<fer::FaceResult>& a, const std::vector<fer::FaceResult>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (a[i].box != b[i].box || a[i].probabilities != b[i].probabilities) return false;
    return true;
}

// A source of `count` 8x4 gray frames, each filled with its own number, as fast as it can go.
class CountingSource : public fer::FrameSource {
  public:
    CountingSource(int count, bool fail_at_end) : count_(count), fail_at_end_(fail_at_end) {}
    bool read(fer::Image& frame) override {
        if (made_ == count_) {
            if (fail_at_end_) fer::detail::fail("counting source: the camera went away");
            return false;
        }
        frame.reset(8, 4, fer::PixelFormat::gray);
        std::fill(frame.data(), frame.data() + 32, std::uint8_t(made_++));  // count < 256
        return true;
    }
    int width() const override { return 8; }
    int height() const override { return 4; }
    double frames_per_second() const override { return 0; }
    bool live() const override { return true; }
    std::string description() const override { return "counting"; }

  private:
    int count_, made_ = 0;
    bool fail_at_end_;
};

}  // namespace

TEST_CASE("one detector shared by several threads gives every thread the same answer") {
    FER_SKIP_UNLESS_EXISTS(test::sample_photo(3));
    const fer::CascadeDetector detector(fer::load_cascade(fer::default_face_cascade_path()));
    const fer::Image gray = fer::to_gray(small_photo(480));
    const std::vector<fer::Detection> expected = detector.detect(gray);
    REQUIRE(!expected.empty());
    std::vector<int> mismatches(3, 0);
    std::vector<std::thread> threads;
    for (int t = 0; t < 3; ++t)
        threads.emplace_back([&, t] {
            fer::DetectionOptions options;
            options.threads = 1 + t % 2;  // some calls split their own levels over two workers
            for (int run = 0; run < 2; ++run) {
                const std::vector<fer::Detection> got = detector.detect(gray, options);
                bool same = got.size() == expected.size();
                for (std::size_t i = 0; same && i < got.size(); ++i)
                    same =
                        got[i].box == expected[i].box && got[i].neighbors == expected[i].neighbors;
                mismatches[std::size_t(t)] += !same;
            }
        });
    for (std::thread& t : threads) t.join();
    for (int m : mismatches) CHECK(m == 0);
}

TEST_CASE("a network shared by threads, each with its workspace, gives one thread's answers") {
    fer::Network net;
    try {
        net = fer::load_network(fer::shipped_model_path("human-emotion-int8.gguf"));
    } catch (const fer::error& e) {
        MESSAGE("skipped: ", e.what());
        return;
    }
    std::vector<fer::Tensor> inputs;
    std::vector<std::vector<float>> expected;
    fer::Network::Workspace ws;
    for (int i = 0; i < 4; ++i) {
        inputs.emplace_back(net.input().shape);
        for (std::int64_t k = 0; k < inputs.back().size(); ++k)
            inputs.back().data()[k] = float(test::uniform(-100, 100)) / 100.0f;
        const fer::Tensor& out = net.forward(inputs.back(), ws, fer::Precision::int8);
        expected.emplace_back(out.data(), out.data() + out.size());
    }
    std::vector<int> mismatches(3, 0);
    std::vector<std::thread> threads;
    for (int t = 0; t < 3; ++t)
        threads.emplace_back([&, t] {
            fer::Network::Workspace mine;
            for (std::size_t i = 0; i < inputs.size(); ++i) {
                const std::size_t k = (i + std::size_t(t)) % inputs.size();
                const fer::Tensor& out = net.forward(inputs[k], mine, fer::Precision::int8);
                mismatches[std::size_t(t)] +=
                    !std::equal(expected[k].begin(), expected[k].end(), out.data());
            }
        });
    for (std::thread& t : threads) t.join();
    for (int m : mismatches) CHECK(m == 0);
}

TEST_CASE("a recognizer shared by threads, and its batch form, give one thread's answers") {
    FER_SKIP_UNLESS_EXISTS(test::sample_photo(3));
    const auto recognizer = default_recognizer();
    if (!recognizer) return;
    const std::vector<fer::Image> photos{small_photo(400), small_photo(480)};
    fer::Recognizer::Workspace ws;
    std::vector<std::vector<fer::FaceResult>> expected;
    for (const fer::Image& p : photos) expected.push_back(recognizer->recognize(p, ws));
    REQUIRE(expected[0].size() >= 3);
    std::vector<int> mismatches(2, 0);
    std::vector<std::thread> threads;
    for (int t = 0; t < 2; ++t)
        threads.emplace_back([&, t] {
            fer::Recognizer::Workspace mine;
            for (std::size_t i = 0; i < photos.size(); ++i) {
                const std::size_t k = (i + std::size_t(t)) % photos.size();
                mismatches[std::size_t(t)] +=
                    !same_faces(recognizer->recognize(photos[k], mine), expected[k]);
            }
        });
    for (std::thread& t : threads) t.join();
    for (int m : mismatches) CHECK(m == 0);
    const auto batch = recognizer->recognize_batch({photos[0], photos[1]}, 2);
    REQUIRE(batch.size() == 2);
    for (std::size_t i = 0; i < 2; ++i) CHECK(same_faces(batch[i], expected[i]));
}

TEST_CASE("a tracker with two workers gives the answers of one") {
    FER_SKIP_UNLESS_EXISTS(test::sample_photo(3));
    const auto recognizer = default_recognizer();
    if (!recognizer) return;
    const fer::Image scene = small_photo(400);
    fer::TrackerOptions two_workers;
    two_workers.threads = 2;  // the full search split by pyramid level, faces classified apart
    two_workers.detect_interval = 3;
    fer::TrackerOptions one_worker = two_workers;
    one_worker.threads = 1;
    fer::FaceTracker one(recognizer, one_worker), two(recognizer, two_workers);
    for (int t = 0; t < 6; ++t) {
        const fer::Image frame = fer::crop(scene, {t, t / 2, 360, 200});
        const std::vector<fer::TrackedFace> a = one.process(frame);
        const std::vector<fer::TrackedFace>& b = two.process(frame);
        REQUIRE(a.size() == b.size());
        CHECK(!a.empty());
        for (std::size_t k = 0; k < a.size(); ++k) {
            CHECK(a[k].id == b[k].id);
            CHECK(a[k].box == b[k].box);
            CHECK(a[k].probabilities == b[k].probabilities);
        }
    }
}

TEST_CASE("LatestFrameReader: newest frames in order, the rest counted as dropped") {
    for (const bool fail_at_end : {false, true}) {
        CAPTURE(fail_at_end);
        fer::LatestFrameReader reader(std::make_unique<CountingSource>(250, fail_at_end));
        CHECK(reader.live());
        fer::Image frame;
        int last = -1;
        std::int64_t returned = 0;
        bool failed = false;
        try {
            while (reader.read(frame)) {
                CHECK(int(frame.data()[0]) > last);  // never an old or repeated frame
                last = frame.data()[0];
                ++returned;
                std::this_thread::sleep_for(std::chrono::microseconds(300));  // a slow consumer
            }
        } catch (const fer::error& e) {
            failed = true;
            CHECK(std::string(e.what()).find("camera went away") != std::string::npos);
        }
        CHECK(failed == fail_at_end);
        CHECK(last == 249);  // the newest frame is never dropped
        CHECK(returned == reader.delivered());
        CHECK(reader.delivered() + reader.dropped() == 250);
        CHECK(reader.dropped() > 0);  // the consumer is slower than the source
    }
}

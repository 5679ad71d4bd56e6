// Heap allocations per call after warm-up, counted by replacing the global operator new (this
// program only). The engine reuses its workspaces: a network's forward pass and a face crop's
// classification (preprocessing, every ensemble member, mirrored passes) allocate nothing once
// warm.
#include <fer/fer.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <new>

#include "helpers.hpp"

namespace {

std::atomic<long> allocations{0};

void* counted_allocation(std::size_t size, std::size_t alignment = 0) {
    ++allocations;
    void* p = nullptr;
    if (alignment > alignof(std::max_align_t)) {
        if (posix_memalign(&p, alignment, size == 0 ? 1 : size) != 0) p = nullptr;
    } else {
        p = std::malloc(size == 0 ? 1 : size);
    }
    if (p == nullptr) throw std::bad_alloc();
    return p;
}

// Allocations made by `call` (run after `warm_up` calls of it).
template <class Call>
long allocations_of(Call&& call, int warm_up = 2) {
    for (int i = 0; i < warm_up; ++i) call();
    const long before = allocations.load();
    call();
    return allocations.load() - before;
}

std::filesystem::path weights(const std::string& file) {
    return std::filesystem::path(FER_WEIGHTS_DIR) / file;
}

// Sample photo 1 at half size (960 x 640: still over BlazeFace's second-scale threshold, with a
// quarter of the full photo's detector work, which counts under qemu), or random RGB pixels of
// the given size where the samples are missing.
fer::Image sample_or_random(int width, int height) {
    const std::filesystem::path path = test::sample_photo(1);
    if (!std::filesystem::exists(path))
        return test::random_image(width, height, fer::PixelFormat::rgb);
    const fer::Image photo = fer::load_image(path.string());
    return fer::resize_area(photo.view(), photo.width() / 2, photo.height() / 2);
}

}  // namespace

void* operator new(std::size_t size) {
    return counted_allocation(size);
}
void* operator new[](std::size_t size) {
    return counted_allocation(size);
}
void* operator new(std::size_t size, std::align_val_t a) {
    return counted_allocation(size, std::size_t(a));
}
void* operator new[](std::size_t size, std::align_val_t a) {
    return counted_allocation(size, std::size_t(a));
}
void operator delete(void* p) noexcept {
    std::free(p);
}
void operator delete[](void* p) noexcept {
    std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
    std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
    std::free(p);
}
void operator delete(void* p, std::align_val_t) noexcept {
    std::free(p);
}
void operator delete[](void* p, std::align_val_t) noexcept {
    std::free(p);
}
void operator delete(void* p, std::size_t, std::align_val_t) noexcept {
    std::free(p);
}
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept {
    std::free(p);
}

TEST_CASE("the counting allocator sees allocations") {
    // Kept in a global so that the compiler cannot drop the allocations.
    static std::unique_ptr<std::vector<int>> kept;
    CHECK(allocations_of([] { kept = std::make_unique<std::vector<int>>(100); }) == 2);
    kept.reset();
}

TEST_CASE("a warm network's forward pass allocates nothing (every shipped model, fp32 and int8)") {
    int models = 0;
    for (const char* file : {"human-emotion-int8.gguf", "faceapi-expression-int8.gguf",
                             "xception-int8.gguf", "blazeface.gguf"}) {
        const fer::Network net = fer::load_network(weights(file).string());
        fer::Tensor input(net.input().shape);
        for (std::int64_t i = 0; i < input.size(); ++i) input.data()[i] = float(i % 13) / 13.0f;
        fer::Network::Workspace ws;
        INFO(file);
        CHECK(allocations_of([&] { net.forward(input, ws); }) == 0);
        if (net.supports_int8())
            CHECK(allocations_of([&] { net.forward(input, ws, fer::Precision::int8); }) == 0);
        ++models;
    }
    CHECK(models == 4);
}

TEST_CASE("classifying a face crop allocates nothing once warm (each level, mirrored too)") {
    const fer::Image face = test::random_image(150, 130, fer::PixelFormat::rgb);
    for (const fer::Level level : {fer::Level::fast, fer::Level::balanced, fer::Level::best}) {
        const fer::ExpressionClassifier classifier =
            fer::ExpressionClassifier::load({fer::default_model_path(level)});
        fer::ExpressionClassifier::Workspace ws;
        INFO(fer::level_name(level));
        CHECK(allocations_of([&] { classifier.classify(face.view(), ws, true); }) == 0);
    }
}

TEST_CASE(
    "BlazeFace detection allocates only the list it returns once warm (two passes, two "
    "scales)") {
    // A photo large enough for the second scale.
    const fer::Image photo = sample_or_random(1000, 700);
    REQUIRE(std::max(photo.width(), photo.height()) >= fer::BlazeFaceOptions{}.second_scale_from);
    const fer::BlazeFaceDetector detector(fer::load_network(weights("blazeface.gguf").string()));
    fer::BlazeFaceDetector::Workspace ws;
    std::size_t faces = 0;
    const long count = allocations_of([&] { faces = detector.detect(photo.view(), ws).size(); });
    INFO(faces, " faces");
    CHECK(count <= 1);
    fer::BlazeFaceOptions one_pass;
    one_pass.mirror = false;
    CHECK(allocations_of([&] { detector.detect(photo.view(), ws, one_pass); }) <= 1);
}

TEST_CASE(
    "a warm Haar detection allocates only the list it returns; recognize() with Haar a few per "
    "face") {
    const fer::Image photo = sample_or_random(640, 480);
    const fer::CascadeDetector faces(fer::load_cascade(fer::default_face_cascade_path()));
    std::size_t found = 0;
    INFO("colour picture (converted to gray in the workspace)");
    CHECK(allocations_of([&] { found = faces.detect(photo.view()).size(); }) <= 1);
    const fer::Image gray = fer::to_gray(photo.view());
    CHECK(allocations_of([&] { faces.detect(gray.view()); }) <= 1);

    const fer::Recognizer recognizer = fer::Recognizer::with_defaults(
        {}, fer::Precision::fp32, fer::default_level, fer::DetectorKind::haar);
    fer::Recognizer::Workspace ws;
    std::size_t recognized = 0;
    const long count =
        allocations_of([&] { recognized = recognizer.recognize(photo.view(), ws).size(); });
    INFO(found, " faces found, ", recognized, " recognized");
    // The result lists, and per face its crop and the eye search's list.
    CHECK(count <= 8 + 2 * long(recognized));
}

// fer/limits.hpp - every hard limit of the library, in one place.
//
// Inputs come from strangers (photos, model files, cascade files, video streams). Each limit below
// is checked before anything of that size is allocated, and breaking it throws fer::error naming
// the limit. The values are generous for real use and small enough that a hostile header cannot
// make the library allocate more than a few hundred megabytes.
#pragma once

#include <cstdint>

#include "error.hpp"

namespace fer::limits {

// Longest image side in pixels, for decoded files and for caller buffers alike.
inline constexpr int max_image_side = 16384;
// Most pixels in one image (width * height): 64 megapixels, 192 MiB as RGB.
inline constexpr std::int64_t max_image_pixels = std::int64_t{1} << 26;
// Largest encoded image file read from disk.
inline constexpr std::int64_t max_image_file_bytes = std::int64_t{256} << 20;

// Cascade files (OpenCV's XML): the file, the XML tree, and the classifier inside it.
inline constexpr std::int64_t max_cascade_file_bytes = std::int64_t{32} << 20;
inline constexpr int max_xml_depth = 32;
inline constexpr std::int64_t max_xml_elements = 1'000'000;
inline constexpr int max_cascade_window_side = 256;
inline constexpr int max_cascade_stages = 1000;
inline constexpr int max_cascade_trees = 100'000;
inline constexpr int max_cascade_nodes_per_tree = 64;
inline constexpr int max_cascade_features = 200'000;

// Model files (GGUF): the file, its metadata and its tensors.
inline constexpr std::int64_t max_model_file_bytes = std::int64_t{512} << 20;
inline constexpr std::int64_t max_model_tensors = 10'000;
inline constexpr std::int64_t max_model_metadata_entries = 10'000;
inline constexpr std::int64_t max_model_string_bytes = std::int64_t{1} << 20;
inline constexpr std::int64_t max_model_array_elements = std::int64_t{1} << 24;
inline constexpr int max_model_tensor_dims = 4;

// Networks (from model files or built in code): layers, tensor sizes, windows. A tensor of 2^26
// floats (256 MiB) is far beyond any face model's activations.
inline constexpr int max_network_layers = 1000;
inline constexpr int max_ensemble_members = 16;  // models one ensemble file names
inline constexpr int max_network_input_side = 4096;
inline constexpr int max_layer_channels = 4096;
inline constexpr std::int64_t max_tensor_elements = std::int64_t{1} << 26;
inline constexpr int max_kernel_side = 64;
inline constexpr int max_stride = 16;

// Worker threads one call may start (detection, batch recognition, the video tracker).
inline constexpr int max_threads = 256;

// Video streams (Y4M, cameras): frames obey the image limits above; header lines are short.
inline constexpr int max_y4m_header_bytes = 4096;
inline constexpr int max_camera_side = 8192;

}  // namespace fer::limits

namespace fer::detail {

// Throws: fer::error("<what>: expected 1 to max_threads, found <threads>") when out of range.
inline void check_thread_count(const char* what, int threads) {
    if (threads < 1 || threads > limits::max_threads)
        fail(what, concat("1 to ", limits::max_threads), threads);
}

}  // namespace fer::detail

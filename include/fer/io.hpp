// fer/io.hpp - reading and writing image files.
//
// Decoding and encoding go through stb_image and stb_image_write, whose compiled code comes from
// Debian's libstb (the fer::fer CMake target and fer.pc link it). Before stb sees a byte, fer
//   - accepts only JPEG, PNG, BMP and binary PGM/PPM (P5/P6), recognized by their magic bytes, so
//     stb's rarer and less hardened decoders (GIF, PSD, HDR, PIC, TGA) are never reached;
//   - reads the header's dimensions and enforces fer/limits.hpp before any pixel allocation;
//   - rejects truncated files (JPEG streams without their end-of-image marker, PNGs without IEND,
//     BMPs and PGM/PPMs shorter than their pixel arrays), which stb would otherwise decode into
//     silently grey or black pixels.
// Every failure throws fer::error with a one-line reason (for files: the path, then the reason).
#pragma once

#include <cctype>
#include <climits>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#if __has_include(<stb/stb_image.h>)
#include <stb/stb_image.h>
#include <stb/stb_image_write.h>
#else
#include <stb_image.h>
#include <stb_image_write.h>
#endif

#include "error.hpp"
#include "file.hpp"
#include "image.hpp"
#include "imgproc.hpp"
#include "limits.hpp"

namespace fer {

enum class ImageFileFormat { jpeg, png, bmp, pnm, unknown };

// The format of an encoded image, recognized by its first bytes (unknown for anything else).
inline ImageFileFormat sniff_image_format(const std::uint8_t* data, std::size_t size) {
    static const std::uint8_t png_magic[8] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
    if (size >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF)
        return ImageFileFormat::jpeg;
    if (size >= 8 && std::memcmp(data, png_magic, 8) == 0) return ImageFileFormat::png;
    if (size >= 2 && data[0] == 'B' && data[1] == 'M') return ImageFileFormat::bmp;
    if (size >= 2 && data[0] == 'P' && (data[1] == '5' || data[1] == '6'))
        return ImageFileFormat::pnm;
    return ImageFileFormat::unknown;
}

inline const char* to_string(ImageFileFormat format) {
    switch (format) {
        case ImageFileFormat::jpeg:
            return "JPEG";
        case ImageFileFormat::png:
            return "PNG";
        case ImageFileFormat::bmp:
            return "BMP";
        case ImageFileFormat::pnm:
            return "PGM/PPM";
        case ImageFileFormat::unknown:
            break;
    }
    return "unknown";
}

namespace detail {

inline std::string hex_prefix(const std::uint8_t* data, std::size_t size) {
    static const char digits[] = "0123456789abcdef";
    std::string out;
    for (std::size_t i = 0; i < size && i < 4; ++i) {
        if (i) out += ' ';
        out += digits[data[i] >> 4];
        out += digits[data[i] & 15];
    }
    return out;
}

// Walks the JPEG marker segments and entropy-coded scans; true when an end-of-image marker
// (FF D9) is reached before the data ends. Inside scans a 0xFF byte is followed only by 0x00
// (stuffing) or a restart marker, so the first other marker ends the scan.
inline bool jpeg_is_complete(const std::uint8_t* data, std::size_t size) {
    std::size_t i = 2;  // after SOI
    while (i + 1 < size) {
        if (data[i] != 0xFF) {  // junk between segments, which decoders tolerate
            ++i;
            continue;
        }
        const std::uint8_t marker = data[i + 1];
        if (marker == 0xFF) {  // fill byte
            ++i;
            continue;
        }
        if (marker == 0xD9) return true;
        if (marker >= 0xD0 && marker <= 0xD7) {  // stray restart marker has no length
            i += 2;
            continue;
        }
        if (i + 3 >= size) return false;
        const std::size_t length = (std::size_t{data[i + 2]} << 8) | data[i + 3];
        if (length < 2) return false;
        i += 2 + length;
        if (marker != 0xDA) continue;
        // Entropy-coded data of a scan: skip to the next real marker.
        while (i + 1 < size) {
            if (data[i] == 0xFF && data[i + 1] != 0x00 &&
                !(data[i + 1] >= 0xD0 && data[i + 1] <= 0xD7))
                break;
            ++i;
        }
    }
    return false;
}

inline std::int64_t read_be32(const std::uint8_t* p) {
    return std::int64_t{p[0]} << 24 | std::int64_t{p[1]} << 16 | std::int64_t{p[2]} << 8 | p[3];
}

inline std::uint32_t read_le32(const std::uint8_t* p) {
    return std::uint32_t{p[0]} | std::uint32_t{p[1]} << 8 | std::uint32_t{p[2]} << 16 |
           std::uint32_t{p[3]} << 24;
}

// True unless the BMP is uncompressed (BI_RGB) and shorter than its header says its pixels are.
inline bool bmp_pixels_present(const std::uint8_t* data, std::size_t size) {
    if (size < 34) return false;
    const std::uint32_t offset = read_le32(data + 10);
    const std::uint32_t header_size = read_le32(data + 14);
    if (header_size < 40) return true;  // old OS/2 headers: leave the checks to stb
    const std::int64_t width = std::int32_t(read_le32(data + 18));
    const std::int64_t height = std::int32_t(read_le32(data + 22));
    const std::int64_t bits = std::int64_t{data[28]} | std::int64_t{data[29]} << 8;
    const std::uint32_t compression = read_le32(data + 30);
    if (compression != 0) return true;
    const std::int64_t row_bytes = (width * bits + 31) / 32 * 4;
    const std::int64_t rows = height < 0 ? -height : height;
    return std::int64_t{offset} + row_bytes * rows <= std::int64_t(size);
}

// True when the PNG ends with a whole IEND chunk (length, type and CRC): stb stops reading at
// IEND's type and would accept a file cut inside the final CRC.
inline bool png_is_complete(const std::uint8_t* data, std::size_t size) {
    static const std::uint8_t iend[8] = {0, 0, 0, 0, 'I', 'E', 'N', 'D'};
    for (std::size_t end = size; end >= 8 + 12; --end)
        if (std::memcmp(data + end - 12, iend, 8) == 0) return true;
    return false;
}

// True when a binary PGM/PPM holds all the samples its header announces (stb fills missing ones
// with zeros). Headers it cannot parse are left to stb, which rejects them.
inline bool pnm_pixels_present(const std::uint8_t* data, std::size_t size) {
    std::size_t i = 2;
    std::int64_t fields[3] = {};  // width, height, maximum value
    for (std::int64_t& field : fields) {
        while (i < size && (std::isspace(data[i]) || data[i] == '#')) {
            if (data[i] == '#')
                while (i < size && data[i] != '\n') ++i;
            else
                ++i;
        }
        if (i >= size || !std::isdigit(data[i])) return i < size;
        while (i < size && std::isdigit(data[i])) {
            // Capped so the size product below cannot overflow; real limits were checked already.
            field = std::min(field * 10 + (data[i++] - '0'), std::int64_t{1} << 20);
        }
    }
    ++i;  // the single whitespace byte before the samples
    const std::int64_t channels = data[1] == '6' ? 3 : 1;
    const std::int64_t sample_bytes = fields[2] > 255 ? 2 : 1;
    return std::int64_t(i) + fields[0] * fields[1] * channels * sample_bytes <= std::int64_t(size);
}

struct StbPixels {
    stbi_uc* pixels = nullptr;
    ~StbPixels() { stbi_image_free(pixels); }
};

}  // namespace detail

// Decodes a JPEG, PNG, BMP or binary PGM/PPM image held in memory into `format` (gray, rgb or
// bgr). Gray conversion uses fer's BT.601 luma (see fer/imgproc.hpp), not stb's.
// Throws: fer::error naming the problem for an empty buffer, an unsupported or corrupt format, a
//         truncated file, or dimensions beyond fer/limits.hpp.
inline Image decode_image(const std::uint8_t* data, std::size_t size,
                          PixelFormat format = PixelFormat::rgb) {
    if (data == nullptr || size == 0) detail::fail("image data", "an encoded image", "0 bytes");
    if (size > std::size_t(limits::max_image_file_bytes))
        detail::fail("encoded image size",
                     detail::concat("at most ", limits::max_image_file_bytes, " bytes"), size);
    const ImageFileFormat file_format = sniff_image_format(data, size);
    if (file_format == ImageFileFormat::unknown)
        detail::fail(
            "image format", "JPEG, PNG, BMP or binary PGM/PPM",
            detail::concat("unrecognized data starting with ", detail::hex_prefix(data, size)));
    const std::string name = to_string(file_format);
    if (file_format == ImageFileFormat::png && size >= 24)  // IHDR: width and height, big-endian
        detail::check_image_size(detail::read_be32(data + 16), detail::read_be32(data + 20));

    int width = 0, height = 0, components = 0;
    const int length = int(size);
    if (!stbi_info_from_memory(data, length, &width, &height, &components))
        detail::fail(detail::concat("decoding ", name, " header: ", stbi_failure_reason()));
    detail::check_image_size(width, height);

    if (file_format == ImageFileFormat::jpeg && !detail::jpeg_is_complete(data, size))
        detail::fail(name + " data", "a complete stream ending in an end-of-image marker",
                     "a truncated stream");
    if (file_format == ImageFileFormat::png && !detail::png_is_complete(data, size))
        detail::fail(name + " data", "a complete file ending in an IEND chunk", "a truncated file");
    if ((file_format == ImageFileFormat::bmp && !detail::bmp_pixels_present(data, size)) ||
        (file_format == ImageFileFormat::pnm && !detail::pnm_pixels_present(data, size)))
        detail::fail(name + " data", "the pixel array its header announces", "a truncated file");

    // Decode to the source's own channel count (gray stays gray), then convert with our formula.
    const bool source_gray = components == 1 || components == 2;
    const int channels = source_gray ? 1 : 3;
    detail::StbPixels decoded;
    int w = 0, h = 0, c = 0;
    decoded.pixels = stbi_load_from_memory(data, length, &w, &h, &c, channels);
    if (decoded.pixels == nullptr)
        detail::fail(detail::concat("decoding ", name, " image: ", stbi_failure_reason()));
    FER_ASSERT(w == width && h == height);
    const ImageView view(decoded.pixels, w, h, source_gray ? PixelFormat::gray : PixelFormat::rgb);
    return convert(view, format);
}

inline Image decode_image(const std::vector<std::uint8_t>& bytes,
                          PixelFormat format = PixelFormat::rgb) {
    return decode_image(bytes.data(), bytes.size(), format);
}

namespace detail {

inline void append_bytes(void* context, void* data, int size) {
    auto* out = static_cast<std::vector<std::uint8_t>*>(context);
    const auto* bytes = static_cast<const std::uint8_t*>(data);
    out->insert(out->end(), bytes, bytes + size);
}

// Gray and rgb views stb can write as they are; bgr is converted to rgb first.
inline Image rgb_or_gray_copy(const ImageView& src) {
    return convert(src, src.format() == PixelFormat::gray ? PixelFormat::gray : PixelFormat::rgb);
}

}  // namespace detail

// Loads an image file (JPEG, PNG, BMP, PGM/PPM) into `format`.
// Throws: fer::error "<path>: <reason>" when the file cannot be read or decoded.
inline Image load_image(const std::string& path, PixelFormat format = PixelFormat::rgb) {
    const std::vector<std::uint8_t> bytes = read_file_bytes(path);
    try {
        return decode_image(bytes, format);
    } catch (const error& e) {
        throw error(path + ": " + e.what());
    }
}

// PNG encoding of any view (lossless; gray stays 8-bit gray).
// Throws: fer::error if src is empty or stb fails.
inline std::vector<std::uint8_t> encode_png(const ImageView& src) {
    detail::require_nonempty(src, "encode_png");
    const Image packed = detail::rgb_or_gray_copy(src);
    std::vector<std::uint8_t> out;
    if (!stbi_write_png_to_func(detail::append_bytes, &out, packed.width(), packed.height(),
                                packed.channels(), packed.data(), int(packed.stride())))
        detail::fail("encoding PNG failed");
    return out;
}

// Baseline JPEG encoding, quality 1 (smallest) to 100 (best).
// Throws: fer::error if src is empty, quality is out of range or stb fails.
inline std::vector<std::uint8_t> encode_jpeg(const ImageView& src, int quality = 90) {
    detail::require_nonempty(src, "encode_jpeg");
    if (quality < 1 || quality > 100) detail::fail("JPEG quality", "1 to 100", quality);
    const Image packed = detail::rgb_or_gray_copy(src);
    std::vector<std::uint8_t> out;
    if (!stbi_write_jpg_to_func(detail::append_bytes, &out, packed.width(), packed.height(),
                                packed.channels(), packed.data(), quality))
        detail::fail("encoding JPEG failed");
    return out;
}

// Saves as PNG or JPEG, chosen by the extension (.png, .jpg, .jpeg; any case).
// Throws: fer::error for another extension, or when encoding or writing fails.
inline void save_image(const std::string& path, const ImageView& src, int jpeg_quality = 90) {
    const std::size_t dot = path.find_last_of('.');
    std::string extension = dot == std::string::npos ? "" : path.substr(dot + 1);
    for (char& ch : extension) ch = char(std::tolower(static_cast<unsigned char>(ch)));
    if (extension == "png")
        write_file(path, encode_png(src));
    else if (extension == "jpg" || extension == "jpeg")
        write_file(path, encode_jpeg(src, jpeg_quality));
    else
        detail::fail(detail::concat("output file '", path, "' extension"), ".png, .jpg or .jpeg",
                     extension.empty() ? std::string("none") : "." + extension);
}

}  // namespace fer

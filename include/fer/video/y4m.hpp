// fer/video/y4m.hpp - YUV4MPEG2 (Y4M) streams: the reader behind `fer video FILE|-` and a writer.
//
// Y4M is raw video with text headers, what `ffmpeg -f yuv4mpegpipe` writes:
//     YUV4MPEG2 W640 H360 F25:1 Ip A1:1 C420jpeg XYSCSS=420JPEG\n
//     FRAME\n <Y plane> <U plane> <V plane>
//     FRAME\n ...
// The reader accepts the 4:2:0 colourspaces (420jpeg, 420paldv, 420mpeg2, 420; the default when C
// is absent) and mono; others are rejected by name with the ffmpeg option that converts them.
// Limited range is assumed unless the X comment COLORRANGE=FULL says otherwise (mono streams, by
// convention full range, the reverse). Every size is checked against fer/limits.hpp before the
// frame buffer is allocated; a header that is not Y4M, a malformed parameter, a frame marker that
// is not FRAME, or a stream that ends inside a frame throws fer::error naming the frame.
#pragma once

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <istream>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "../error.hpp"
#include "../image.hpp"
#include "../limits.hpp"
#include "source.hpp"
#include "yuv.hpp"

namespace fer {

struct Y4mHeader {
    int width = 0, height = 0;
    int rate_numerator = 0, rate_denominator = 0;  // frames per second as a fraction (0: unknown)
    std::string colorspace = "420jpeg";
    bool monochrome = false;
    bool full_range = false;
};

namespace detail {

// Reads bytes up to '\n' (consumed, not stored). Returns false at end of stream before any byte.
// Throws: for a line longer than the Y4M header limit or a stream that ends inside the line.
inline bool read_y4m_line(std::istream& in, std::string& line, const std::string& what) {
    line.clear();
    for (;;) {
        const int c = in.get();
        if (c == std::char_traits<char>::eof()) {
            if (line.empty()) return false;
            fail(what, "a line ending in a newline", "the end of the stream");
        }
        if (c == '\n') return true;
        if (int(line.size()) >= limits::max_y4m_header_bytes)
            fail(what, concat("a line of at most ", limits::max_y4m_header_bytes, " bytes"),
                 "a longer one");
        line.push_back(char(c));
    }
}

// A decimal integer from 1 to `most`, the whole of `text`.
inline int parse_y4m_count(const std::string& text, int most, const std::string& what) {
    long long value = 0;
    if (text.empty() || text.size() > 10) fail(what, concat("1 to ", most), concat("'", text, "'"));
    for (char c : text) {
        if (c < '0' || c > '9') fail(what, concat("1 to ", most), concat("'", text, "'"));
        value = value * 10 + (c - '0');
    }
    if (value < 1 || value > most) fail(what, concat("1 to ", most), value);
    return int(value);
}

inline Y4mHeader parse_y4m_header(const std::string& line) {
    const std::string signature = "YUV4MPEG2";
    if (line.compare(0, signature.size(), signature) != 0 ||
        (line.size() > signature.size() && line[signature.size()] != ' '))
        fail("Y4M stream", "the signature YUV4MPEG2",
             concat("'", line.substr(0, std::min<std::size_t>(line.size(), 16)), "'"));
    Y4mHeader h;
    bool range_given = false, colorspace_given = false;
    std::size_t at = signature.size();
    while (at < line.size()) {
        while (at < line.size() && line[at] == ' ') ++at;
        if (at == line.size()) break;
        std::size_t end = line.find(' ', at);
        if (end == std::string::npos) end = line.size();
        const char tag = line[at];
        const std::string value = line.substr(at + 1, end - at - 1);
        at = end;
        switch (tag) {
            case 'W':
                h.width = parse_y4m_count(value, limits::max_image_side, "Y4M width");
                break;
            case 'H':
                h.height = parse_y4m_count(value, limits::max_image_side, "Y4M height");
                break;
            case 'F': {
                const std::size_t colon = value.find(':');
                if (colon == std::string::npos)
                    fail("Y4M frame rate", "F<numerator>:<denominator>", concat("F", value));
                // 0:0 means unknown; anything else must be a positive fraction.
                if (value != "0:0") {
                    h.rate_numerator = parse_y4m_count(value.substr(0, colon), 1'000'000'000,
                                                       "Y4M frame rate numerator");
                    h.rate_denominator = parse_y4m_count(value.substr(colon + 1), 1'000'000'000,
                                                         "Y4M frame rate denominator");
                }
                break;
            }
            case 'C':
                h.colorspace = value;
                colorspace_given = true;
                break;
            case 'X':
                if (value == "COLORRANGE=FULL") h.full_range = range_given = true;
                if (value == "COLORRANGE=LIMITED") {
                    h.full_range = false;
                    range_given = true;
                }
                break;
            case 'I':  // interlacing: fields are still one picture to a face detector
            case 'A':  // pixel aspect ratio: faces are detected in stored pixels
                break;
            default:
                fail("Y4M header parameter", "one of W H F I A C X", concat("'", tag, "'"));
        }
    }
    if (h.width == 0 || h.height == 0)
        fail("Y4M header", "both W (width) and H (height)", concat("'", line, "'"));
    detail::check_image_size(h.width, h.height);
    if (!colorspace_given || h.colorspace == "420jpeg" || h.colorspace == "420paldv" ||
        h.colorspace == "420mpeg2" || h.colorspace == "420") {
        if (!colorspace_given) h.colorspace = "420jpeg";
    } else if (h.colorspace == "mono") {
        h.monochrome = true;
        if (!range_given) h.full_range = true;
    } else {
        fail("Y4M colourspace",
             "4:2:0 (420jpeg, 420paldv, 420mpeg2, 420) or mono; convert with ffmpeg -pix_fmt "
             "yuv420p",
             concat("C", h.colorspace));
    }
    return h;
}

}  // namespace detail

// Reads frames from a Y4M stream: a file, a pipe, std::cin.
class Y4mReader : public FrameSource {
  public:
    // Reads and checks the stream header. `in` must outlive the reader.
    // Throws: fer::error for an empty stream or a header that is not a supported Y4M header.
    explicit Y4mReader(std::istream& in, std::string name = "y4m")
        : in_(in), name_(std::move(name)) {
        read_header();
    }

    // Opens a Y4M file. Throws: fer::error for a file that cannot be opened or a bad header.
    static std::unique_ptr<Y4mReader> open(const std::string& path) {
        auto file = std::make_unique<std::ifstream>(path, std::ios::binary);
        if (!*file)
            detail::fail(detail::concat(path, ": cannot open (", std::strerror(errno), ")"));
        std::unique_ptr<Y4mReader> reader(new Y4mReader(std::move(file), path));
        return reader;
    }

    const Y4mHeader& header() const { return header_; }
    std::int64_t frames_read() const { return frames_; }

    bool read(Image& frame) override {
        std::string marker;
        const std::string what = detail::concat(name_, " frame ", frames_ + 1);
        if (!detail::read_y4m_line(in_, marker, what + " header")) return false;
        if (marker.compare(0, 5, "FRAME") != 0 || (marker.size() > 5 && marker[5] != ' '))
            detail::fail(what, "the marker FRAME",
                         detail::concat(
                             "'", marker.substr(0, std::min<std::size_t>(16, marker.size())), "'"));
        // Read in pieces, growing the buffer as data arrives: a header that promises a huge frame
        // followed by a few bytes must not cost the whole frame's memory.
        constexpr std::size_t piece = std::size_t{4} << 20;
        std::size_t got = 0;
        while (got < frame_bytes_) {
            const std::size_t want = std::min(piece, frame_bytes_ - got);
            if (planes_.size() < got + want) planes_.resize(got + want);
            in_.read(reinterpret_cast<char*>(planes_.data() + got), std::streamsize(want));
            got += std::size_t(in_.gcount());
            if (std::size_t(in_.gcount()) != want)
                detail::fail(what, detail::concat(frame_bytes_, " bytes of pixels"),
                             detail::concat(got, " before the stream ended"));
        }
        const Yuv420Layout layout{header_.width, header_.height};
        if (header_.monochrome) {
            luma_to_gray(planes_.data(), layout.width, layout.height, header_.full_range, frame);
        } else {
            const std::uint8_t* y = planes_.data();
            yuv420_to_rgb(y, y + layout.luma_bytes(),
                          y + layout.luma_bytes() + layout.chroma_bytes(), layout,
                          header_.full_range, frame);
        }
        ++frames_;
        return true;
    }

    int width() const override { return header_.width; }
    int height() const override { return header_.height; }
    double frames_per_second() const override {
        return header_.rate_denominator == 0
                   ? 0.0
                   : double(header_.rate_numerator) / header_.rate_denominator;
    }
    std::string description() const override {
        return detail::concat(name_, " ", header_.width, "x", header_.height, " C",
                              header_.colorspace, header_.full_range ? " full range" : "");
    }

  private:
    Y4mReader(std::unique_ptr<std::istream> owned, std::string name)
        : owned_(std::move(owned)), in_(*owned_), name_(std::move(name)) {
        read_header();
    }

    void read_header() {
        std::string line;
        if (!detail::read_y4m_line(in_, line, name_ + " header"))
            detail::fail(name_, "a Y4M stream", "an empty one");
        header_ = detail::parse_y4m_header(line);
        const Yuv420Layout layout{header_.width, header_.height};
        frame_bytes_ = header_.monochrome ? layout.luma_bytes() : layout.frame_bytes();
    }

    std::unique_ptr<std::istream> owned_;  // the file, when the reader opened it
    std::istream& in_;
    std::string name_;
    Y4mHeader header_;
    std::size_t frame_bytes_ = 0;
    std::vector<std::uint8_t> planes_;
    std::int64_t frames_ = 0;
};

// Writes rgb, bgr or gray frames as a 4:2:0 limited-range Y4M stream (what players and ffmpeg
// read by default).
class Y4mWriter {
  public:
    // `rate_numerator` / `rate_denominator` frames per second (25:1 when not known).
    // Throws: fer::error for a size that breaks fer/limits.hpp or a non-positive rate.
    Y4mWriter(std::ostream& out, int width, int height, int rate_numerator = 25,
              int rate_denominator = 1)
        : out_(out), width_(width), height_(height) {
        detail::check_image_size(width, height);
        if (rate_numerator < 1 || rate_denominator < 1)
            detail::fail("Y4M frame rate", "a positive fraction",
                         detail::concat(rate_numerator, ":", rate_denominator));
        out_ << "YUV4MPEG2 W" << width << " H" << height << " F" << rate_numerator << ":"
             << rate_denominator << " Ip A1:1 C420jpeg XCOLORRANGE=LIMITED\n";
    }

    // Throws: fer::error for a frame of another size, or when the stream fails (disk full).
    void write(const ImageView& frame) {
        if (frame.width() != width_ || frame.height() != height_)
            detail::fail("Y4M writer frame size", detail::concat(width_, "x", height_),
                         detail::concat(frame.width(), "x", frame.height()));
        rgb_to_yuv420(frame, planes_);
        out_ << "FRAME\n";
        out_.write(reinterpret_cast<const char*>(planes_.data()), std::streamsize(planes_.size()));
        if (!out_) detail::fail("Y4M writer: the output stream failed (disk full?)");
    }

  private:
    std::ostream& out_;
    int width_, height_;
    std::vector<std::uint8_t> planes_;
};

}  // namespace fer

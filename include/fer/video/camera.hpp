// fer/video/camera.hpp - live frames from a Linux camera (Video4Linux2), YUYV capture.
//
// Built where the kernel's V4L2 header exists (FER_HAVE_V4L2 is then 1); elsewhere opening a
// camera throws fer::error saying so. The camera is asked for YUYV (4:2:2, what every UVC webcam
// offers uncompressed) at the requested size; the driver may pick the nearest size it has, and
// width()/height() report what it chose. Frames arrive through memory-mapped driver buffers.
// A camera is live: it produces frames whether or not they are read; wrap it in a
// LatestFrameReader (fer/video/latest_frame.hpp) to drop frames rather than fall behind.
#pragma once

#include <algorithm>
#include <string>

#include "../error.hpp"
#include "../image.hpp"
#include "../limits.hpp"
#include "source.hpp"
#include "yuv.hpp"

#if defined(__linux__) && __has_include(<linux/videodev2.h>)
#define FER_HAVE_V4L2 1
#include <fcntl.h>
#include <linux/videodev2.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>
#else
#define FER_HAVE_V4L2 0
#endif

namespace fer {

#if FER_HAVE_V4L2

namespace detail {

// YUYV (Y0 U Y1 V per two pixels, limited range) -> rgb.
inline void yuyv_to_rgb(const std::uint8_t* src, std::size_t src_stride, int width, int height,
                        Image& rgb) {
    rgb.reset(width, height, PixelFormat::rgb);
    const YuvToRgbCoefficients k = yuv_to_rgb_coefficients(false);
    for (int y = 0; y < height; ++y) {
        const std::uint8_t* p = src + std::size_t(y) * src_stride;
        std::uint8_t* out = rgb.row(y);
        for (int x = 0; x < width; ++x) {
            const std::uint8_t* pair = p + 4 * (x / 2);
            ycbcr_to_rgb(x % 2 ? pair[2] : pair[0], pair[1], pair[3], k, out + 3 * x);
        }
    }
}

}  // namespace detail

class V4l2Camera : public FrameSource {
  public:
    // Opens `device` (e.g. /dev/video0) and starts streaming at about width x height.
    // Throws: fer::error when the device is missing, is not a capture device, offers no YUYV,
    //         or cannot stream.
    explicit V4l2Camera(const std::string& device, int width = 640, int height = 480)
        : device_(device) {
        if (width < 1 || width > limits::max_camera_side || height < 1 ||
            height > limits::max_camera_side)
            detail::fail("camera size", detail::concat("1 to ", limits::max_camera_side),
                         detail::concat(width, "x", height));
        fd_ = ::open(device.c_str(), O_RDWR | O_NONBLOCK);
        if (fd_ < 0) fail_errno("cannot open");
        try {
            start(width, height);
        } catch (...) {
            close_device();
            throw;
        }
    }
    V4l2Camera(const V4l2Camera&) = delete;
    V4l2Camera& operator=(const V4l2Camera&) = delete;
    ~V4l2Camera() override { close_device(); }

    // Waits (up to 5 seconds) for the next frame.
    bool read(Image& frame) override {
        pollfd p{fd_, POLLIN, 0};
        const int ready = ::poll(&p, 1, 5000);
        if (ready < 0) fail_errno("waiting for a frame");
        if (ready == 0) detail::fail(device_ + ": no frame within 5 seconds");
        v4l2_buffer b{};
        b.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
        b.memory = V4L2_MEMORY_MMAP;
        if (xioctl(VIDIOC_DQBUF, &b) < 0) fail_errno("taking a frame");
        if (b.index >= buffers_.size() || b.bytesused < std::size_t(stride_) * height_)
            detail::fail(device_ + " frame",
                         detail::concat(std::size_t(stride_) * height_, " bytes"), b.bytesused);
        detail::yuyv_to_rgb(static_cast<const std::uint8_t*>(buffers_[b.index].start), stride_,
                            width_, height_, frame);
        if (xioctl(VIDIOC_QBUF, &b) < 0) fail_errno("returning a buffer");
        return true;
    }

    int width() const override { return width_; }
    int height() const override { return height_; }
    double frames_per_second() const override { return fps_; }
    bool live() const override { return true; }
    std::string description() const override {
        return detail::concat("camera ", device_, " ", width_, "x", height_, " YUYV");
    }

  private:
    struct Mapping {
        void* start = MAP_FAILED;
        std::size_t length = 0;
    };

    int xioctl(unsigned long request, void* arg) const {
        int r;
        do r = ::ioctl(fd_, request, arg);
        while (r < 0 && errno == EINTR);
        return r;
    }

    [[noreturn]] void fail_errno(const char* doing) const {
        detail::fail(detail::concat(device_, ": ", doing, " (", std::strerror(errno), ")"));
    }

    void start(int width, int height) {
        v4l2_capability caps{};
        if (xioctl(VIDIOC_QUERYCAP, &caps) < 0) fail_errno("not a V4L2 device");
        const std::uint32_t c =
            (caps.capabilities & V4L2_CAP_DEVICE_CAPS) ? caps.device_caps : caps.capabilities;
        if (!(c & V4L2_CAP_VIDEO_CAPTURE) || !(c & V4L2_CAP_STREAMING))
            detail::fail(device_, "a streaming video capture device", "another kind of device");
        v4l2_format f{};
        f.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
        f.fmt.pix.width = std::uint32_t(width);
        f.fmt.pix.height = std::uint32_t(height);
        f.fmt.pix.pixelformat = V4L2_PIX_FMT_YUYV;
        f.fmt.pix.field = V4L2_FIELD_ANY;
        if (xioctl(VIDIOC_S_FMT, &f) < 0) fail_errno("setting YUYV capture");
        if (f.fmt.pix.pixelformat != V4L2_PIX_FMT_YUYV)
            detail::fail(device_ + " pixel format", "YUYV (uncompressed 4:2:2)",
                         std::string(reinterpret_cast<const char*>(&f.fmt.pix.pixelformat), 4));
        detail::check_image_size(f.fmt.pix.width, f.fmt.pix.height);
        width_ = int(f.fmt.pix.width);
        height_ = int(f.fmt.pix.height);
        stride_ = std::max<int>(int(f.fmt.pix.bytesperline), 2 * width_);
        v4l2_streamparm parm{};
        parm.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
        if (xioctl(VIDIOC_G_PARM, &parm) == 0 && parm.parm.capture.timeperframe.numerator > 0)
            fps_ = double(parm.parm.capture.timeperframe.denominator) /
                   parm.parm.capture.timeperframe.numerator;

        v4l2_requestbuffers req{};
        req.count = 4;
        req.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
        req.memory = V4L2_MEMORY_MMAP;
        if (xioctl(VIDIOC_REQBUFS, &req) < 0 || req.count < 2) fail_errno("requesting buffers");
        for (std::uint32_t i = 0; i < req.count; ++i) {
            v4l2_buffer b{};
            b.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
            b.memory = V4L2_MEMORY_MMAP;
            b.index = i;
            if (xioctl(VIDIOC_QUERYBUF, &b) < 0) fail_errno("querying a buffer");
            Mapping m;
            m.length = b.length;
            m.start =
                ::mmap(nullptr, b.length, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, b.m.offset);
            if (m.start == MAP_FAILED) fail_errno("mapping a buffer");
            buffers_.push_back(m);
            if (xioctl(VIDIOC_QBUF, &b) < 0) fail_errno("queueing a buffer");
        }
        v4l2_buf_type type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
        if (xioctl(VIDIOC_STREAMON, &type) < 0) fail_errno("starting the stream");
        streaming_ = true;
    }

    void close_device() {
        if (fd_ < 0) return;
        if (streaming_) {
            v4l2_buf_type type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
            xioctl(VIDIOC_STREAMOFF, &type);
        }
        for (const Mapping& m : buffers_) ::munmap(m.start, m.length);
        buffers_.clear();
        ::close(fd_);
        fd_ = -1;
    }

    std::string device_;
    int fd_ = -1;
    int width_ = 0, height_ = 0, stride_ = 0;
    double fps_ = 0.0;
    bool streaming_ = false;
    std::vector<Mapping> buffers_;
};

#endif  // FER_HAVE_V4L2

}  // namespace fer

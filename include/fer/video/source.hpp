// fer/video/source.hpp - where video frames come from: the interface every frame source has.
//
// A source hands out frames one by one, each an rgb image (a gray one for monochrome streams),
// reusing the caller's Image between calls. Files and pipes give every frame in order; live
// sources (cameras) run at their own pace, see fer/video/latest_frame.hpp for keeping up.
#pragma once

#include <cstdint>
#include <string>

#include "../image.hpp"

namespace fer {

class FrameSource {
  public:
    virtual ~FrameSource() = default;

    // Reads the next frame into `frame`. Returns false at the end of the stream.
    // Throws: fer::error for a damaged stream or a failing device (the message says which frame).
    virtual bool read(Image& frame) = 0;

    virtual int width() const = 0;
    virtual int height() const = 0;
    // Nominal frames per second (0 when the source does not say).
    virtual double frames_per_second() const = 0;
    // True for sources that produce frames whether or not anyone reads them (cameras).
    virtual bool live() const { return false; }
    // What the source is, for messages: "y4m 640x360 420jpeg", "camera /dev/video0 640x480".
    virtual std::string description() const = 0;
};

}  // namespace fer

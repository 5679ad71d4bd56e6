// fer/video/open.hpp - a frame source from a name, as the command line gives it.
//
//   "-"            a Y4M stream on standard input (ffmpeg ... -f yuv4mpegpipe - | fer video -)
//   "/dev/videoN"  a V4L2 camera (Linux), wrapped to drop frames rather than fall behind
//   anything else  a Y4M file
#pragma once

#include <iostream>
#include <memory>
#include <string>

#include "../error.hpp"
#include "camera.hpp"
#include "latest_frame.hpp"
#include "source.hpp"
#include "y4m.hpp"

namespace fer {

// Throws: fer::error when the source cannot be opened or its header is bad.
inline std::unique_ptr<FrameSource> open_frame_source(const std::string& name,
                                                      int camera_width = 640,
                                                      int camera_height = 480) {
    if (name == "-") return std::make_unique<Y4mReader>(std::cin, "stdin");
    if (name.rfind("/dev/video", 0) == 0) {
#if FER_HAVE_V4L2
        return std::make_unique<LatestFrameReader>(
            std::make_unique<V4l2Camera>(name, camera_width, camera_height));
#else
        (void)camera_width;
        (void)camera_height;
        detail::fail(name + ": this build has no camera support (needs Linux's V4L2 headers)");
#endif
    }
    return Y4mReader::open(name);
}

}  // namespace fer

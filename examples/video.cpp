// Follows the faces of a video and prints, when a face's expression changes, who and what.
//
//   ffmpeg -i clip.mp4 -f yuv4mpegpipe - | example_video -
//   example_video clip.y4m        (or a camera: example_video /dev/video0)
#include <fer/fer.hpp>

#include <cstdio>
#include <map>

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: %s VIDEO.y4m|-|/dev/videoN\n", argv[0]);
        return 2;
    }
    try {
        // One recognizer (cascades + the shipped models of the real-time level), one tracker
        // per stream.
        auto recognizer = std::make_shared<const fer::Recognizer>(
            fer::Recognizer::with_defaults({}, fer::Precision::fp32, fer::default_video_level));
        fer::TrackerOptions options;
        options.smoothing.method = fer::SmoothingMethod::ema;  // the default, steady labels
        fer::FaceTracker tracker(recognizer, options);

        const std::unique_ptr<fer::FrameSource> video = fer::open_frame_source(argv[1]);
        std::map<int, fer::Expression> last_label;  // per face ID
        fer::Image frame;
        for (long n = 0; video->read(frame); ++n) {
            for (const fer::TrackedFace& face : tracker.process(frame)) {
                const auto seen = last_label.find(face.id);
                if (seen != last_label.end() && seen->second == face.label) continue;
                std::printf("frame %ld: face #%d at (%d, %d) is %s (%.0f%%)\n", n, face.id,
                            face.box.x, face.box.y, fer::to_string(face.label), 100.0 * face.score);
                last_label[face.id] = face.label;
            }
        }
        std::printf("%ld frames, %d faces followed\n", long(tracker.frames_processed()),
                    tracker.tracks_started());
    } catch (const fer::error& e) {
        std::fprintf(stderr, "example_video: %s\n", e.what());
        return 1;
    }
    return 0;
}

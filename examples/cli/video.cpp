// `fer video`: faces followed through a video stream, one JSON line per frame.
#include <fer/fer.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "annotate.hpp"
#include "args.hpp"
#include "commands.hpp"
#include "detection.hpp"
#include "json.hpp"
#include "models.hpp"
#include "timeline.hpp"

namespace cli {
namespace {

// The --smoothing names, in the order the help lists them.
const std::pair<const char*, fer::SmoothingMethod> smoothing_methods[] = {
    {"ema", fer::SmoothingMethod::ema},
    {"window", fer::SmoothingMethod::window},
    {"none", fer::SmoothingMethod::none}};

const char* smoothing_name(fer::SmoothingMethod method) {
    for (const auto& [name, m] : smoothing_methods)
        if (m == method) return name;
    return "none";
}

fer::SmoothingOptions parse_smoothing(const Arguments& args) {
    fer::SmoothingOptions s;
    const std::string method = args.text("smoothing", smoothing_name(s.method));
    bool known = false;
    for (const auto& [name, m] : smoothing_methods)
        if (method == name) {
            s.method = m;
            known = true;
        }
    if (!known) throw UsageError{"--smoothing expects ema, window or none, got '" + method + "'"};
    s.alpha = args.real("alpha", s.alpha, 0.001, 1.0);
    s.window = int(args.integer("window", s.window, 1, 1000));
    return s;
}

// "#3 happy 87%" boxes on the frame.
void annotate_tracked(fer::Image& frame, const std::vector<fer::TrackedFace>& faces) {
    const int thickness = std::max(2, std::min(frame.width(), frame.height()) / 240);
    for (const fer::TrackedFace& f : faces) {
        annotate_face(frame, f.box, f.label, f.score, "#" + std::to_string(f.id) + " ", thickness,
                      std::clamp(frame.width() / 320, 1, 3));
        if (f.detection.has_keypoints)
            draw_keypoints(frame, f.detection.keypoints, f.box.width, expression_colour(f.label),
                           thickness);
    }
}

int run_video(const Arguments& args) {
    if (args.positional.size() != 1)
        throw UsageError{"expected one INPUT (a .y4m file, - for standard input, or /dev/videoN)"};
    fer::RecognizerOptions recognizer_options;
    parse_detection(args, recognizer_options.detection);
    recognizer_options.align = !args.flag("no-align");
    fer::TrackerOptions tracker_options;
    tracker_options.detect_interval =
        int(args.integer("detect-interval", tracker_options.detect_interval, 1, 1000));
    if (args.flag("whole-search") && parse_detector_kind(args) != fer::DetectorKind::haar)
        throw UsageError{"--whole-search does not apply to --detector blazeface"};
    tracker_options.spread_search = !args.flag("whole-search");
    tracker_options.classify_interval =
        int(args.integer("classify-interval", tracker_options.classify_interval, 1, 100));
    tracker_options.max_missed =
        int(args.integer("max-missed", tracker_options.max_missed, 0, 100000));
    tracker_options.smoothing = parse_smoothing(args);
    tracker_options.min_face_score =
        float(args.real("min-score", tracker_options.min_face_score, 0.01, 0.99));
    tracker_options.threads = recognizer_options.detection.threads;
    const long max_frames = args.integer("max-frames", 0, 0, 1L << 40);
    int camera_width = 640, camera_height = 480;
    if (args.flag("camera-size")) {
        const std::string size = args.text("camera-size");
        if (std::sscanf(size.c_str(), "%dx%d", &camera_width, &camera_height) != 2 ||
            camera_width < 1 || camera_height < 1)
            throw UsageError{"--camera-size expects WxH, got '" + size + "'"};
    }

    LoadedModels models = load_models(args, fer::default_video_level);
    fer::FaceTracker tracker(std::make_shared<const fer::Recognizer>(make_recognizer(
                                 args, std::move(models.classifier), recognizer_options, true)),
                             tracker_options);

    const std::unique_ptr<fer::FrameSource> source =
        fer::open_frame_source(args.positional[0], camera_width, camera_height);
    const double fps = source->frames_per_second();

    std::ofstream output_file;
    std::unique_ptr<fer::Y4mWriter> output;
    if (args.flag("output")) {
        output_file.open(args.text("output"), std::ios::binary);
        if (!output_file) throw Failure{"--output " + args.text("output") + ": cannot create"};
        int numerator = 25, denominator = 1;
        if (const auto* y4m = dynamic_cast<const fer::Y4mReader*>(source.get());
            y4m && y4m->header().rate_numerator > 0) {
            numerator = y4m->header().rate_numerator;
            denominator = y4m->header().rate_denominator;
        } else if (fps > 0) {
            numerator = std::max(1, int(std::lround(fps)));
        }
        output = std::make_unique<fer::Y4mWriter>(output_file, source->width(), source->height(),
                                                  numerator, denominator);
    }
    std::FILE* csv = nullptr;
    if (args.flag("csv")) {
        csv = std::fopen(args.text("csv").c_str(), "w");
        if (!csv) throw Failure{"--csv " + args.text("csv") + ": cannot create"};
        std::fprintf(csv, "frame,time,id,x,y,width,height,label,score");
        for (int c = 0; c < fer::expression_count; ++c)
            std::fprintf(csv, ",%s", fer::to_string(fer::Expression(c)));
        std::fprintf(csv, "\n");
    }
    std::map<int, TrackHistory> histories;

    const auto start = std::chrono::steady_clock::now();
    fer::Image frame;
    std::int64_t frames = 0, face_count = 0;
    int status = 0;
    try {
        while ((max_frames == 0 || frames < max_frames) && source->read(frame)) {
            const std::vector<fer::TrackedFace>& faces = tracker.process(frame);
            const double time = fps > 0 ? double(frames) / fps : 0.0;
            std::string list;
            for (const fer::TrackedFace& f : faces) {
                JsonObject face;
                face.number("id", f.id)
                    .raw("box", box_json(f.box))
                    .text("label", fer::to_string(f.label))
                    .number("score", f.score, 4)
                    .raw("probabilities", probabilities_json(f.probabilities));
                if (f.detection.has_keypoints)
                    face.number("face_score", f.detection.score, 4)
                        .raw("keypoints", keypoints_json(f.detection.keypoints));
                list += (list.empty() ? "" : ", ") + face.str();
                if (csv) {
                    std::fprintf(csv, "%lld,%.3f,%d,%d,%d,%d,%d,%s,%.4f", (long long)frames, time,
                                 f.id, f.box.x, f.box.y, f.box.width, f.box.height,
                                 fer::to_string(f.label), f.score);
                    for (float p : f.probabilities) std::fprintf(csv, ",%.4f", p);
                    std::fprintf(csv, "\n");
                }
                if (args.flag("timeline")) {
                    histories[f.id].frames.push_back(frames);
                    histories[f.id].probabilities.push_back(f.probabilities);
                }
            }
            JsonObject line;
            line.number("frame", double(frames))
                .number("time", time, 6)
                .raw("faces", "[" + list + "]");
            std::printf("%s\n", line.str().c_str());
            if (output) {
                annotate_tracked(frame, faces);
                output->write(frame);
            }
            face_count += std::int64_t(faces.size());
            ++frames;
        }
    } catch (const fer::error& e) {
        // The frames before the damage are reported; the summary still follows.
        std::fprintf(stderr, "fer video: %s\n", e.what());
        status = 1;
    }
    std::fflush(stdout);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (csv) std::fclose(csv);
    if (args.flag("timeline"))
        fer::save_image(args.text("timeline"), draw_timeline(histories, frames, fps));
    std::string dropped;
    if (const auto* live = dynamic_cast<const fer::LatestFrameReader*>(source.get()))
        dropped = ", " + std::to_string(live->dropped()) + " dropped";
    std::fprintf(stderr, "fer video: %lld frames, %lld faces, %d tracks, %.2f s, %.1f frames/s%s\n",
                 (long long)frames, (long long)face_count, tracker.tracks_started(), seconds,
                 seconds > 0 ? double(frames) / seconds : 0.0, dropped.c_str());
    return status;
}

}  // namespace

Command video_command() {
    const fer::RecognizerOptions recognition;
    const fer::TrackerOptions tracking;
    return {
        "video",
        "INPUT",
        "Follow faces and their expressions through a video stream.",
        "INPUT is a Y4M file, - for a Y4M stream on standard input (for example\n"
        "  ffmpeg -i clip.mp4 -f yuv4mpegpipe - | fer video -)\n"
        "or a V4L2 camera such as /dev/video0 (YUYV capture; frames are dropped rather than\n"
        "queued when recognition falls behind). Prints one JSON object per frame: frame (from\n"
        "0), time (seconds) and faces, each with id (stable while the face is tracked), box\n"
        "[x, y, w, h], label, score and probabilities (smoothed over the track's frames),\n"
        "and from BlazeFace face_score and keypoints (as in 'fer detect').\n"
        "BlazeFace (the default --detector) searches the whole frame once per\n"
        "--detect-interval frames (default 2); the faces keep their place in between.\n"
        "With --detector haar, known faces are looked for near their last place in every\n"
        "frame; new faces come from a search of the whole frame, one per --detect-interval\n"
        "frames (default 10), spread over those frames (about the same work in each;\n"
        "--whole-search: all at once instead).\n"
        "Faces are classified in turns, each once per --classify-interval frames, with the\n"
        "fast level's models unless --level or --model says otherwise.\n"
        "At the end a summary goes to stderr: frames, faces, tracks, seconds, frames per\n"
        "second (and dropped frames for a camera).",
        with_face_detector_options(
            {level_option(fer::default_video_level),
             model_option,
             precision_option,
             {"output", "OUT.y4m", "write the frames with boxes, IDs and labels (Y4M 4:2:0)",
              ValueKind::output_file},
             {"csv", "FILE", "one row per frame and face: frame, time, id, box, label, score, ...",
              ValueKind::output_file},
             {"timeline", "FILE.png", "draw each face's probabilities over time",
              ValueKind::output_file},
             {"smoothing", "ema|window|none",
              with_default("averaging of each face's probabilities",
                           smoothing_name(tracking.smoothing.method))},
             {"alpha", "F",
              with_default("ema: weight of the newest frame", tracking.smoothing.alpha)},
             {"window", "N", with_default("window: frames averaged", tracking.smoothing.window)},
             {"detect-interval", "N",
              "one search of the whole frame per N frames (default: blazeface 2, haar 10)"},
             {"whole-search", "", "haar: search the whole frame at once on every Nth frame"},
             {"classify-interval", "N",
              with_default("classify each face once per N frames (faces take turns)",
                           tracking.classify_interval)},
             {"max-missed", "N",
              with_default("frames a face may go unseen before its track ends",
                           tracking.max_missed)},
             {"max-frames", "N", "stop after N frames (default: the whole stream)"},
             {"no-align", "", "do not turn crops to level the eyes"},
             {"camera-size", "WxH", "size to ask a camera for (default 640x480)"},
             {"threads", "N",
              with_default("threads for detection and for classifying faces",
                           recognition.detection.threads)}},
            recognition.detection, BlazeFaceUse::video),
        run_video};
}

}  // namespace cli

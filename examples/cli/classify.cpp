// `fer classify`: the faces in photos and their expressions.
#include <fer/fer.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "annotate.hpp"
#include "args.hpp"
#include "commands.hpp"
#include "detection.hpp"
#include "json.hpp"
#include "models.hpp"

namespace cli {
namespace {

int run_classify(const Arguments& args) {
    if (args.positional.empty()) throw UsageError{"expected at least one IMAGE"};
    if (args.flag("annotate") && args.positional.size() != 1)
        throw UsageError{"--annotate draws one image; give one IMAGE, or use --annotate-dir"};
    const fer::RecognizerOptions options = parse_recognizer_options(args);
    const bool no_detect = args.flag("no-detect"), largest = args.flag("largest");
    LoadedModels models = load_models(args, fer::default_level);
    const fer::Recognizer recognizer =
        make_recognizer(args, std::move(models.classifier), options, !no_detect);
    if (args.flag("annotate-dir")) std::filesystem::create_directories(args.text("annotate-dir"));

    fer::Recognizer::Workspace ws;
    int status = 0;
    for (const std::string& path : args.positional) {
        try {
            fer::Image photo = fer::load_image(path);
            std::vector<fer::FaceResult> faces;
            if (no_detect)
                faces.push_back(recognizer.classify_face(photo, ws));
            else
                faces = recognizer.recognize(photo, ws);
            if (largest) faces = largest_face(faces);
            std::string list;
            for (const fer::FaceResult& f : faces) {
                JsonObject face;
                face.raw("box", box_json(f.box))
                    .text("label", fer::to_string(f.label))
                    .number("score", f.score, 4)
                    .raw("probabilities", probabilities_json(f.probabilities))
                    .raw("aligned", f.aligned ? "true" : "false");
                if (f.aligned) face.number("roll", f.roll_degrees, 3);
                if (f.detection.has_keypoints)
                    face.number("face_score", f.detection.score, 4)
                        .raw("keypoints", keypoints_json(f.detection.keypoints));
                list += (list.empty() ? "" : ", ") + face.str();
            }
            JsonObject out;
            out.text("image", path)
                .number("width", photo.width())
                .number("height", photo.height())
                .raw("faces", "[" + list + "]");
            std::printf("%s\n", out.str().c_str());
            std::fflush(stdout);
            if (args.flag("annotate") || args.flag("annotate-dir")) {
                annotate_faces(photo, faces);
                const std::string target =
                    args.flag("annotate") ? args.text("annotate")
                                          : (std::filesystem::path(args.text("annotate-dir")) /
                                             (std::filesystem::path(path).stem().string() + ".png"))
                                                .string();
                fer::save_image(target, photo);
            }
        } catch (const fer::error& e) {
            std::fprintf(stderr, "fer classify: %s\n", e.what());
            status = 1;
        }
    }
    return status;
}

}  // namespace

Command classify_command() {
    const fer::RecognizerOptions defaults;
    return {
        "classify",
        "IMAGE...",
        "Find the faces in photos and classify their expressions.",
        "Prints one JSON object per image: image, width, height and faces, each face with\n"
        "box [x, y, w, h], label, score (the label's probability) and probabilities (the\n"
        "seven expressions), aligned (whether the crop was turned to level the eyes) and\n"
        "roll (the eyes' slope in degrees, when aligned); from BlazeFace also face_score (the\n"
        "detector's, 0-1) and keypoints (as in 'fer detect'). Faces come from --detector\n"
        "(BlazeFace by default; the cascade finds faces from 30 pixels); each is cropped square\n"
        "around its box, turned so that the eyes are level (BlazeFace's eye keypoints, or both\n"
        "eyes found by the eye cascade), and classified by the shipped models of --level (best:\n"
        "three models, each with the mirrored face) unless --model says otherwise. An\n"
        "unreadable image is reported on stderr and the others are still processed; the exit\n"
        "status is then 1.",
        with_face_detector_options(
            with_crop_options(
                {level_option(fer::default_level),
                 model_option,
                 precision_option,
                 {"no-detect", "", "the whole image is one face (a crop)"},
                 {"largest", "", "only the largest face of each image"},
                 {"threads", "N",
                  with_default("haar: detector threads per image", defaults.detection.threads)},
                 {"annotate", "OUT", "write the picture with boxes and labels to OUT (one IMAGE)",
                  ValueKind::output_file},
                 {"annotate-dir", "DIR", "write each picture, annotated, into DIR as NAME.png",
                  ValueKind::output_dir}},
                defaults),
            defaults.detection),
        run_classify};
}

}  // namespace cli

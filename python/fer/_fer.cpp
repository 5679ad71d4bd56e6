// The Python binding: fer's recognizer, classifier, detectors and tracker over NumPy arrays.
//
// Arrays are read in place (no copy): a uint8 H x W (gray) or H x W x 3 (RGB, or BGR when asked)
// array whose pixels lie next to each other in each row; rows may be further apart (a slice of a
// bigger picture). Anything else raises TypeError or ValueError before fer sees it. The GIL is
// released while fer works. Each object keeps a pool of workspaces, one per thread using it at
// once, so that calls from several threads run in parallel and warm calls reuse their buffers.
#include <fer/fer.hpp>
#include <fer/video/tracker.hpp>

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <chrono>
#include <climits>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace py = pybind11;

namespace {

// ---- Arrays in, arrays out ----

// `array` as an image view, after checking what fer cannot check: the element type, the
// dimensions and the strides. The view borrows the array's memory; the caller keeps `array`.
fer::ImageView image_view(const py::handle& object, bool bgr, const char* what) {
    if (!py::isinstance<py::array>(object))
        throw py::type_error(std::string(what) + " must be a numpy.ndarray of uint8, not " +
                             std::string(py::str(py::type::of(object).attr("__name__"))));
    const auto array = py::reinterpret_borrow<py::array>(object);
    if (!array.dtype().is(py::dtype::of<std::uint8_t>()))
        throw py::type_error(std::string(what) + " must have dtype uint8, not " +
                             std::string(py::str(array.dtype())));
    const py::ssize_t dims = array.ndim();
    if (dims != 2 && dims != 3)
        throw py::value_error(std::string(what) + " must be H x W (gray) or H x W x 3 (RGB), not " +
                              std::to_string(dims) + "-dimensional");
    const py::ssize_t channels = dims == 3 ? array.shape(2) : 1;
    if (channels != 1 && channels != 3)
        throw py::value_error(std::string(what) + " must have 1 or 3 channels, not " +
                              std::to_string(channels));
    const py::ssize_t height = array.shape(0), width = array.shape(1);
    if (height > INT_MAX || width > INT_MAX)
        throw py::value_error(std::string(what) + " is too large");
    if (height == 0 || width == 0)
        throw py::value_error(std::string(what) + " is empty (" + std::to_string(height) + " x " +
                              std::to_string(width) + ")");
    const bool pixels_packed = (dims == 2 || array.strides(2) == 1) && array.strides(1) == channels;
    if (!pixels_packed || array.strides(0) < width * channels)
        throw py::value_error(std::string(what) +
                              " must have its pixels next to each other in each row and rows "
                              "going down (use numpy.ascontiguousarray; for BGR pass bgr=True "
                              "rather than reversing the channels)");
    const fer::PixelFormat format = channels == 1 ? fer::PixelFormat::gray
                                    : bgr         ? fer::PixelFormat::bgr
                                                  : fer::PixelFormat::rgb;
    return fer::ImageView(static_cast<const std::uint8_t*>(array.data()), int(width), int(height),
                          format, std::ptrdiff_t(array.strides(0)));
}

// An image handed to NumPy without a copy: the array owns it through a capsule.
py::array to_array(fer::Image image) {
    auto* owned = new fer::Image(std::move(image));
    py::capsule free_when_done(owned, [](void* p) { delete static_cast<fer::Image*>(p); });
    const py::ssize_t h = owned->height(), w = owned->width(), c = owned->channels();
    std::vector<py::ssize_t> shape{h, w}, strides{py::ssize_t(owned->stride()), c};
    if (c != 1) {
        shape.push_back(c);
        strides.push_back(1);
    }
    return py::array(py::dtype::of<std::uint8_t>(), shape, strides, owned->data(), free_when_done);
}

// ---- Words at the interface ----

const char* const keypoint_names[fer::face_keypoint_count] = {"right_eye", "left_eye",  "nose",
                                                              "mouth",     "right_ear", "left_ear"};

py::tuple box_tuple(const fer::Rect& r) {
    return py::make_tuple(r.x, r.y, r.width, r.height);
}

py::dict probabilities_dict(const fer::Probabilities& p) {
    py::dict d;
    for (std::size_t i = 0; i < p.size(); ++i) d[fer::to_string(fer::Expression(i))] = p[i];
    return d;
}

py::object keypoints_dict(const fer::FoundFace& face) {
    if (!face.has_keypoints) return py::none();
    py::dict d;
    for (int k = 0; k < fer::face_keypoint_count; ++k)
        d[keypoint_names[k]] = py::make_tuple(face.keypoints[k].x, face.keypoints[k].y);
    return d;
}

py::object face_score(const fer::FoundFace& face) {
    return face.has_keypoints ? py::object(py::float_(face.score)) : py::object(py::none());
}

fer::Precision parse_precision(const std::string& name) {
    if (name == "fp32") return fer::Precision::fp32;
    if (name == "int8") return fer::Precision::int8;
    throw py::value_error("precision must be 'fp32' or 'int8', not '" + name + "'");
}

fer::Level parse_level(const std::string& name) {
    try {
        return fer::parse_level(name);
    } catch (const fer::error&) {
        throw py::value_error("level must be 'fast', 'balanced' or 'best', not '" + name + "'");
    }
}

fer::DetectorKind parse_detector(const std::string& name) {
    try {
        return fer::parse_detector(name);
    } catch (const fer::error&) {
        throw py::value_error("detector must be 'blazeface' or 'haar', not '" + name + "'");
    }
}

// ---- Shipped files ----

// The package's copy of the shipped models (fer/weights next to this module).
std::string weights_dir() {
    const py::list path = py::module_::import("fer").attr("__path__");
    return std::string(py::str(path[0])) + "/weights";
}

std::string shipped_file(const std::string& file) {
    const std::string path = weights_dir() + "/" + file;
    if (!std::filesystem::exists(path))
        throw fer::error("no model file: " + path + " is missing (a broken installation?)");
    return path;
}

// As fer::default_model_path: `model` when given, else FER_MODEL when set, else the level's file.
std::string expression_model(const std::optional<std::string>& model, fer::Level level) {
    if (model) return *model;
    if (const char* env = std::getenv("FER_MODEL"); env != nullptr && *env != '\0')
        return fer::default_model_path(level);
    return shipped_file(std::string("fer-") + fer::level_name(level) + ".gguf");
}

// ---- A pool of workspaces, one per thread in a call at once ----

template <class Workspace>
class WorkspacePool {
  public:
    class Lease {
      public:
        Lease(WorkspacePool& pool, std::unique_ptr<Workspace> ws)
            : pool_(pool), ws_(std::move(ws)) {}
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;
        ~Lease() { pool_.give_back(std::move(ws_)); }
        Workspace& operator*() { return *ws_; }

      private:
        WorkspacePool& pool_;
        std::unique_ptr<Workspace> ws_;
    };

    Lease lease() {
        std::lock_guard<std::mutex> lock(mutex_);
        if (free_.empty()) return Lease(*this, std::make_unique<Workspace>());
        std::unique_ptr<Workspace> ws = std::move(free_.back());
        free_.pop_back();
        return Lease(*this, std::move(ws));
    }

  private:
    void give_back(std::unique_ptr<Workspace> ws) {
        std::lock_guard<std::mutex> lock(mutex_);
        free_.push_back(std::move(ws));
    }

    std::mutex mutex_;
    std::vector<std::unique_ptr<Workspace>> free_;
};

// ---- The classes ----

struct Detection {
    fer::FoundFace face;
};

struct Classification {
    fer::Probabilities probabilities{};
    fer::Expression label = fer::Expression::neutral;
    float score = 0;
};

// The options shared by Recognizer, Detector and FaceTracker, as keyword arguments.
struct DetectorSettings {
    std::string detector = fer::detector_name(fer::default_detector);
    float min_face_score = fer::BlazeFaceOptions{}.min_score;
    bool mirror_detection = fer::BlazeFaceOptions{}.mirror;
    int second_scale_from = fer::BlazeFaceOptions{}.second_scale_from;
    double scale_factor = fer::RecognizerOptions{}.detection.scale_factor;
    int min_neighbors = fer::RecognizerOptions{}.detection.min_neighbors;
    int min_size = fer::RecognizerOptions{}.detection.min_width;
};

fer::RecognizerOptions recognizer_options(const DetectorSettings& d, double margin, bool flip,
                                          bool align, bool require_eyes) {
    fer::RecognizerOptions o;
    o.blazeface.min_score = d.min_face_score;
    o.blazeface.mirror = d.mirror_detection;
    o.blazeface.second_scale_from = d.second_scale_from;
    o.detection.scale_factor = d.scale_factor;
    o.detection.min_neighbors = d.min_neighbors;
    o.detection.min_width = o.detection.min_height = d.min_size;
    o.margin = margin;
    o.flip = flip;
    o.align = align;
    o.require_eyes = require_eyes;
    return o;
}

std::shared_ptr<const fer::Recognizer> make_recognizer(const DetectorSettings& d,
                                                       fer::ExpressionClassifier classifier,
                                                       const fer::RecognizerOptions& options) {
    if (parse_detector(d.detector) == fer::DetectorKind::blazeface)
        return std::make_shared<const fer::Recognizer>(
            std::make_shared<const fer::BlazeFaceDetector>(
                fer::load_network(shipped_file("blazeface.gguf"))),
            std::move(classifier), options);
    auto cascade = std::make_shared<const fer::CascadeDetector>(
        fer::load_cascade(fer::default_face_cascade_path()));
    auto eyes = options.align || options.require_eyes
                    ? std::make_shared<const fer::CascadeDetector>(
                          fer::load_cascade(fer::default_eye_cascade_path()))
                    : nullptr;
    return std::make_shared<const fer::Recognizer>(std::move(cascade), std::move(classifier),
                                                   options, std::move(eyes));
}

class Recognizer {
  public:
    Recognizer(const std::string& level, const std::optional<std::string>& model,
               const std::string& precision, const DetectorSettings& detector, double margin,
               bool flip, bool align, bool require_eyes, bool detect) {
        const fer::Precision p = parse_precision(precision);
        const fer::Level l = parse_level(level);
        const fer::RecognizerOptions options =
            recognizer_options(detector, margin, flip, align, require_eyes);
        fer::ExpressionClassifier classifier =
            fer::ExpressionClassifier::load({expression_model(model, l)}, p);
        recognizer_ = detect
                          ? make_recognizer(detector, std::move(classifier), options)
                          : std::make_shared<const fer::Recognizer>(std::move(classifier), options);
        level_ = level;
        detector_ = detect ? detector.detector : "none";
    }

    std::vector<fer::FaceResult> recognize(const py::handle& image, bool bgr) {
        const fer::ImageView view = image_view(image, bgr, "image");
        py::gil_scoped_release unlocked;
        auto ws = pool_.lease();
        return recognizer_->recognize(view, *ws);
    }

    std::vector<fer::FaceResult> classify_boxes(const py::handle& image,
                                                const std::vector<std::array<int, 4>>& boxes,
                                                bool bgr) {
        const fer::ImageView view = image_view(image, bgr, "image");
        std::vector<fer::Rect> rects;
        for (const auto& b : boxes) rects.push_back(fer::Rect{b[0], b[1], b[2], b[3]});
        py::gil_scoped_release unlocked;
        auto ws = pool_.lease();
        return recognizer_->classify_boxes(view, rects, *ws);
    }

    Classification classify(const py::handle& face, bool bgr) {
        const fer::ImageView view = image_view(face, bgr, "face");
        Classification c;
        {
            py::gil_scoped_release unlocked;
            auto ws = pool_.lease();
            c.probabilities = recognizer_->classify_face(view, *ws).probabilities;
        }
        c.label = fer::top_expression(c.probabilities);
        c.score = c.probabilities[std::size_t(c.label)];
        return c;
    }

    // The C++ call alone, `repeats` times, in seconds: what the binding's overhead is measured
    // against (python/bench/binding_overhead.py).
    double time_native_recognize(const py::handle& image, int repeats, bool bgr) {
        const fer::ImageView view = image_view(image, bgr, "image");
        py::gil_scoped_release unlocked;
        auto ws = pool_.lease();
        const auto start = std::chrono::steady_clock::now();
        for (int i = 0; i < repeats; ++i) recognizer_->recognize(view, *ws);
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }

    std::shared_ptr<const fer::Recognizer> shared() const { return recognizer_; }
    std::string repr() const {
        return "fer.Recognizer(level='" + level_ + "', detector='" + detector_ + "')";
    }

  private:
    std::shared_ptr<const fer::Recognizer> recognizer_;
    WorkspacePool<fer::Recognizer::Workspace> pool_;
    std::string level_, detector_;
};

class Detector {
  public:
    explicit Detector(const DetectorSettings& settings)
        : kind_(parse_detector(settings.detector)),
          options_(recognizer_options(settings, 0.0, false, false, false)) {
        fer::detail::check_detection_options(options_.detection);
        fer::detail::check_blazeface_options(options_.blazeface);
        if (kind_ == fer::DetectorKind::blazeface)
            blazeface_ = std::make_shared<const fer::BlazeFaceDetector>(
                fer::load_network(shipped_file("blazeface.gguf")));
        else
            cascade_ = std::make_shared<const fer::CascadeDetector>(
                fer::load_cascade(fer::default_face_cascade_path()));
    }

    std::vector<Detection> detect(const py::handle& image, bool bgr) {
        const fer::ImageView view = image_view(image, bgr, "image");
        py::gil_scoped_release unlocked;
        std::vector<Detection> out;
        if (blazeface_) {
            auto ws = pool_.lease();
            for (const fer::FaceDetection& d : blazeface_->detect(view, *ws, options_.blazeface))
                out.push_back({fer::FoundFace{d.box(), d.score, 0, true, d.keypoints}});
            return out;
        }
        fer::Image converted;
        const fer::ImageView gray = view.format() == fer::PixelFormat::gray
                                        ? view
                                        : (converted = fer::to_gray(view)).view();
        for (const fer::Detection& d : cascade_->detect(gray, options_.detection))
            out.push_back({fer::FoundFace{d.box, 0.0f, d.neighbors, false, {}}});
        return out;
    }

    std::string repr() const {
        return std::string("fer.Detector(detector='") + fer::detector_name(kind_) + "')";
    }

  private:
    fer::DetectorKind kind_;
    fer::RecognizerOptions options_;
    std::shared_ptr<const fer::BlazeFaceDetector> blazeface_;
    std::shared_ptr<const fer::CascadeDetector> cascade_;
    WorkspacePool<fer::BlazeFaceDetector::Workspace> pool_;
};

class FaceTracker {
  public:
    FaceTracker(const std::string& level, const std::optional<std::string>& model,
                const std::string& precision, const DetectorSettings& detector, double margin,
                bool align, const fer::TrackerOptions& options) {
        fer::ExpressionClassifier classifier = fer::ExpressionClassifier::load(
            {expression_model(model, parse_level(level))}, parse_precision(precision));
        tracker_.emplace(make_recognizer(detector, std::move(classifier),
                                         recognizer_options(detector, margin, false, align, false)),
                         options);
    }

    // A copy of the faces: the tracker's own vector changes with the next frame.
    std::vector<fer::TrackedFace> process(const py::handle& frame, bool bgr) {
        const fer::ImageView view = image_view(frame, bgr, "frame");
        py::gil_scoped_release unlocked;
        // One frame at a time: a stream has an order.
        std::lock_guard<std::mutex> lock(mutex_);
        return tracker_->process(view);
    }

  private:
    std::mutex mutex_;
    std::optional<fer::FaceTracker> tracker_;
};

// ---- Reprs and dicts ----

std::string format_box(const fer::Rect& r) {
    return "(" + std::to_string(r.x) + ", " + std::to_string(r.y) + ", " + std::to_string(r.width) +
           ", " + std::to_string(r.height) + ")";
}

std::string format_score(float score) {
    char text[32];
    std::snprintf(text, sizeof text, "%.4f", double(score));
    return text;
}

// The keys of `fer classify`'s JSON for one face.
py::dict face_dict(const fer::FaceResult& f) {
    py::dict d;
    d["box"] = py::make_tuple(f.box.x, f.box.y, f.box.width, f.box.height);
    d["label"] = fer::to_string(f.label);
    d["score"] = f.score;
    d["probabilities"] = probabilities_dict(f.probabilities);
    d["aligned"] = f.aligned;
    if (f.aligned) d["roll"] = f.roll_degrees;
    if (f.detection.has_keypoints) {
        d["face_score"] = f.detection.score;
        d["keypoints"] = keypoints_dict(f.detection);
    }
    return d;
}

}  // namespace

PYBIND11_MODULE(_fer, m) {
    m.doc() = "fer's C++ library: facial expression recognition on NumPy arrays.";
    py::register_exception<fer::error>(m, "Error", PyExc_RuntimeError);
    // NumPy's C API table is a function-local static that imports numpy when first used: made
    // here, under the import lock, not by two threads at once (one holding the GIL while it
    // waits for the other's static initialization, which waits for the GIL: a deadlock).
    (void)py::dtype::of<std::uint8_t>();

    m.attr("EXPRESSIONS") = [] {
        py::list names;
        for (int i = 0; i < fer::expression_count; ++i)
            names.append(fer::to_string(fer::Expression(i)));
        return py::tuple(names);
    }();
    m.attr("KEYPOINTS") = py::make_tuple(keypoint_names[0], keypoint_names[1], keypoint_names[2],
                                         keypoint_names[3], keypoint_names[4], keypoint_names[5]);
    m.attr("__version__") = FER_VERSION_STRING;

    m.def(
        "load_image",
        [](const std::string& path, bool gray) {
            fer::Image image;
            {
                py::gil_scoped_release unlocked;
                image =
                    fer::load_image(path, gray ? fer::PixelFormat::gray : fer::PixelFormat::rgb);
            }
            return to_array(std::move(image));
        },
        py::arg("path"), py::kw_only(), py::arg("gray") = false,
        "The picture in `path` (JPEG, PNG, BMP, PGM/PPM, ...) as a uint8 array: H x W x 3 RGB, "
        "or H x W with gray=True. Raises fer.Error for a missing or unreadable file.");

    py::class_<Classification>(m, "Classification",
                               "An expression: label, score and the seven probabilities.")
        .def_property_readonly("label",
                               [](const Classification& c) { return fer::to_string(c.label); })
        .def_property_readonly("score", [](const Classification& c) { return c.score; })
        .def_property_readonly(
            "probabilities",
            [](const Classification& c) { return probabilities_dict(c.probabilities); })
        .def("__repr__", [](const Classification& c) {
            return std::string("fer.Classification(label='") + fer::to_string(c.label) +
                   "', score=" + format_score(c.score) + ")";
        });

    py::class_<fer::FaceResult>(m, "Face", "A face found and classified in a picture.")
        .def_property_readonly(
            "box", [](const fer::FaceResult& f) { return box_tuple(f.box); },
            "(x, y, width, height) in pixels")
        .def_property_readonly("label",
                               [](const fer::FaceResult& f) { return fer::to_string(f.label); })
        .def_property_readonly(
            "score", [](const fer::FaceResult& f) { return f.score; }, "the label's probability")
        .def_property_readonly(
            "probabilities",
            [](const fer::FaceResult& f) { return probabilities_dict(f.probabilities); })
        .def_property_readonly(
            "aligned", [](const fer::FaceResult& f) { return f.aligned; },
            "whether the crop was turned to level the eyes")
        .def_property_readonly(
            "roll",
            [](const fer::FaceResult& f) {
                return f.aligned ? py::object(py::float_(f.roll_degrees)) : py::object(py::none());
            },
            "the eyes' slope in degrees when aligned, else None")
        .def_property_readonly(
            "face_score", [](const fer::FaceResult& f) { return face_score(f.detection); },
            "BlazeFace's confidence (0-1); None from the cascade")
        .def_property_readonly(
            "keypoints", [](const fer::FaceResult& f) { return keypoints_dict(f.detection); },
            "BlazeFace's six keypoints {name: (x, y)}; None from the cascade")
        .def("to_dict", &face_dict, "The keys and values of `fer classify`'s JSON for this face.")
        .def("__repr__", [](const fer::FaceResult& f) {
            return "fer.Face(box=" + format_box(f.box) + ", label='" + fer::to_string(f.label) +
                   "', score=" + format_score(f.score) + ")";
        });

    py::class_<Detection>(m, "Detection", "A face as a detector finds it.")
        .def_property_readonly("box", [](const Detection& d) { return box_tuple(d.face.box); })
        .def_property_readonly(
            "score", [](const Detection& d) { return face_score(d.face); },
            "BlazeFace's confidence (0-1); None from the cascade")
        .def_property_readonly(
            "neighbors", [](const Detection& d) { return d.face.neighbors; },
            "the cascade's supporting window hits (0 from BlazeFace)")
        .def_property_readonly("keypoints",
                               [](const Detection& d) { return keypoints_dict(d.face); })
        .def("__repr__", [](const Detection& d) {
            return "fer.Detection(box=" + format_box(d.face.box) + ")";
        });

    py::class_<fer::TrackedFace>(m, "TrackedFace", "A face followed through video frames.")
        .def_property_readonly(
            "id", [](const fer::TrackedFace& f) { return f.id; },
            "the same for as long as the face is tracked")
        .def_property_readonly("box", [](const fer::TrackedFace& f) { return box_tuple(f.box); })
        .def_property_readonly("label",
                               [](const fer::TrackedFace& f) { return fer::to_string(f.label); })
        .def_property_readonly("score", [](const fer::TrackedFace& f) { return f.score; })
        .def_property_readonly(
            "probabilities",
            [](const fer::TrackedFace& f) { return probabilities_dict(f.probabilities); },
            "smoothed over the track's frames")
        .def_property_readonly(
            "raw_probabilities",
            [](const fer::TrackedFace& f) { return probabilities_dict(f.raw_probabilities); },
            "the last classification alone")
        .def_property_readonly("aligned", [](const fer::TrackedFace& f) { return f.aligned; })
        .def_property_readonly("first_frame",
                               [](const fer::TrackedFace& f) { return f.first_frame; })
        .def_property_readonly("face_score",
                               [](const fer::TrackedFace& f) { return face_score(f.detection); })
        .def_property_readonly(
            "keypoints", [](const fer::TrackedFace& f) { return keypoints_dict(f.detection); })
        .def("__repr__", [](const fer::TrackedFace& f) {
            return "fer.TrackedFace(id=" + std::to_string(f.id) + ", box=" + format_box(f.box) +
                   ", label='" + fer::to_string(f.label) + "', score=" + format_score(f.score) +
                   ")";
        });

    const DetectorSettings d;
    py::class_<Recognizer>(m, "Recognizer",
                           "Finds the faces in pictures and classifies their expressions. "
                           "Threads may share one.")
        .def(py::init([](const std::string& level, const std::optional<std::string>& model,
                         const std::string& precision, const std::string& detector,
                         float min_face_score, bool mirror_detection, int second_scale_from,
                         double scale_factor, int min_neighbors, int min_size, double margin,
                         bool flip, bool align, bool require_eyes, bool detect) {
                 return std::make_unique<Recognizer>(
                     level, model, precision,
                     DetectorSettings{detector, min_face_score, mirror_detection, second_scale_from,
                                      scale_factor, min_neighbors, min_size},
                     margin, flip, align, require_eyes, detect);
             }),
             py::kw_only(), py::arg("level") = fer::level_name(fer::default_level),
             py::arg("model") = py::none(), py::arg("precision") = "fp32",
             py::arg("detector") = d.detector, py::arg("min_face_score") = d.min_face_score,
             py::arg("mirror_detection") = d.mirror_detection,
             py::arg("second_scale_from") = d.second_scale_from,
             py::arg("scale_factor") = d.scale_factor, py::arg("min_neighbors") = d.min_neighbors,
             py::arg("min_size") = d.min_size, py::arg("margin") = 0.0, py::arg("flip") = false,
             py::arg("align") = true, py::arg("require_eyes") = false, py::arg("detect") = true)
        .def("recognize", &Recognizer::recognize, py::arg("image"), py::kw_only(),
             py::arg("bgr") = false,
             "Every face in `image` (uint8 H x W gray or H x W x 3 RGB; bgr=True for OpenCV's "
             "order), classified: a list of fer.Face, in the detector's order.")
        .def("classify_boxes", &Recognizer::classify_boxes, py::arg("image"), py::arg("boxes"),
             py::kw_only(), py::arg("bgr") = false,
             "The faces at `boxes` ((x, y, width, height) each, from another detector), "
             "classified.")
        .def("classify", &Recognizer::classify, py::arg("face"), py::kw_only(),
             py::arg("bgr") = false, "One face crop's expression: a fer.Classification.")
        .def("_time_native_recognize", &Recognizer::time_native_recognize, py::arg("image"),
             py::arg("repeats"), py::kw_only(), py::arg("bgr") = false)
        .def("__repr__", &Recognizer::repr);

    py::class_<Detector>(m, "Detector", "A face detector on its own. Threads may share one.")
        .def(py::init([](const std::string& detector, float min_face_score, bool mirror_detection,
                         int second_scale_from, double scale_factor, int min_neighbors,
                         int min_size) {
                 return std::make_unique<Detector>(
                     DetectorSettings{detector, min_face_score, mirror_detection, second_scale_from,
                                      scale_factor, min_neighbors, min_size});
             }),
             py::kw_only(), py::arg("detector") = d.detector,
             py::arg("min_face_score") = d.min_face_score,
             py::arg("mirror_detection") = d.mirror_detection,
             py::arg("second_scale_from") = d.second_scale_from,
             py::arg("scale_factor") = d.scale_factor, py::arg("min_neighbors") = d.min_neighbors,
             py::arg("min_size") = d.min_size)
        .def("detect", &Detector::detect, py::arg("image"), py::kw_only(), py::arg("bgr") = false,
             "The faces in `image`: a list of fer.Detection (BlazeFace: best first).")
        .def("__repr__", &Detector::repr);

    const fer::TrackerOptions t;
    py::class_<FaceTracker>(m, "FaceTracker",
                            "Follows faces through the frames of one video stream, with IDs and "
                            "smoothed probabilities. One frame at a time.")
        .def(py::init([](const std::string& level, const std::optional<std::string>& model,
                         const std::string& precision, const std::string& detector,
                         float min_face_score, double margin, bool align, int detect_interval,
                         int classify_interval, int max_missed, const std::string& smoothing,
                         double alpha, int window, int threads) {
                 fer::TrackerOptions options;
                 options.detect_interval = detect_interval;
                 options.classify_interval = classify_interval;
                 options.max_missed = max_missed;
                 options.min_face_score = min_face_score;
                 if (smoothing == "ema")
                     options.smoothing.method = fer::SmoothingMethod::ema;
                 else if (smoothing == "window")
                     options.smoothing.method = fer::SmoothingMethod::window;
                 else
                     throw py::value_error("smoothing must be 'ema' or 'window', not '" +
                                           smoothing + "'");
                 options.smoothing.alpha = alpha;
                 options.smoothing.window = window;
                 options.threads = threads;
                 DetectorSettings settings;
                 settings.detector = detector;
                 return std::make_unique<FaceTracker>(level, model, precision, settings, margin,
                                                      align, options);
             }),
             py::kw_only(), py::arg("level") = fer::level_name(fer::default_video_level),
             py::arg("model") = py::none(), py::arg("precision") = "fp32",
             py::arg("detector") = d.detector, py::arg("min_face_score") = t.min_face_score,
             py::arg("margin") = 0.0, py::arg("align") = true,
             py::arg("detect_interval") = t.detect_interval,
             py::arg("classify_interval") = t.classify_interval,
             py::arg("max_missed") = t.max_missed, py::arg("smoothing") = "ema",
             py::arg("alpha") = t.smoothing.alpha, py::arg("window") = t.smoothing.window,
             py::arg("threads") = t.threads)
        .def("process", &FaceTracker::process, py::arg("frame"), py::kw_only(),
             py::arg("bgr") = false,
             "The faces in this frame of the stream, in order of ID: a list of fer.TrackedFace. A "
             "frame of another size starts a new stream.");
}

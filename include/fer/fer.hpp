// fer - facial expression recognition for C++17, header-only, on plain CPUs.
//
// ============================================================================================
// USER MANUAL
// ============================================================================================
//
// What it does
//   Finds faces in pictures and video frames and says which of seven expressions each shows
//   (angry, disgust, fear, happy, sad, surprise, neutral), with the seven probabilities: two
//   face detectors, BlazeFace (MediaPipe's CNN with six keypoints, the default) and a
//   from-scratch Viola-Jones detector (reads OpenCV's cascade files, finds exactly OpenCV's
//   boxes, several times faster), alignment by the eyes, and a small CNN engine (fp32 or int8)
//   running models converted from TensorFlow.js, Keras or ONNX (weights/, tools/convert.py).
//   README.md has the measured accuracy and speed.
//
// Quick start
//   #include <fer/fer.hpp>
//
//   const fer::Recognizer recognizer = fer::Recognizer::with_defaults();  // BlazeFace + models
//   fer::Recognizer::Workspace ws;                                         // one per thread
//   for (const fer::FaceResult& f : recognizer.recognize(fer::load_image("group.jpg"), ws))
//       use(f.box, fer::to_string(f.label), f.score, f.probabilities);
//
//   The shipped models (the best speed level; with_defaults(options, precision, fer::Level::fast)
//   for video; a fourth argument fer::DetectorKind::haar for the cascades) are found through
//   FER_WEIGHTS_DIR (set by the CMake target) or the environment variable FER_MODEL; the
//   cascades at Debian's opencv-data path or through FER_FACE_CASCADE / FER_EYE_CASCADE.
//
//   The image layer and the detector on their own:
//   fer::Image photo = fer::load_image("group.jpg");            // rgb by default
//   fer::Image gray = fer::to_gray(photo);                       // BT.601, OpenCV-compatible
//   fer::Image small = fer::resize_area(gray, 320, 240);
//   fer::draw_rectangle(photo.mutable_view(), {40, 30, 120, 120}, {0, 200, 0});
//   fer::draw_label(photo.mutable_view(), {40, 30, 120, 120}, "face", {0, 200, 0});
//   fer::save_image("annotated.png", photo);
//
//   fer::CascadeDetector faces(fer::load_cascade(fer::default_face_cascade_path()));
//   for (const fer::Detection& face : faces.detect(photo))   // box, neighbors
//       fer::draw_rectangle(photo.mutable_view(), face.box, {0, 200, 0});
//
//   Caller pixels are used in place through views:
//   fer::ImageView frame(pixels, width, height, fer::PixelFormat::bgr, stride_in_bytes);
//
// Building
//   CMake: find_package(fer CONFIG REQUIRED) and target_link_libraries(app PRIVATE fer::fer).
//   pkg-config: pkg-config --cflags --libs fer.
//   Requires Eigen 3.4 and stb (Debian: libeigen3-dev, libstb-dev). fer itself is header-only;
//   stb's image codecs are linked from Debian's libstb.
//
// Conventions
//   - Pixels are 8-bit, interleaved gray, rgb or bgr; views carry their format and row stride.
//   - Rectangles are {x, y, width, height} in pixels, origin top-left.
//   - Functions take views and return new images; they never modify their inputs, except the
//     drawing functions, which draw onto the view they are given.
//
// Errors
//   Every failure throws fer::error (fer/error.hpp), whose what() is one line naming what was
//   wrong, what was expected and what was found. Inputs from outside (image files, caller
//   buffers) are validated before use; sizes are bounded by fer/limits.hpp before allocation.
//   The library never prints and never aborts.
//
// Threads
//   Functions are reentrant: they share no mutable state, so different threads may call them
//   freely; several threads may read one image at the same time. A CascadeDetector, a Network,
//   an ExpressionClassifier and a Recognizer are immutable once built: one instance may serve
//   several threads at once, each with its own Workspace.
//
// Headers (each usable on its own)
//   fer/error.hpp      fer::error, FER_ASSERT
//   fer/limits.hpp     every hard limit
//   fer/cpu.hpp        which SIMD kernels run here; FER_NO_SIMD turns them all off
//   fer/image.hpp      PixelFormat, Rect, ImageView, MutableImageView, Image
//   fer/imgproc.hpp    convert, to_gray, crop, resize_bilinear, resize_area, equalize_histogram
//   fer/integral.hpp   integral and squared integral images
//   fer/io.hpp         load_image, decode_image, save_image, encode_png, encode_jpeg
//   fer/draw.hpp       draw_rectangle, fill_rectangle, draw_text, draw_label
//   fer/file.hpp       read_file_bytes, write_file
//   fer/detect/blazeface.hpp        BlazeFaceDetector (CNN faces with six keypoints), FaceDetection
//   fer/detect/cascade.hpp          Cascade, load_cascade, parse_cascade (OpenCV's XML files)
//   fer/detect/detector.hpp         CascadeDetector, DetectionOptions, Detection
//   fer/detect/group.hpp            group_rectangles
//   fer/detect/eyes.hpp             find_eyes, EyePair (roll angle for alignment)
//   fer/detect/default_cascade.hpp  default_face_cascade_path, default_eye_cascade_path
//   fer/detect/default_detector.hpp DetectorKind (haar, blazeface), default_detector
//   fer/detect/detail/  the XML reader, window evaluation and vector scan (internal)
//   The CNN engine, fer/nn/:
//   fer/nn/tensor.hpp      Shape, Tensor, TensorView (HWC floats)
//   fer/nn/layer.hpp       the contract every layer kind keeps; LayerContext, Precision
//   fer/nn/layers.hpp      Layer (the registered kinds), read_layer, write_layer
//   fer/nn/layers/*.hpp    one header per kind: Conv2D, DepthwiseConv2D, Pool2D,
//                          GlobalAveragePool, Dense, AddLayer, ActivationLayer, SoftmaxLayer
//   fer/nn/kernels/*.hpp   kernels named by data type, tile and instruction set (f32_*, qs8_*),
//                          PackedConv2D and Int8Conv2D (a convolution's packed and int8 forms)
//   fer/nn/window.hpp      Padding, Pads, ConvGeometry, window geometry and im2col
//   fer/nn/activation.hpp  Activation
//   fer/nn/batchnorm.hpp   BatchNorm and fold_batchnorm (for converters)
//   fer/nn/quant.hpp       int8 semantics: quantize_per_channel, dequantize, error bounds
//   fer/nn/network.hpp     Network (layers with named inputs, shape checks, const forward in
//                          fp32 or int8)
//   fer/nn/calibrate.hpp   calibrate_int8 (int8 weights equalized and bias-corrected)
//   Model files, fer/model/:
//   fer/model/gguf.hpp        GgufFile (validating GGUF v3 reader), GgufWriter
//   fer/model/layer_io.hpp    LayerReader, LayerWriter (a layer's keys and tensors)
//   fer/model/model_file.hpp  load_network, save_network (GGUF model files)
//   Recognition:
//   fer/classifier.hpp ExpressionClassifier (one model or an ensemble, flip averaging), Expression
//   fer/ensemble.hpp   Combination (weights, mirroring, class bias, temperature), ensemble files
//   fer/default_model.hpp Level (fast, balanced, best), default_model_path, level_model_path
//   fer/pipeline.hpp   Recognizer (detect, crop, classify: photo -> labelled faces), FaceResult,
//                      FoundFace
//   fer/preprocess.hpp make_input (face crop -> network input: colour, resize, mirror, normalize)
//   fer/video/tracker.hpp       FaceTracker (faces through video: IDs, smoothing), TrackedFace
//   fer/video/smoothing.hpp     ProbabilitySmoother (ema or window average per face)
//   fer/video/match.hpp         iou, match_by_iou (greedy box assignment between frames)
//   fer/video/source.hpp        FrameSource (the interface of every frame source)
//   fer/video/y4m.hpp           Y4mReader, Y4mWriter (YUV4MPEG2 4:2:0 and mono streams)
//   fer/video/yuv.hpp           yuv420_to_rgb, rgb_to_yuv420 (BT.601, limited or full range)
//   fer/video/camera.hpp        V4l2Camera (Linux cameras, YUYV; FER_HAVE_V4L2)
//   fer/video/latest_frame.hpp  LatestFrameReader (live sources: drop frames, never lag)
//   fer/video/open.hpp          open_frame_source ("-", FILE.y4m, /dev/videoN)
//   fer/version.hpp    FER_VERSION_STRING
// ============================================================================================
#pragma once

#include "classifier.hpp"
#include "cpu.hpp"
#include "default_model.hpp"
#include "detect/blazeface.hpp"
#include "detect/cascade.hpp"
#include "detect/default_cascade.hpp"
#include "detect/default_detector.hpp"
#include "detect/detector.hpp"
#include "detect/eyes.hpp"
#include "detect/group.hpp"
#include "draw.hpp"
#include "ensemble.hpp"
#include "error.hpp"
#include "file.hpp"
#include "image.hpp"
#include "imgproc.hpp"
#include "integral.hpp"
#include "io.hpp"
#include "limits.hpp"
#include "model/gguf.hpp"
#include "model/layer_io.hpp"
#include "model/model_file.hpp"
#include "nn/activation.hpp"
#include "nn/batchnorm.hpp"
#include "nn/calibrate.hpp"
#include "nn/layer.hpp"
#include "nn/layers.hpp"
#include "nn/network.hpp"
#include "nn/quant.hpp"
#include "nn/tensor.hpp"
#include "nn/window.hpp"
#include "pipeline.hpp"
#include "preprocess.hpp"
#include "version.hpp"
#include "video/camera.hpp"
#include "video/latest_frame.hpp"
#include "video/match.hpp"
#include "video/open.hpp"
#include "video/smoothing.hpp"
#include "video/source.hpp"
#include "video/tracker.hpp"
#include "video/y4m.hpp"
#include "video/yuv.hpp"

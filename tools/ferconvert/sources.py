"""Reading a model of any supported kind into a Model: what tools/convert.py and tools/train.py
share. Labels and input normalization default to each source's own, from its code."""
from .graph import FER2013_LABELS

KINDS = ("tfjs", "faceapi", "keras", "onnx")

# Each source's own preprocessing: pixel * scale + offset[channel].
DEFAULT_NORMALIZATION = {
    # Human's emotion.ts and oarriaga's preprocess_input: (gray / 255 - 0.5) * 2.
    "tfjs": (2.0 / 255.0, [-1.0]),
    "keras": (2.0 / 255.0, [-1.0]),
    # face-api's FaceFeatureExtractor: (rgb - [122.782, 117.001, 104.298]) / 255.
    "faceapi": (1.0 / 255.0, [-122.782 / 255.0, -117.001 / 255.0, -104.298 / 255.0]),
    "onnx": (1.0 / 255.0, None),
}
FACEAPI_LABELS = ["neutral", "happy", "sad", "angry", "fear", "disgust", "surprise"]


def read(kind, path, labels=None, scale=None, offset=None):
    """The Model in `path`, a model file of `kind` (one of KINDS)."""
    labels = labels or (FACEAPI_LABELS if kind == "faceapi" else FER2013_LABELS)
    default_scale, default_offset = DEFAULT_NORMALIZATION[kind]
    scale = default_scale if scale is None else scale
    offset = default_offset if offset is None else offset
    if kind == "tfjs":
        from . import tfjs
        return tfjs.convert(path, labels, scale, offset)
    if kind == "faceapi":
        from . import faceapi
        return faceapi.convert(path, labels, scale, offset)
    if kind == "keras":
        from . import keras
        return keras.convert(path, labels, scale, offset)
    from . import onnx_import
    return onnx_import.convert(path, labels, scale, offset)

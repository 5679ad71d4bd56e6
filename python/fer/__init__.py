"""fer: facial expression recognition on plain CPUs, from NumPy arrays.

    import fer
    recognizer = fer.Recognizer()                  # the shipped models, BlazeFace detector
    image = fer.load_image("photo.jpg")            # uint8 H x W x 3, RGB
    for face in recognizer.recognize(image):
        print(face.box, face.label, face.score, face.probabilities)

Arrays are read in place: uint8, H x W (gray) or H x W x 3 (RGB; pass ``bgr=True`` for
OpenCV's channel order), pixels next to each other in each row. The GIL is released while the
library works, so threads sharing one Recognizer run in parallel. Errors from the library raise
``fer.Error`` with its one-line reason; wrong types, shapes and strides raise TypeError or
ValueError.
"""

from typing import Dict, List, Tuple, Union

from ._fer import (  # noqa: F401  (the public names)
    EXPRESSIONS,
    KEYPOINTS,
    Classification,
    Detection,
    Detector,
    Error,
    Face,
    FaceTracker,
    Recognizer,
    TrackedFace,
    __version__,
    load_image,
)

__all__ = [
    "EXPRESSIONS",
    "KEYPOINTS",
    "Classification",
    "Detection",
    "Detector",
    "Error",
    "FER",
    "Face",
    "FaceTracker",
    "Recognizer",
    "TrackedFace",
    "detect_emotions",
    "load_image",
    "__version__",
]

EmotionResult = Dict[str, Union[List[int], Dict[str, float]]]


def detect_emotions(image, *, bgr: bool = True, recognizer: "Recognizer | None" = None) -> List[EmotionResult]:
    """The faces of ``image`` in the result shape of the popular ``fer`` package:
    ``[{"box": [x, y, w, h], "emotions": {"angry": ..., ..., "neutral": ...}}]``.

    Like that package it takes OpenCV's BGR order by default (``bgr=False`` for RGB). Pass a
    ``recognizer`` to reuse one across calls (making one loads the models).
    """
    recognizer = recognizer or Recognizer()
    return [{"box": list(face.box), "emotions": face.probabilities}
            for face in recognizer.recognize(image, bgr=bgr)]


class FER:
    """A stand-in for the popular ``fer`` package's ``FER`` class: ``FER().detect_emotions(img)``
    and ``FER().top_emotion(img)`` with BGR input, backed by this library's recognizer.
    Keyword arguments go to ``fer.Recognizer``; that package's ``mtcnn`` argument is accepted
    and ignored (the default detector here is BlazeFace, a CNN)."""

    def __init__(self, mtcnn: bool = False, **recognizer_options) -> None:
        del mtcnn
        self._recognizer = Recognizer(**recognizer_options)

    def detect_emotions(self, img) -> List[EmotionResult]:
        return detect_emotions(img, bgr=True, recognizer=self._recognizer)

    def top_emotion(self, img) -> Tuple[Union[str, None], Union[float, None]]:
        """The first face's top expression and its score, or (None, None) without faces."""
        faces = self._recognizer.recognize(img, bgr=True)
        if not faces:
            return None, None
        return faces[0].label, faces[0].score

# Type hints for the compiled module (python/fer/_fer.cpp).
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import numpy.typing as npt

Image = npt.NDArray[np.uint8]
Box = Tuple[int, int, int, int]
Point = Tuple[float, float]

EXPRESSIONS: Tuple[str, ...]
KEYPOINTS: Tuple[str, ...]
__version__: str

class Error(RuntimeError): ...

def load_image(path: str, *, gray: bool = False) -> Image: ...

class Classification:
    @property
    def label(self) -> str: ...
    @property
    def score(self) -> float: ...
    @property
    def probabilities(self) -> Dict[str, float]: ...

class Face:
    @property
    def box(self) -> Box: ...
    @property
    def label(self) -> str: ...
    @property
    def score(self) -> float: ...
    @property
    def probabilities(self) -> Dict[str, float]: ...
    @property
    def aligned(self) -> bool: ...
    @property
    def roll(self) -> Optional[float]: ...
    @property
    def face_score(self) -> Optional[float]: ...
    @property
    def keypoints(self) -> Optional[Dict[str, Point]]: ...
    def to_dict(self) -> dict: ...

class Detection:
    @property
    def box(self) -> Box: ...
    @property
    def score(self) -> Optional[float]: ...
    @property
    def neighbors(self) -> int: ...
    @property
    def keypoints(self) -> Optional[Dict[str, Point]]: ...

class TrackedFace:
    @property
    def id(self) -> int: ...
    @property
    def box(self) -> Box: ...
    @property
    def label(self) -> str: ...
    @property
    def score(self) -> float: ...
    @property
    def probabilities(self) -> Dict[str, float]: ...
    @property
    def raw_probabilities(self) -> Dict[str, float]: ...
    @property
    def aligned(self) -> bool: ...
    @property
    def first_frame(self) -> int: ...
    @property
    def face_score(self) -> Optional[float]: ...
    @property
    def keypoints(self) -> Optional[Dict[str, Point]]: ...

class Recognizer:
    def __init__(
        self,
        *,
        level: str = "best",
        model: Optional[str] = None,
        precision: str = "fp32",
        detector: str = "blazeface",
        min_face_score: float = 0.36,
        mirror_detection: bool = True,
        second_scale_from: int = 800,
        scale_factor: float = 1.1,
        min_neighbors: int = 3,
        min_size: int = 30,
        margin: float = 0.0,
        flip: bool = False,
        align: bool = True,
        require_eyes: bool = False,
        detect: bool = True,
    ) -> None: ...
    def recognize(self, image: Image, *, bgr: bool = False) -> List[Face]: ...
    def classify_boxes(self, image: Image, boxes: Sequence[Box], *, bgr: bool = False) -> List[Face]: ...
    def classify(self, face: Image, *, bgr: bool = False) -> Classification: ...

class Detector:
    def __init__(
        self,
        *,
        detector: str = "blazeface",
        min_face_score: float = 0.36,
        mirror_detection: bool = True,
        second_scale_from: int = 800,
        scale_factor: float = 1.1,
        min_neighbors: int = 3,
        min_size: int = 30,
    ) -> None: ...
    def detect(self, image: Image, *, bgr: bool = False) -> List[Detection]: ...

class FaceTracker:
    def __init__(
        self,
        *,
        level: str = "fast",
        model: Optional[str] = None,
        precision: str = "fp32",
        detector: str = "blazeface",
        min_face_score: float = 0.5,
        margin: float = 0.0,
        align: bool = True,
        detect_interval: int = 0,
        classify_interval: int = 2,
        max_missed: int = 10,
        smoothing: str = "ema",
        alpha: float = 0.15,
        window: int = 10,
        threads: int = 1,
    ) -> None: ...
    def process(self, frame: Image, *, bgr: bool = False) -> List[TrackedFace]: ...

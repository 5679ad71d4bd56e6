"""The Python package against the C++ tool, across threads, and under hostile input.

Run by tools/test-python.sh (part of tools/test.sh) on the installed package. Photos come from
the pinned npm packages (tools/fetch-assets.sh); the C++ tool is build/fer, or FER_TOOL.
"""

import json
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

import fer

TOP = Path(__file__).resolve().parents[2]
PHOTOS = sorted((TOP / "assets" / "face-api").glob("sample*.jpg"))
TOOL = Path(os.environ.get("FER_TOOL", TOP / "build" / "fer"))

needs_photos = pytest.mark.skipif(not PHOTOS, reason="no sample photos: run tools/fetch-assets.sh")
needs_tool = pytest.mark.skipif(not TOOL.exists(), reason=f"no C++ tool at {TOOL}")


@pytest.fixture(scope="module")
def recognizer():
    return fer.Recognizer()


def cli_json(*args):
    """One JSON object per line of `fer ARGS...`."""
    out = subprocess.run([str(TOOL), *map(str, args)], check=True, capture_output=True,
                         text=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def assert_close(a, b, rel=5e-4, abs_=1e-6):
    assert a == pytest.approx(b, rel=rel, abs=abs_)


def assert_same_faces(python_faces, cli_faces):
    """Python's faces and the tool's JSON, which prints 4 significant digits."""
    assert len(python_faces) == len(cli_faces)
    for face, expected in zip(python_faces, cli_faces):
        got = face.to_dict()
        assert list(got["box"]) == expected["box"]
        assert got["label"] == expected["label"]
        assert_close(got["score"], expected["score"])
        assert got["probabilities"].keys() == expected["probabilities"].keys()
        for name, p in expected["probabilities"].items():
            assert_close(got["probabilities"][name], p)
        assert got["aligned"] == expected["aligned"]
        if "roll" in expected:
            assert got["roll"] == pytest.approx(expected["roll"], rel=5e-3, abs=1e-3)  # 3 digits
        if "keypoints" in expected:
            assert_close(got["face_score"], expected["face_score"])
            for name, point in expected["keypoints"].items():
                assert got["keypoints"][name] == pytest.approx(point, rel=1e-4, abs=0.01)


# ---- The same answers as the C++ tool ----

@needs_photos
@needs_tool
@pytest.mark.parametrize("detector", ["blazeface", "haar"])
def test_recognize_gives_the_tools_answers(detector):
    recognizer = fer.Recognizer(detector=detector)
    expected = cli_json("classify", "--detector", detector, *PHOTOS)
    assert len(expected) == len(PHOTOS)
    total = 0
    for photo, result in zip(PHOTOS, expected):
        image = fer.load_image(str(photo))
        assert image.shape == (result["height"], result["width"], 3)
        faces = recognizer.recognize(image)
        assert_same_faces(faces, result["faces"])
        total += len(faces)
    assert total >= len(PHOTOS)  # the sample photos have faces


@needs_photos
@needs_tool
def test_levels_and_options_reach_the_library():
    photo = PHOTOS[0]
    recognizer = fer.Recognizer(level="fast", flip=True, margin=0.1, align=False)
    expected = cli_json("classify", "--level", "fast", "--tta", "--margin", "0.1", "--no-align",
                        photo)
    assert_same_faces(recognizer.recognize(fer.load_image(str(photo))), expected[0]["faces"])


@needs_photos
@needs_tool
def test_classify_a_crop_as_the_tool_does():
    photo = PHOTOS[1]
    got = fer.Recognizer().classify(fer.load_image(str(photo)))
    expected = cli_json("classify", "--no-detect", photo)[0]["faces"][0]
    assert got.label == expected["label"]
    assert_close(got.score, expected["score"])
    for name, p in expected["probabilities"].items():
        assert_close(got.probabilities[name], p)


@needs_photos
def test_detectors_on_their_own_find_the_recognizers_faces(recognizer):
    image = fer.load_image(str(PHOTOS[2]))
    detections = fer.Detector().detect(image)
    faces = recognizer.recognize(image)
    assert [d.box for d in detections] == [f.box for f in faces]
    assert all(0 < d.score <= 1 and set(d.keypoints) == set(fer.KEYPOINTS) for d in detections)
    haar = fer.Detector(detector="haar").detect(image)
    assert haar and all(d.score is None and d.keypoints is None and d.neighbors > 3 for d in haar)


# ---- Pixel layouts: BGR, gray, slices ----

@needs_photos
def test_bgr_gray_and_sliced_arrays_read_in_place(recognizer):
    rgb = fer.load_image(str(PHOTOS[0]))
    faces = [f.to_dict() for f in recognizer.recognize(rgb)]
    bgr = np.ascontiguousarray(rgb[..., ::-1])
    assert [f.to_dict() for f in recognizer.recognize(bgr, bgr=True)] == faces
    assert [f.to_dict() for f in recognizer.recognize(bgr)] != faces  # the order matters

    gray = fer.load_image(str(PHOTOS[0]), gray=True)
    assert gray.ndim == 2 and gray.shape == rgb.shape[:2]
    assert len(recognizer.recognize(gray)) >= 1

    # A slice of a wider array: rows further apart than their pixels.
    wide = np.zeros((rgb.shape[0], rgb.shape[1] + 37, 3), np.uint8)
    wide[:, 13:13 + rgb.shape[1]] = rgb
    view = wide[:, 13:13 + rgb.shape[1]]
    assert not view.flags.c_contiguous
    assert [f.to_dict() for f in recognizer.recognize(view)] == faces


def test_load_image_round_trips_a_written_picture(tmp_path):
    # A 3 x 2 binary PPM, written by hand.
    pixels = np.arange(18, dtype=np.uint8).reshape(2, 3, 3)
    path = tmp_path / "tiny.ppm"
    path.write_bytes(b"P6\n3 2\n255\n" + pixels.tobytes())
    image = fer.load_image(str(path))
    assert image.dtype == np.uint8 and image.shape == (2, 3, 3)
    assert np.array_equal(image, pixels)


# ---- Threads ----

@needs_photos
def test_threads_sharing_a_recognizer_give_the_same_answers(recognizer):
    images = [fer.load_image(str(p)) for p in PHOTOS]
    expected = [[f.to_dict() for f in recognizer.recognize(i)] for i in images]
    with ThreadPoolExecutor(max_workers=4) as pool:
        got = list(pool.map(lambda i: [f.to_dict() for f in recognizer.recognize(i)],
                            images * 3))
    assert got == expected * 3


@needs_photos
def test_the_gil_is_released_while_the_library_works(recognizer):
    # With a switch interval of 100 s, a thread gives up the GIL only when it blocks or releases
    # it. The main thread sleeps 50 ms while a worker runs five recognize() calls (over 0.3 s):
    # if the binding held the GIL, the main thread could only wake once the worker had finished
    # all five; released, it wakes between them. No timing threshold: a loaded machine only
    # makes the worker slower.
    image = fer.load_image(str(PHOTOS[0]))
    calls_done = []

    def work():
        for _ in range(5):
            recognizer.recognize(image)
            calls_done.append(1)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(100.0)
    try:
        worker = threading.Thread(target=work)
        worker.start()
        time.sleep(0.05)
        done_when_awake = len(calls_done)
    finally:
        sys.setswitchinterval(interval)
    worker.join()
    assert done_when_awake < 5
    assert len(calls_done) == 5


# ---- The popular package's result shape ----

@needs_photos
def test_detect_emotions_has_the_popular_packages_shape(recognizer):
    rgb = fer.load_image(str(PHOTOS[0]))
    bgr = np.ascontiguousarray(rgb[..., ::-1])
    result = fer.detect_emotions(bgr, recognizer=recognizer)
    faces = recognizer.recognize(rgb)
    assert len(result) == len(faces) >= 1
    for entry, face in zip(result, faces):
        assert set(entry) == {"box", "emotions"}
        assert entry["box"] == list(face.box) and all(isinstance(v, int) for v in entry["box"])
        assert list(entry["emotions"]) == list(fer.EXPRESSIONS)
        assert entry["emotions"] == face.probabilities
        assert sum(entry["emotions"].values()) == pytest.approx(1.0, abs=1e-4)
    label, score = fer.FER().top_emotion(bgr)
    assert (label, score) == (faces[0].label, pytest.approx(faces[0].score))
    assert fer.FER().top_emotion(np.zeros((64, 64, 3), np.uint8)) == (None, None)


# ---- Video ----

@needs_photos
def test_a_tracker_keeps_ids_over_frames():
    frame = fer.load_image(str(PHOTOS[0]))
    tracker = fer.FaceTracker()
    frames = [tracker.process(frame) for _ in range(6)]
    ids = [[f.id for f in faces] for faces in frames]
    assert ids[0] and all(i == ids[0] for i in ids[1:])
    for face in frames[-1]:
        assert sum(face.probabilities.values()) == pytest.approx(1.0, abs=1e-4)
        assert face.label == max(face.probabilities, key=face.probabilities.get)
        assert face.first_frame == 0
    with pytest.raises(ValueError):
        tracker.process(np.zeros((10, 10, 4), np.uint8))


# ---- Hostile input ----

@pytest.mark.parametrize("bad, error", [
    (None, TypeError),
    ([[1, 2], [3, 4]], TypeError),
    (np.zeros((8, 8), np.float32), TypeError),
    (np.zeros((8, 8), np.uint16), TypeError),
    (np.zeros((8, 8), bool), TypeError),
    (np.zeros(8, np.uint8), ValueError),
    (np.zeros((2, 8, 8, 3), np.uint8), ValueError),
    (np.zeros((8, 8, 4), np.uint8), ValueError),
    (np.zeros((8, 8, 2), np.uint8), ValueError),
    (np.zeros((0, 8, 3), np.uint8), ValueError),
    (np.zeros((8, 0), np.uint8), ValueError),
    (np.zeros((8, 8, 3), np.uint8)[:, ::-1], ValueError),   # columns going backwards
    (np.zeros((8, 8, 3), np.uint8)[..., ::-1], ValueError),  # BGR by reversed channels
    (np.zeros((8, 8, 3), np.uint8)[::-1], ValueError),      # rows going upwards
    (np.zeros((8, 16, 3), np.uint8)[:, ::2], ValueError),   # every other pixel
    (np.zeros((3, 8, 8), np.uint8).transpose(1, 2, 0), ValueError),  # planar
    (np.lib.stride_tricks.as_strided(np.zeros(16, np.uint8), (1 << 20, 16), (0, 1)),
     ValueError),  # every row the same memory
    (np.lib.stride_tricks.as_strided(np.zeros(1, np.uint8), (1 << 30, 1 << 30), (0, 0)),
     ValueError),
])
def test_hostile_arrays_raise_not_crash(recognizer, bad, error):
    for call in (recognizer.recognize, recognizer.classify, fer.Detector().detect):
        with pytest.raises(error):
            call(bad)


def test_absurd_sizes_and_tiny_pictures_are_the_librarys_errors(recognizer):
    # A huge picture the array layout allows: fer's size limits answer, without reading it all.
    huge = np.lib.stride_tricks.as_strided(np.zeros(1 << 20, np.uint8), (1 << 20, 1 << 20),
                                           (1, 1))
    with pytest.raises((fer.Error, ValueError)):
        recognizer.recognize(huge)
    # A 1 x 1 picture is fine: no face in it.
    assert recognizer.recognize(np.zeros((1, 1, 3), np.uint8)) == []


def test_bad_options_and_files_say_why(tmp_path):
    with pytest.raises(ValueError, match="level"):
        fer.Recognizer(level="fastest")
    with pytest.raises(ValueError, match="precision"):
        fer.Recognizer(precision="fp16")
    with pytest.raises(ValueError, match="detector"):
        fer.Detector(detector="mtcnn")
    with pytest.raises(fer.Error, match="score"):
        fer.Recognizer(min_face_score=2.0)
    with pytest.raises(fer.Error, match="margin"):
        fer.Recognizer(margin=-1)
    with pytest.raises(fer.Error):
        fer.FaceTracker(classify_interval=0)
    with pytest.raises(ValueError, match="smoothing"):
        fer.FaceTracker(smoothing="kalman")
    with pytest.raises(fer.Error):
        fer.load_image(str(tmp_path / "missing.jpg"))
    corrupt = tmp_path / "corrupt.jpg"
    corrupt.write_bytes(b"\xff\xd8\xff\xe0" + os.urandom(200))
    with pytest.raises(fer.Error):
        fer.load_image(str(corrupt))
    truncated = tmp_path / "truncated.gguf"
    truncated.write_bytes(b"GGUF\x03\x00\x00\x00" + bytes(5))
    with pytest.raises(fer.Error):
        fer.Recognizer(model=str(truncated))
    assert issubclass(fer.Error, RuntimeError)


def test_results_are_plain_python():
    assert fer.EXPRESSIONS == ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
    assert fer.__version__.count(".") == 2
    crop = np.full((48, 48), 128, np.uint8)
    c = fer.Recognizer(detect=False).classify(crop)
    assert c.label in fer.EXPRESSIONS and 0 < c.score <= 1
    assert "fer.Classification" in repr(c)
    assert sum(c.probabilities.values()) == pytest.approx(1.0, abs=1e-4)


@needs_photos
def test_threads_first_to_use_numpy_do_not_deadlock():
    # A fresh process whose first calls come from two threads at once: pybind11's NumPy table
    # is made when the module loads, not by whichever thread gets there first.
    script = (
        "import sys, threading, fer\n"
        "threads = [threading.Thread(target=fer.load_image, args=(p,)) for p in sys.argv[1:]]\n"
        "[t.start() for t in threads]\n"
        "[t.join() for t in threads]\n")
    subprocess.run([sys.executable, "-c", script, *map(str, PHOTOS * 2)], check=True, timeout=60)


@needs_photos
@pytest.mark.parametrize("mode", [[], ["--dask"]], ids=["threads", "dask"])
def test_the_folder_example_writes_one_line_per_photo(recognizer, tmp_path, mode):
    missing = tmp_path / "missing.jpg"
    run = subprocess.run(
        [sys.executable, str(TOP / "python/examples/folder.py"), "--workers", "2", *mode,
         str(PHOTOS[0].parent), str(missing)], capture_output=True, text=True, timeout=300)
    assert run.returncode == 1  # the missing photo
    lines = [json.loads(line) for line in run.stdout.splitlines()]
    assert [line["image"] for line in lines] == [str(p) for p in PHOTOS] + [str(missing)]
    assert "missing.jpg" in lines[-1]["error"]
    for photo, line in zip(PHOTOS, lines):
        expected = [f.to_dict() for f in recognizer.recognize(fer.load_image(str(photo)))]
        assert line["faces"] == json.loads(json.dumps(expected))


@needs_photos
def test_the_folder_example_runs_on_a_dask_distributed_cluster(recognizer):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        run = subprocess.run(
            [sys.executable, str(TOP / "python/examples/folder.py"), "--dask", "--scheduler",
             cluster.scheduler_address, *map(str, PHOTOS[:3])],
            capture_output=True, text=True, timeout=300, check=True)
    lines = [json.loads(line) for line in run.stdout.splitlines()]
    assert len(lines) == 3
    for photo, line in zip(PHOTOS[:3], lines):
        expected = [f.to_dict() for f in recognizer.recognize(fer.load_image(str(photo)))]
        assert line["faces"] == json.loads(json.dumps(expected))

#!/usr/bin/python3
"""Scores a face detector against ground-truth boxes: recall, precision, false positives per
image and average precision, at one or more IoU thresholds.

  tools/eval-detection.py GT.jsonl [--fer build/fer] [--iou 0.4 0.5] [--json]
                          [--pr-png FILE] [--mosaic N] [-- DETECT_OPTIONS...]
  tools/eval-detection.py GT.jsonl --detections DETECTIONS.jsonl [...]

GT.jsonl has one line per image, as ../shared/data/fddb-dev/gt.jsonl:
  {"image": "images/NAME.jpg", "faces": [[x, y, w, h], ...], "ignore": [[x, y, w, h], ...]}
with image paths relative to the file's folder. "ignore" boxes (faces too small to count) are
neither hits nor misses: a detection that matches one is left out.

The detections come from `fer detect` run over the images (options after `--` go to it, for
example `-- --min-neighbors 5`), or from a file of its JSON lines (--detections). Each detection
is ranked by its "score" when it has one, else by its "neighbors" (the cascade's supporting
hits).

Matching, per image and threshold: detections in order of rank, each takes the unmatched face
box it overlaps most if that IoU reaches the threshold (a hit); otherwise it is left out when it
overlaps an ignore box by the threshold, and is a false positive when not. Recall = hits / faces,
precision = hits / (hits + false positives), false positives per image over all images. Average
precision: detections of all images ranked together, the area under the precision-recall curve
with precision made non-increasing (all-point interpolation, as PASCAL VOC since 2010).

--mosaic N pastes the images N x N into larger pictures (cells the size of the largest image,
black around smaller ones, a last group made of what is left) and scores those: the same faces,
N times smaller against the picture, as in large photos of groups.

Exit status: 0, 1 when an input cannot be read or fer fails, 2 for a bad command line.
Needs Debian's python3-matplotlib only for --pr-png, python3-pil only for --mosaic.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class EvalError(Exception):
    """An input that cannot be used; the message says which and why."""


def read_boxes(value, where):
    if not isinstance(value, list):
        raise EvalError("%s: expected a list of [x, y, w, h] boxes" % where)
    boxes = []
    for box in value:
        if (not isinstance(box, list) or len(box) != 4 or
                not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in box)):
            raise EvalError("%s: a box is not [x, y, w, h] numbers: %r" % (where, box))
        if not (box[2] > 0 and box[3] > 0):
            raise EvalError("%s: a box has no area: %r" % (where, box))
        boxes.append([float(v) for v in box])
    return boxes


def read_jsonl(path):
    try:
        with open(path) as f:
            lines = f.read().splitlines()
    except OSError as e:
        raise EvalError("%s: %s" % (path, e.strerror))
    rows = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as e:
            raise EvalError("%s line %d: not JSON (%s)" % (path, n, e))
        if not isinstance(row, dict) or not isinstance(row.get("image"), str):
            raise EvalError("%s line %d: expected an object with an \"image\" path" % (path, n))
        rows.append((n, row))
    return rows


def read_ground_truth(path):
    """[(image path as written, absolute path, faces, ignore)]"""
    folder = os.path.dirname(os.path.abspath(path))
    images, seen = [], set()
    for n, row in read_jsonl(path):
        where = "%s line %d" % (path, n)
        if row["image"] in seen:
            raise EvalError("%s: %s is listed twice" % (where, row["image"]))
        seen.add(row["image"])
        images.append((row["image"], os.path.join(folder, row["image"]),
                       read_boxes(row.get("faces", []), where + " faces"),
                       read_boxes(row.get("ignore", []), where + " ignore")))
    if not images:
        raise EvalError("%s: no images" % path)
    return images


def make_mosaics(images, n, folder):
    """Ground truth of the images pasted n x n into pictures written to `folder`."""
    from PIL import Image  # Debian's python3-pil; only this option needs it
    opened = []
    for written, absolute, faces, ignore in images:
        try:
            opened.append((Image.open(absolute).convert("RGB"), faces, ignore))
        except OSError as e:
            raise EvalError("%s: %s" % (absolute, e))
    cell_w = max(im.width for im, _, _ in opened)
    cell_h = max(im.height for im, _, _ in opened)
    out = []
    for first in range(0, len(opened), n * n):
        canvas = Image.new("RGB", (cell_w * n, cell_h * n))
        faces, ignore = [], []
        for k, (im, f, i) in enumerate(opened[first:first + n * n]):
            dx, dy = (k % n) * cell_w, (k // n) * cell_h
            canvas.paste(im, (dx, dy))
            faces += [[x + dx, y + dy, w, h] for x, y, w, h in f]
            ignore += [[x + dx, y + dy, w, h] for x, y, w, h in i]
        name = "mosaic%04d.png" % (first // (n * n))
        canvas.save(os.path.join(folder, name))
        out.append((name, os.path.join(folder, name), faces, ignore))
    return out


def detection_rows(rows, source):
    """image path -> [(score, box)] from `fer detect` JSON lines."""
    out = {}
    for n, row in rows:
        where = "%s line %d" % (source, n)
        faces = row.get("faces")
        if not isinstance(faces, list):
            raise EvalError("%s: expected \"faces\", a list" % where)
        found = []
        for face in faces:
            if not isinstance(face, dict):
                raise EvalError("%s: a face is not an object" % where)
            box = read_boxes([face.get("box")], where)[0]
            score = face.get("score", face.get("neighbors"))
            if not isinstance(score, (int, float)) or isinstance(score, bool):
                raise EvalError("%s: a face has neither a score nor neighbors" % where)
            found.append((float(score), box))
        out[row["image"]] = found
    return out


def run_fer(fer, images, options):
    """Detections of `fer detect` on the images, keyed like the ground truth."""
    if not (os.path.isfile(fer) and os.access(fer, os.X_OK)):
        raise EvalError("no fer binary at %s (build it, or pass --fer)" % fer)
    command = [fer, "detect"] + options + [absolute for _, absolute, _, _ in images]
    result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            universal_newlines=True)
    if result.returncode != 0:
        raise EvalError("fer detect failed: %s" % (result.stderr.strip().splitlines() or
                                                  ["exit status %d" % result.returncode])[-1])
    rows = [(n, json.loads(line)) for n, line in enumerate(result.stdout.splitlines(), 1)]
    by_path = detection_rows(rows, "fer detect output")
    return {written: by_path.get(absolute, []) for written, absolute, _, _ in images}


def iou(a, b):
    ix = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)


def match_image(detections, faces, ignore, threshold):
    """[(score, hit)] for the detections that count (ignored ones left out)."""
    taken = [False] * len(faces)
    out = []
    for score, box in sorted(detections, key=lambda d: -d[0]):
        best, best_iou = -1, threshold
        for i, face in enumerate(faces):
            overlap = iou(box, face)
            if not taken[i] and overlap >= best_iou:
                best, best_iou = i, overlap
        if best >= 0:
            taken[best] = True
            out.append((score, True))
        elif not any(iou(box, g) >= threshold for g in ignore):
            out.append((score, False))
    return out


def average_precision(ranked, faces):
    """Area under the interpolated precision-recall curve; ranked = [(score, hit)] of all images."""
    if faces == 0:
        return 0.0, []
    ranked = sorted(ranked, key=lambda d: -d[0])
    hits = misses = 0
    curve = []  # (recall, precision) after each detection
    for _, hit in ranked:
        hits += hit
        misses += not hit
        curve.append((hits / faces, hits / (hits + misses)))
    area, previous_recall = 0.0, 0.0
    for i, (recall, _) in enumerate(curve):
        best_after = max(p for _, p in curve[i:])
        area += (recall - previous_recall) * best_after
        previous_recall = recall
    return area, curve


def score(images, detections, threshold):
    ranked, faces = [], 0
    for written, _, gt_faces, ignore in images:
        ranked += match_image(detections.get(written, []), gt_faces, ignore, threshold)
        faces += len(gt_faces)
    hits = sum(1 for _, hit in ranked if hit)
    false_positives = len(ranked) - hits
    ap, curve = average_precision(ranked, faces)
    return {
        "iou": threshold,
        "images": len(images),
        "faces": faces,
        "detections": len(ranked),
        "hits": hits,
        "false_positives": false_positives,
        "recall": hits / faces if faces else 0.0,
        "precision": hits / len(ranked) if ranked else 0.0,
        "false_positives_per_image": false_positives / len(images),
        "average_precision": ap,
    }, curve


def draw_curves(path, curves):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    figure, axes = plt.subplots(figsize=(5, 4.5))
    for threshold, curve, ap in curves:
        axes.plot([r for r, _ in curve], [p for _, p in curve],
                  label="IoU %.2g: AP %.3f" % (threshold, ap))
    axes.set_xlabel("recall")
    axes.set_ylabel("precision")
    axes.set_xlim(0, 1)
    axes.set_ylim(0, 1.02)
    axes.grid(alpha=0.3)
    axes.legend(loc="lower left")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def main():
    argv = sys.argv[1:]
    detect_options = []
    if "--" in argv:
        cut = argv.index("--")
        argv, detect_options = argv[:cut], argv[cut + 1:]
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("ground_truth", metavar="GT.jsonl")
    parser.add_argument("--fer", default=os.path.join(TOP, "build", "fer"))
    parser.add_argument("--detections", metavar="FILE.jsonl",
                        help="fer detect's JSON lines instead of running it")
    parser.add_argument("--iou", type=float, nargs="+", default=[0.4, 0.5],
                        help="IoU thresholds for a hit (default 0.4 0.5)")
    parser.add_argument("--json", action="store_true", help="one JSON object per threshold")
    parser.add_argument("--pr-png", metavar="FILE", help="draw the precision-recall curves")
    parser.add_argument("--mosaic", type=int, metavar="N",
                        help="score the images pasted N x N into larger pictures")
    args = parser.parse_args(argv)
    if not all(0 < t <= 1 for t in args.iou):
        parser.error("--iou thresholds must be above 0 and at most 1")
    if args.mosaic is not None and not 1 <= args.mosaic <= 8:
        parser.error("--mosaic expects 1 to 8")
    if args.mosaic and args.detections:
        parser.error("--mosaic runs fer detect on the pictures it makes; drop --detections")
    try:
        images = read_ground_truth(args.ground_truth)
        with tempfile.TemporaryDirectory() as folder:
            if args.mosaic:
                images = make_mosaics(images, args.mosaic, folder)
            return report(args, images, detect_options)
    except EvalError as e:
        print("eval-detection: %s" % e, file=sys.stderr)
        return 1


def report(args, images, detect_options):
    """Scores the detections on `images` and prints them; the exit status."""
    if args.detections:
        detections = detection_rows(read_jsonl(args.detections), args.detections)
    else:
        detections = run_fer(args.fer, images, detect_options)
    curves = []
    for threshold in args.iou:
        result, curve = score(images, detections, threshold)
        curves.append((threshold, curve, result["average_precision"]))
        if args.json:
            print(json.dumps(result))
        else:
            print("IoU >= %.2g: recall %.3f, precision %.3f, %.3f false positives per image, "
                  "average precision %.3f (%d images, %d faces, %d hits, %d false)" % (
                      threshold, result["recall"], result["precision"],
                      result["false_positives_per_image"], result["average_precision"],
                      result["images"], result["faces"], result["hits"],
                      result["false_positives"]))
    if args.pr_png:
        draw_curves(args.pr_png, curves)
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Holds a fer build's Viola-Jones detector to OpenCV's: for each photo and cascade, the raw window
hits (min_neighbors 0) and the grouped boxes (min_neighbors 3) of `fer detect --detector haar`
must equal those of OpenCV's CascadeClassifier.detectMultiScale (Python's cv2), box for box.
Both read the same gray pixels: each photo is decoded once by OpenCV (and resized by --scale,
with area averaging) and written as a gray PNG.
Used by tools/cross.sh to check the cross-built tool under qemu, where there is no OpenCV.

    detector-parity.py [--fer 'COMMAND'] [--scale S] [--cascades DIR] PHOTO...

--fer is the command that runs the fer tool (default build/fer), split as a shell would.
"""

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
from collections import Counter

# The default cascade and one with other stage sizes; both take the vector scan. (Tilted
# features, in the smile cascade, are held to the plain scan by the unit tests: at full size one
# of its raw hits on a level's last row differs from OpenCV's on x86 too.)
CASCADES = ["haarcascade_frontalface_default.xml", "haarcascade_frontalface_alt.xml"]
SCALE_FACTOR = 1.1


def fer_boxes(command, cascade, min_neighbors, images):
    out = subprocess.run(command + ["detect", "--detector", "haar", "--cascade", cascade,
                                    "--min-neighbors", str(min_neighbors)] + images,
                         check=True, capture_output=True, text=True).stdout
    results = [json.loads(line) for line in out.splitlines() if line.strip()]
    if len(results) != len(images):
        sys.exit(f"detector-parity: {len(images)} images given, {len(results)} answers")
    return [Counter(tuple(face["box"]) for face in r["faces"]) for r in results]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("photos", nargs="+")
    parser.add_argument("--fer", default="build/fer")
    parser.add_argument("--cascades", default="/usr/share/opencv4/haarcascades")
    parser.add_argument("--scale", type=float, default=1.0,
                        help="resize the photos by this factor first (default 1)")
    args = parser.parse_args()
    try:
        import cv2
    except ImportError:
        sys.exit("detector-parity: needs OpenCV's Python module (Debian: python3-opencv)")
    command = shlex.split(args.fer)
    problems, compared = [], 0
    with tempfile.TemporaryDirectory() as folder:
        grays = []
        for i, photo in enumerate(args.photos):
            gray = cv2.imread(photo, cv2.IMREAD_GRAYSCALE)
            if gray is None:
                sys.exit(f"detector-parity: cannot read {photo}")
            if args.scale != 1.0:
                gray = cv2.resize(gray, None, fx=args.scale, fy=args.scale,
                                  interpolation=cv2.INTER_AREA)
            path = os.path.join(folder, f"{i}.png")
            cv2.imwrite(path, gray)
            grays.append((photo, path, gray))
        for name in CASCADES:
            cascade = os.path.join(args.cascades, name)
            classifier = cv2.CascadeClassifier(cascade)
            if classifier.empty():
                sys.exit(f"detector-parity: cannot load {cascade} (Debian: opencv-data)")
            for min_neighbors in (0, 3):
                ours = fer_boxes(command, cascade, min_neighbors, [g[1] for g in grays])
                for (photo, _, gray), got in zip(grays, ours):
                    boxes = classifier.detectMultiScale(gray, SCALE_FACTOR, min_neighbors)
                    want = Counter(tuple(int(v) for v in b) for b in boxes)
                    compared += sum(want.values())
                    if got != want:
                        problems.append(
                            f"{photo}, {name}, min_neighbors {min_neighbors}: "
                            f"{sum((got - want).values())} boxes only fer's, "
                            f"{sum((want - got).values())} only OpenCV's, "
                            f"e.g. {list((got - want) + (want - got))[:3]}")
    for p in problems:
        print("detector-parity:", p, file=sys.stderr)
    if problems:
        return 1
    print(f"detector-parity: {compared} OpenCV boxes on {len(args.photos)} photos x "
          f"{len(CASCADES)} cascades x 2 settings, all equal")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""What the Python binding adds to the C++ call: recognize() on a photo from Python against the
same C++ recognize() looped in C++ (Recognizer._time_native_recognize), alternating rounds in one
run, on one thread. Prints per-call milliseconds and the median overhead over the rounds, for
the bare call and for the call plus every face's to_dict() (what a caller usually does next).

    python3 python/bench/binding_overhead.py [PHOTO] [--level best] [--rounds 7] [--calls 10]

The default photo, assets/face-api/sample4.jpg, has four faces (tools/fetch-assets.sh).
"""

import argparse
import statistics
import time
from pathlib import Path

import fer

TOP = Path(__file__).resolve().parents[2]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("photo", nargs="?", default=str(TOP / "assets/face-api/sample4.jpg"))
    parser.add_argument("--level", default="best", choices=["fast", "balanced", "best"])
    parser.add_argument("--detector", default="blazeface", choices=["blazeface", "haar"])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--calls", type=int, default=10, help="calls per round and kind")
    args = parser.parse_args()

    recognizer = fer.Recognizer(level=args.level, detector=args.detector)
    image = fer.load_image(args.photo)
    faces = len(recognizer.recognize(image))
    recognizer._time_native_recognize(image, 2)  # warm: workspaces, caches

    def python_bare():
        start = time.perf_counter()
        for _ in range(args.calls):
            recognizer.recognize(image)
        return time.perf_counter() - start

    def python_dicts():
        start = time.perf_counter()
        for _ in range(args.calls):
            [face.to_dict() for face in recognizer.recognize(image)]
        return time.perf_counter() - start

    times = {"c++": [], "python": [], "python+dicts": []}
    for _ in range(args.rounds):
        times["c++"].append(recognizer._time_native_recognize(image, args.calls))
        times["python"].append(python_bare())
        times["python+dicts"].append(python_dicts())

    print(f"{Path(args.photo).name}: {image.shape[1]}x{image.shape[0]}, {faces} faces, "
          f"level {args.level}, detector {args.detector}, {args.rounds} rounds of {args.calls} calls")
    native = statistics.median(times["c++"]) / args.calls * 1e3
    print(f"  c++ recognize          {native:8.3f} ms per call (median)")
    for kind in ("python", "python+dicts"):
        ms = statistics.median(times[kind]) / args.calls * 1e3
        overhead = statistics.median(p / c - 1 for p, c in zip(times[kind], times["c++"]))
        print(f"  {kind:<22} {ms:8.3f} ms per call, overhead {overhead * 100:+.2f}% "
              f"(median of per-round ratios)")


if __name__ == "__main__":
    main()

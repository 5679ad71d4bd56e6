#!/usr/bin/env python3
"""Compares two runs of `fer classify` (JSON lines): the same images, faces and labels, boxes
within --box-pixels, every probability within --tolerance. Used by tools/cross.sh to hold a
cross-built tool to the x86 build's answers.

    compare-classify.py [--tolerance 2e-3] [--box-pixels 1] EXPECTED.jsonl GOT.jsonl
"""

import argparse
import json
import sys


def read(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("expected")
    parser.add_argument("got")
    parser.add_argument("--tolerance", type=float, default=2e-3)
    parser.add_argument("--box-pixels", type=int, default=1)
    args = parser.parse_args()
    expected, got = read(args.expected), read(args.got)
    problems = []
    if len(expected) != len(got):
        problems.append(f"{len(expected)} images expected, {len(got)} got")
    faces = 0
    largest = 0.0
    for e, g in zip(expected, got):
        name = e.get("image")
        if g.get("image") != name:
            problems.append(f"image {name} expected, {g.get('image')} got")
            continue
        if len(e["faces"]) != len(g["faces"]):
            problems.append(f"{name}: {len(e['faces'])} faces expected, {len(g['faces'])} got")
            continue
        for k, (fe, fg) in enumerate(zip(e["faces"], g["faces"])):
            faces += 1
            where = f"{name} face {k + 1}"
            if max(abs(a - b) for a, b in zip(fe["box"], fg["box"])) > args.box_pixels:
                problems.append(f"{where}: box {fe['box']} expected, {fg['box']} got")
            if fe["label"] != fg["label"]:
                problems.append(f"{where}: {fe['label']} expected, {fg['label']} got")
            for expression, p in fe["probabilities"].items():
                difference = abs(p - fg["probabilities"][expression])
                largest = max(largest, difference)
                if difference > args.tolerance:
                    problems.append(f"{where}: {expression} {p} expected, "
                                    f"{fg['probabilities'][expression]} got")
    for problem in problems:
        print("compare-classify:", problem, file=sys.stderr)
    print(f"compare-classify: {len(got)} images, {faces} faces, largest probability difference "
          f"{largest:.2g}: {'different' if problems else 'the same'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

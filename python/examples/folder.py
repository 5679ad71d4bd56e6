#!/usr/bin/env python3
"""The faces and expressions of every photo in folders, one JSON line per photo on stdout.

    folder.py photos/                        # threads sharing one recognizer (all CPUs)
    folder.py --workers 4 photos/ more.jpg   # four threads
    folder.py --dask photos/                 # a Dask bag over worker processes
    folder.py --dask --scheduler tcp://host:8786 photos/  # on a dask.distributed cluster

Threads scale because fer releases the GIL while it works; they share one recognizer (the models
load once). Dask splits the list into partitions, and each partition loads its own recognizer
where it runs: worker processes here, or the machines of a cluster (each with this package
installed and the photos at the same paths, e.g. a shared file system). Lines come in the order
of the input; a photo that cannot be read gets an "error" line and the exit status is 1.
"""

import argparse
import json
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import fer

PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".pgm", ".ppm", ".tga", ".gif"}


def photos_in(paths):
    """The photos named, and those in the folders named (recursively, sorted)."""
    for path in map(Path, paths):
        if path.is_dir():
            yield from sorted(str(p) for p in path.rglob("*") if p.suffix.lower() in PHOTO_SUFFIXES)
        else:
            yield str(path)


def result_line(recognizer, path):
    """One photo's JSON line: the keys of `fer classify`'s output."""
    try:
        image = fer.load_image(path)
    except fer.Error as e:
        return json.dumps({"image": path, "error": str(e)})
    faces = [face.to_dict() for face in recognizer.recognize(image)]
    return json.dumps({"image": path, "width": image.shape[1], "height": image.shape[0],
                       "faces": faces})


def with_threads(paths, workers, options):
    recognizer = fer.Recognizer(**options)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        yield from pool.map(lambda p: result_line(recognizer, p), paths)


def partition_lines(paths, options):
    """A Dask partition: its own recognizer, wherever the partition runs."""
    recognizer = fer.Recognizer(**options)
    return [result_line(recognizer, p) for p in paths]


def with_dask(paths, scheduler, workers, options):
    import dask.bag

    bag = dask.bag.from_sequence(paths, npartitions=max(1, min(len(paths), 4 * workers)))
    lines = bag.map_partitions(partition_lines, options)
    if scheduler:  # a dask.distributed cluster (Debian's python3-distributed)
        from dask.distributed import Client

        with Client(scheduler):
            return lines.compute()
    return lines.compute(scheduler="processes", num_workers=workers)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="+", metavar="PATH", help="photos and folders of photos")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                        help="threads, or Dask worker processes (default: the CPUs)")
    parser.add_argument("--dask", action="store_true",
                        help="run as a Dask bag over worker processes (or --scheduler's cluster)")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="with --dask: the dask.distributed scheduler, e.g. tcp://host:8786")
    parser.add_argument("--level", default="best", choices=["fast", "balanced", "best"],
                        help="the shipped models' speed level (default: best)")
    parser.add_argument("--detector", default="blazeface", choices=["blazeface", "haar"],
                        help="the face detector (default: blazeface)")
    args = parser.parse_args()
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    paths = list(photos_in(args.paths))
    if not paths:
        parser.error("no photos found in " + " ".join(args.paths))
    options = {"level": args.level, "detector": args.detector}
    if args.scheduler and not args.dask:
        parser.error("--scheduler goes with --dask")
    if args.dask:
        lines = with_dask(paths, args.scheduler, args.workers, options)
    else:
        lines = with_threads(paths, args.workers, options)
    failed = False
    progress = sys.stderr.isatty()
    for i, line in enumerate(lines, 1):
        print(line, flush=True)
        failed |= "error" in json.loads(line)
        if progress:
            print(f"folder.py: {i}/{len(paths)} photos", file=sys.stderr, end="\r")
    if progress:
        print(file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

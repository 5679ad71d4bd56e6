#!/usr/bin/python3
"""Compares fer's outputs with a reference framework's on the same inputs.
usage: compare.py RUN_DIR TOLERANCE [--relative]
Both sides are in the model's own output order. Exit status 0 when every probability is within
TOLERANCE, 1 otherwise. --relative: each difference is divided by 1 + the reference value's
magnitude (raw scores and box offsets of a detector, which reach hundreds)."""
import json
import os
import sys

import numpy as np

run, tolerance = sys.argv[1], float(sys.argv[2])
relative = sys.argv[3:] == ["--relative"]
meta = json.load(open(os.path.join(run, "meta.json")))
ours = np.fromfile(os.path.join(run, "probabilities.f32"), np.float32).reshape(meta["n"], -1)
theirs = np.fromfile(os.path.join(run, "reference.f32"), np.float32).reshape(meta["n"], -1)
worst = float((np.abs(ours - theirs) / (1 + np.abs(theirs) if relative else 1)).max())
agree = float((ours.argmax(1) == theirs.argmax(1)).mean())
print("%d inputs: largest %sdifference %.3g (tolerance %g), top-1 agreement %.2f%%" %
      (meta["n"], "relative " if relative else "", worst, tolerance, 100 * agree))
sys.exit(0 if worst <= tolerance else 1)

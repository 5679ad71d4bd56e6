#!/usr/bin/python3
"""Fits the speed levels' ensembles on the three dev sets and writes them as ensemble files.

  tools/fit-ensemble.py fit [--fer build/fer] [--out weights/ensembles.json]
  tools/fit-ensemble.py write weights/ensembles.json OUT_DIR

`fit` runs `fer eval --predictions` for each shipped model, with and without the mirrored face,
on FER2013 val (crops), kdef-dev (whole portraits, through detection) and wild-dev (crops), all
from ../shared/data (FER_DEV_DATA to point elsewhere). For each level in LEVELS it then fits, on
those predictions:
  1. one weight per member (a grid over the simplex, step 0.05): the members' probabilities are
     mixed linearly;
  2. one bias per class, added to the log of the mixture (coordinate search in [-0.5, 0.5],
     step 0.05, three rounds, with an L2 penalty of BIAS_PENALTY): the three sets have different
     class shares, the bias finds the prior that suits all of them; unpenalized and over [-1, 1]
     it fitted the dev sets better and held-out halves worse;
  3. a temperature that divides the biased log-mixture (the lowest mean log loss over the three
     sets pooled): it calibrates the probabilities and leaves every top label as it is.
The objective of 1 and 2 is the mean of FER2013 accuracy, kdef accuracy and wild macro-F1, with
a steep penalty (100 per unit) for any set that falls more than one point below the best single
model on it. The
fit is repeated on half of each set and scored on the other half, both ways round (two-fold by
rows), so that the printout shows how much of the gain holds on faces the fit did not see.

`write` turns the JSON into one ensemble file per level (fer/ensemble.hpp), next to the member
models: make-weights.sh runs it, so the shipped files are regenerated without the dev sets.
Needs Debian's python3-numpy.
"""
import argparse
import csv
import itertools
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402

from ferconvert.gguf import Writer  # noqa: E402

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXPRESSIONS = ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]
MODELS = {  # member name -> shipped file
    "human": "human-emotion-int8.gguf",
    "faceapi": "faceapi-expression-int8.gguf",
    "xception": "xception-int8.gguf",
    "faceapi_ft": "faceapi-expression-ft-int8.gguf",
}
# level -> members, each (model, with its mirrored face); the cost per face is the sum of the
# members' passes.
LEVELS = {
    "fast": [("xception", False), ("faceapi_ft", False)],
    "balanced": [("xception", True), ("faceapi_ft", True)],
    "best": [("human", True), ("faceapi_ft", True), ("xception", True)],
}
SETS = [  # name, folder under the dev data, eval options, the score that counts
    ("fer2013-val", "fer2013/val", [], "accuracy"),
    ("kdef-dev", "kdef-dev", ["--detect"], "accuracy"),
    ("wild-dev", "wild-dev", [], "macro_f1"),
]
FLOOR = 0.01  # how far below the best single model a set may fall
BIAS_LIMIT = 0.5
BIAS_PENALTY = 0.01  # taken from the objective (a mean of fractions) per squared unit of bias
FILE_ARCHITECTURE = "fer-ensemble"


def read_predictions(path):
    """(truth indices, probabilities with NaN rows for pictures without a face)."""
    truth, probabilities = [], []
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            truth.append(EXPRESSIONS.index(row["truth"]))
            probabilities.append([float(row[e]) if row[e] else np.nan for e in EXPRESSIONS])
    return np.array(truth), np.array(probabilities)


def scores(truth, logits):
    """accuracy and macro-F1 of the argmax of logits; rows of NaN (no face) count as wrong."""
    missing = np.isnan(logits[:, 0])
    predicted = np.where(missing, -1, np.argmax(np.nan_to_num(logits, nan=-np.inf), axis=1))
    f1 = []
    for c in range(len(EXPRESSIONS)):
        hits = np.sum((predicted == c) & (truth == c))
        said, real = np.sum(predicted == c), np.sum(truth == c)
        precision = hits / said if said else 0.0
        recall = hits / real if real else 0.0
        f1.append(2 * precision * recall / (precision + recall) if hits else 0.0)
    return {"accuracy": float(np.mean(predicted == truth)), "macro_f1": float(np.mean(f1))}


def log_mixture(stack, weights, bias):
    """The biased log of the weighted mixture; stack is members x faces x classes."""
    mixture = np.einsum("m,mnc->nc", weights, stack) / np.sum(weights)
    return np.log(np.maximum(mixture, 1e-12)) + bias


def set_scores(data, weights, bias):
    return [scores(truth, log_mixture(stack, weights, bias))[kind]
            for (truth, stack), (_, _, _, kind) in zip(data, SETS)]


def objective(data, weights, bias, floors):
    values = set_scores(data, weights, bias)
    shortfall = sum(max(0.0, floor - v) for v, floor in zip(values, floors))
    return float(np.mean(values)) - 100.0 * shortfall - BIAS_PENALTY * float(np.sum(bias ** 2))


def fit_level(data, floors):
    members = data[0][1].shape[0]
    grid = np.round(np.arange(0, 1.0001, 0.05), 2)
    best = None
    for w in itertools.product(grid, repeat=members):
        if abs(sum(w) - 1) > 1e-9 or (members > 1 and min(w) == 0):
            continue
        value = objective(data, np.array(w), np.zeros(len(EXPRESSIONS)), floors)
        if best is None or value > best[0]:
            best = (value, np.array(w))
    weights = best[1]
    bias = np.zeros(len(EXPRESSIONS))
    steps = np.round(np.arange(-BIAS_LIMIT, BIAS_LIMIT + 1e-4, 0.05), 2)
    for _ in range(3):
        for c in range(len(EXPRESSIONS)):
            candidates = []
            for step in steps:
                trial = bias.copy()
                trial[c] = step
                candidates.append((objective(data, weights, trial, floors), -abs(step), step))
            bias[c] = max(candidates)[2]
    bias -= np.mean(bias)  # only differences between classes matter
    return weights, bias


def fit_temperature(data, weights, bias):
    logits = np.concatenate([log_mixture(stack, weights, bias) for _, stack in data])
    truth = np.concatenate([t for t, _ in data])
    keep = ~np.isnan(logits[:, 0])
    logits, truth = logits[keep], truth[keep]
    best = None
    for t in np.round(np.arange(0.3, 3.0001, 0.01), 2):
        z = logits / t
        z = z - z.max(axis=1, keepdims=True)
        loss = float(np.mean(np.log(np.exp(z).sum(axis=1)) - z[np.arange(len(truth)), truth]))
        if best is None or loss < best[0]:
            best = (loss, float(t))
    return best[1]


def half(data, parity):
    return [(truth[parity::2], stack[:, parity::2]) for truth, stack in data]


def run_predictions(fer, dev, work):
    """model -> flip -> [(truth, probabilities) per set], from `fer eval --predictions`."""
    out = {}
    for name, file in MODELS.items():
        model = os.path.join(TOP, "weights", file)
        for flip in (False, True):
            runs = []
            for set_name, folder, options, _ in SETS:
                csv_path = os.path.join(work, "%s-%s-%d.csv" % (name, set_name, flip))
                if not os.path.exists(csv_path):
                    print("fit-ensemble: %s%s on %s" % (name, " + mirror" if flip else "",
                                                          set_name), file=sys.stderr)
                    command = [fer, "eval", os.path.join(dev, folder), "--model", model,
                               "--threads", str(os.cpu_count() or 1), "--predictions",
                               csv_path + ".part"] + options + (["--tta"] if flip else [])
                    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
                    os.replace(csv_path + ".part", csv_path)
                runs.append(read_predictions(csv_path))
            out[(name, flip)] = runs
    return out


def level_data(predictions, members):
    data = []
    for s in range(len(SETS)):
        truth = predictions[members[0]][s][0]
        data.append((truth, np.stack([predictions[m][s][1] for m in members])))
    return data


def fit(args):
    dev = os.environ.get("FER_DEV_DATA", os.path.join(TOP, "..", "shared", "data"))
    os.makedirs(args.work, exist_ok=True)
    predictions = run_predictions(args.fer, dev, args.work)
    singles = {key: [scores(t, np.log(np.maximum(p, 1e-12)))[kind]
                     for (t, p), (_, _, _, kind) in zip(runs, SETS)]
               for key, runs in predictions.items()}
    floors = [max(v[s] for v in singles.values()) - FLOOR for s in range(len(SETS))]
    names = [s[0] for s in SETS]
    print("single models (%s):" % ", ".join("%s %s" % (n, s[3]) for n, s in zip(names, SETS)))
    for (name, flip), values in singles.items():
        print("  %-18s %s  mean %.4f" % (name + (" + mirror" if flip else ""),
                                        "  ".join("%.4f" % v for v in values), np.mean(values)))
    result = {"sets": names, "floors": floors, "levels": {}}
    for level, members in LEVELS.items():
        data = level_data(predictions, members)
        weights, bias = fit_level(data, floors)
        temperature = fit_temperature(data, weights, bias)
        values = set_scores(data, weights, bias)
        # Two-fold by rows (fit on even rows and score odd ones, then the other way round):
        # what holds on faces the fit did not see, next to the plain mean on the same faces.
        held, plain = [], []
        for parity in (0, 1):
            w_half, b_half = fit_level(half(data, parity), floors)
            held.append(set_scores(half(data, 1 - parity), w_half, b_half))
            plain.append(set_scores(half(data, 1 - parity), np.ones(len(members)),
                                    np.zeros(len(EXPRESSIONS))))
        held, plain = np.mean(held, axis=0), np.mean(plain, axis=0)
        result["levels"][level] = {
            "members": [{"model": MODELS[m], "flip": f, "weight": round(float(w), 4)}
                        for (m, f), w in zip(members, weights)],
            "class_bias": [round(float(b), 4) for b in bias],
            "temperature": temperature,
            "scores": dict(zip(names, [round(v, 4) for v in values])),
            "held_out_two_fold": dict(zip(names, [round(v, 4) for v in held])),
            "held_out_two_fold_plain_mean": dict(zip(names, [round(v, 4) for v in plain])),
        }
        print("%s: %s" % (level, json.dumps(result["levels"][level])))
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")
    print("fit-ensemble: wrote %s" % args.out)


def write(args):
    with open(args.json) as f:
        levels = json.load(f)["levels"]
    os.makedirs(args.out_dir, exist_ok=True)
    for level, spec in levels.items():
        w = Writer()
        w.string("general.architecture", FILE_ARCHITECTURE)
        w.string("general.name", "fer %s level" % level)
        w.strings("fer.ensemble.members", [m["model"] for m in spec["members"]])
        w.float32s("fer.ensemble.weights", [m["weight"] for m in spec["members"]])
        w.int32s("fer.ensemble.flip", [int(m["flip"]) for m in spec["members"]])
        w.float32s("fer.ensemble.class_bias", spec["class_bias"])
        w.float32("fer.ensemble.temperature", spec["temperature"])
        w.string("fer.info.fitted_by", "tools/fit-ensemble.py on FER2013 val, kdef-dev, wild-dev")
        path = os.path.join(args.out_dir, "fer-%s.gguf" % level)
        with open(path, "wb") as f:
            f.write(w.bytes())
        print("fit-ensemble: %s" % path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("fit", help="fit every level on the dev sets")
    p.add_argument("--fer", default=os.path.join(TOP, "build", "fer"))
    p.add_argument("--out", default=os.path.join(TOP, "weights", "ensembles.json"))
    p.add_argument("--work", default=os.path.join(TOP, "runs", "ensemble-predictions"),
                   help="where the predictions are kept (reused when present)")
    p = sub.add_parser("write", help="write the ensemble files of a fit")
    p.add_argument("json")
    p.add_argument("out_dir")
    args = parser.parse_args()
    fit(args) if args.command == "fit" else write(args)


if __name__ == "__main__":
    main()

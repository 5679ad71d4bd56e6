#!/usr/bin/env bash
# tools/eval-detection.py: its numbers on a hand-made case worked out below, its answers to
# broken inputs, and a run of fer detect over FDDB's dev photos when ../shared has them.
# usage: eval_detection_check.sh FER_BINARY WORK_DIR
set -uo pipefail
fer=$1
work=$2
top=$(cd "$(dirname "$0")/../.." && pwd)
tool=$top/tools/eval-detection.py
fail() { echo "FAILED: $*"; exit 1; }
rm -rf "$work" && mkdir -p "$work"

# Two images, three faces, one ignore box. Ranked detections: 9 hits face 1 of a; 8 overlaps
# that face again (taken) and nothing else: false; 7 is far from everything: false; 3 sits on
# the ignore box: left out; 5 hits b's face. Recall 2/3, precision 2/4, 1 false positive per
# image; precision-recall points (1/3, 1), (1/3, 1/2), (1/3, 1/3), (2/3, 1/2): AP = 1/3 * 1 +
# 1/3 * 1/2 = 0.5.
cat >"$work/gt.jsonl" <<'JSON'
{"image": "a.jpg", "faces": [[0, 0, 10, 10], [20, 20, 10, 10]], "ignore": [[50, 50, 5, 5]]}

{"image": "b.jpg", "faces": [[0, 0, 10, 10]], "ignore": []}
JSON
cat >"$work/det.jsonl" <<'JSON'
{"image": "a.jpg", "faces": [{"box": [0, 0, 10, 10], "neighbors": 9}, {"box": [1, 1, 10, 10], "neighbors": 8}, {"box": [40, 0, 10, 10], "neighbors": 7}, {"box": [50, 50, 5, 5], "neighbors": 3}]}
{"image": "b.jpg", "faces": [{"box": [0, 0, 10, 10], "score": 5}]}
JSON
/usr/bin/python3 "$tool" "$work/gt.jsonl" --detections "$work/det.jsonl" --iou 0.5 --json \
  >"$work/out.json" || fail "the hand-made case"
/usr/bin/python3 - "$work/out.json" <<'PY' || fail "numbers of the hand-made case: $(cat "$work/out.json")"
import json, sys
r = json.loads(open(sys.argv[1]).read())
assert (r["faces"], r["hits"], r["false_positives"], r["detections"]) == (3, 2, 2, 4), r
assert abs(r["recall"] - 2 / 3) < 1e-9 and abs(r["precision"] - 0.5) < 1e-9, r
assert abs(r["false_positives_per_image"] - 1.0) < 1e-9, r
assert abs(r["average_precision"] - 0.5) < 1e-9, r
PY

# Broken inputs: exit 1 with a one-line reason naming the problem.
expect_error() {  # expect_error WHAT PATTERN ARGS...
  local what=$1 pattern=$2
  shift 2
  /usr/bin/python3 "$tool" "$@" >/dev/null 2>"$work/err.txt"
  local status=$?
  [[ $status -eq 1 ]] || fail "$what: exit status $status, expected 1"
  [[ $(wc -l <"$work/err.txt") -eq 1 ]] || fail "$what: not one line: $(cat "$work/err.txt")"
  grep -q "$pattern" "$work/err.txt" || fail "$what: $(cat "$work/err.txt")"
}
printf '{"image": "a.jpg", "faces": [[0, 0, 10]]}\n' >"$work/short.jsonl"
expect_error "a three-number box" "not \[x, y, w, h\]" "$work/short.jsonl" --detections "$work/det.jsonl"
printf 'not json\n' >"$work/bad.jsonl"
expect_error "a line that is not JSON" "line 1: not JSON" "$work/bad.jsonl" --detections "$work/det.jsonl"
expect_error "a missing file" "absent.jsonl" "$work/absent.jsonl" --detections "$work/det.jsonl"
expect_error "no fer binary" "no fer binary" "$work/gt.jsonl" --fer "$work/absent-fer"
expect_error "images fer cannot read" "fer detect failed" "$work/gt.jsonl" --fer "$fer"
/usr/bin/python3 "$tool" "$work/gt.jsonl" --iou 0 >/dev/null 2>&1
[[ $? -eq 2 ]] || fail "--iou 0 must be a command-line error (exit 2)"

# FDDB's dev photos through fer detect, when ../shared has them.
fddb=$top/../shared/data/fddb-dev/gt.jsonl
if [[ -f "$fddb" ]]; then
  for detector in haar blazeface; do
    /usr/bin/python3 "$tool" "$fddb" --fer "$fer" --json --iou 0.4 -- --detector $detector \
      >"$work/fddb-$detector.json" || fail "fer detect --detector $detector over fddb-dev"
  done
  # The same photos 2 x 2 in 900-pixel pictures: BlazeFace's second scale finds the faces there.
  /usr/bin/python3 "$tool" "$fddb" --fer "$fer" --json --iou 0.4 --mosaic 2 \
    >"$work/fddb-mosaic.json" || fail "fer detect over fddb-dev mosaics"
  /usr/bin/python3 - "$work/fddb-haar.json" "$work/fddb-blazeface.json" "$work/fddb-mosaic.json" <<'PY' ||
import json, sys
haar, cnn, mosaic = (json.loads(open(p).read()) for p in sys.argv[1:4])
for r in haar, cnn, mosaic:
    assert r["faces"] == 223, r
assert haar["images"] == cnn["images"] == 142 and mosaic["images"] == 36, mosaic
assert mosaic["recall"] >= 0.92 and mosaic["false_positives_per_image"] <= 0.5, mosaic
# The known levels (README): the Haar cascade finds most faces with a few false detections;
# BlazeFace (two passes) at least 93% of them with at most 0.1 false per photo.
assert 0.7 <= haar["recall"] <= 0.85 and haar["false_positives_per_image"] <= 0.4, haar
assert 0.6 <= haar["average_precision"] <= haar["recall"], haar
assert cnn["recall"] >= 0.93 and cnn["false_positives_per_image"] <= 0.1, cnn
assert cnn["average_precision"] >= 0.92, cnn
PY
    fail "fddb-dev: $(cat "$work"/fddb-*.json)"
  echo "fddb-dev, haar: $(cat "$work/fddb-haar.json")"
  echo "fddb-dev, blazeface: $(cat "$work/fddb-blazeface.json")"
  echo "fddb-dev 2 x 2 mosaics, blazeface: $(cat "$work/fddb-mosaic.json")"
else
  echo "fddb-dev absent: only the hand-made case and the broken inputs ran"
fi
echo "eval-detection: hand-made case exact, broken inputs refused"

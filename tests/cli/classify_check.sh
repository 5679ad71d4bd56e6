#!/usr/bin/env bash
# fer classify end to end: faces found on the sample photos, probabilities that sum to 1, an
# unreadable image reported while the others are still processed, --no-detect on a FER2013 crop
# giving exactly what fer eval computes for it, and the annotated picture written.
# usage: classify_check.sh FER_BINARY WORK_DIR   (exit 77 without the fetched sample photos)
set -uo pipefail
fer=$1
work=$2
top=$(cd "$(dirname "$0")/../.." && pwd)
photos=$top/assets/face-api
[[ -f "$photos/sample1.jpg" ]] || { echo "SKIPPED: run tools/fetch-assets.sh"; exit 77; }
fail() { echo "FAILED: $*"; exit 1; }
rm -rf "$work" && mkdir -p "$work"
printf 'GIF89a broken' >"$work/broken.gif"

"$fer" classify "$photos/sample1.jpg" "$work/broken.gif" "$photos/sample3.jpg" \
  --annotate-dir "$work/annotated" >"$work/out.jsonl" 2>"$work/err.txt"
[[ $? -eq 1 ]] || fail "an unreadable image must give exit status 1"
grep -q "broken.gif" "$work/err.txt" || fail "the unreadable image is not named on stderr"
[[ -s "$work/annotated/sample3.png" ]] || fail "no annotated picture"
/usr/bin/python3 - "$work/out.jsonl" <<'PY' || fail "JSON lines"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
assert [l["image"].rsplit("/", 1)[1] for l in lines] == ["sample1.jpg", "sample3.jpg"], lines
# BlazeFace (the default detector) finds the 3 faces of each (the frontal cascade: 2 faces in
# sample1, and in sample3 the 3 faces, a glass and a phone), each with its keypoints.
assert [len(l["faces"]) for l in lines] == [3, 3], [len(l["faces"]) for l in lines]
for l in lines:
    for f in l["faces"]:
        p = f["probabilities"]
        assert set(p) == {"angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"}
        assert abs(sum(p.values()) - 1) < 1e-3, sum(p.values())
        assert f["label"] == max(p, key=p.get) and abs(f["score"] - p[f["label"]]) < 1e-6
        assert len(f["box"]) == 4
        assert 0.5 <= f["face_score"] <= 1 and len(f["keypoints"]) == 6, f
        assert f["aligned"] and abs(f["roll"]) < 60, f  # the right woman of sample1: 48
# The two smiling women of sample3 are happy.
assert [f["label"] for f in lines[1]["faces"]].count("happy") == 2, lines[1]["faces"]
PY

val=${FER_VAL_DIR:-$top/../shared/data/fer2013/val}
if [[ -d "$val" ]]; then  # --no-detect equals fer eval on the same crop
  mkdir -p "$work/one/happy"
  crop=$(ls -d "$val"/happy/* | head -n 1)
  ln -s "$crop" "$work/one/happy/"
  "$fer" eval "$work/one" --predictions "$work/eval.csv" >/dev/null || fail "fer eval on one crop"
  "$fer" classify --no-detect "$crop" >"$work/crop.json" || fail "fer classify --no-detect"
  /usr/bin/python3 - "$work/eval.csv" "$work/crop.json" <<'PY' || fail "--no-detect differs from fer eval"
import csv, json, sys
row = list(csv.DictReader(open(sys.argv[1])))[0]
face = json.load(open(sys.argv[2]))["faces"][0]
for name, p in face["probabilities"].items():
    assert abs(float(row[name]) - p) < 1e-3, (name, row[name], p)
PY
fi
echo "fer classify: ok"

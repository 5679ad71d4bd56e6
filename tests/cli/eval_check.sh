#!/usr/bin/env bash
# fer eval end to end: folder-name synonyms, skipped folders, an unreadable image, JSON keys,
# the confusion picture; then the full FER2013 val run must reproduce weights/README.md.
# usage: eval_check.sh FER_BINARY WORK_DIR     (exit 77 when ../shared's FER2013 val is absent)
set -uo pipefail
fer=$1
work=$2
top=$(cd "$(dirname "$0")/../.." && pwd)
val=${FER_VAL_DIR:-$top/../shared/data/fer2013/val}
[[ -d "$val" ]] || { echo "SKIPPED: no FER2013 val folder at $val"; exit 77; }
fail() { echo "FAILED: $*"; exit 1; }

rm -rf "$work" && mkdir -p "$work/data"/{Happy,fearful,sadness,other,neutral}
for pair in happy:Happy fear:fearful sad:sadness; do
  ls -d "$val/${pair%%:*}"/* | head -n 5 | xargs -I{} ln -s {} "$work/data/${pair##*:}/"
done
cp "$(ls -d "$val"/angry/* | head -n 1)" "$work/data/other/"
printf 'not a picture' >"$work/data/neutral/broken.jpg"

"$fer" eval "$work/data" --json --confusion-png "$work/confusion.png" >"$work/out.json" 2>"$work/err.txt"
status=$?
[[ $status -eq 1 ]] || fail "an unreadable image must give exit status 1, got $status"
grep -q "skipping folder 'other'" "$work/err.txt" || fail "no warning naming the skipped folder"
grep -q "broken.jpg" "$work/err.txt" || fail "the unreadable image is not named on stderr"
/usr/bin/python3 - "$work/out.json" <<'PY' || fail "JSON summary"
import json, sys
r = json.load(open(sys.argv[1]))
for key in ("n", "accuracy", "macro_f1", "per_class", "confusion"):
    assert key in r, key
assert r["n"] == 15 and r["unreadable"] == 1, (r["n"], r["unreadable"])
assert sum(map(sum, r["confusion"])) == 15
assert [sum(row) for row in r["confusion"]] == [0, 0, 5, 5, 5, 0, 0], r["confusion"]
assert set(r["per_class"]) == {"angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"}
assert abs(r["accuracy"] - sum(r["confusion"][i][i] for i in range(7)) / 15) < 1e-6
PY
[[ "$(head -c 4 "$work/confusion.png" | tail -c 3)" == "PNG" ]] || fail "no PNG confusion matrix"

# The shipped default (the best level) on all of FER2013 val reproduces the README's number.
"$fer" eval "$val" --json --threads 2 >"$work/val.json" 2>/dev/null || fail "fer eval on val"
measured=$(/usr/bin/python3 -c "import json,sys; print('%.2f%%' % (100 * json.load(open(sys.argv[1]))['accuracy']))" "$work/val.json")
row=$(grep -F '| `fer-best.gguf` (**default**) |' "$top/weights/README.md")
[[ "$row" == *"| $measured |"* ]] || fail "FER2013 val accuracy $measured, weights/README.md says: $row"
echo "fer eval reproduces weights/README.md: $measured"

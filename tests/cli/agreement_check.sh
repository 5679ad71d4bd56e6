#!/usr/bin/env bash
# A shipped int8 model must give the same top-1 class as its fp32 conversion on at least 99% of
# FER2013 val, both with its int8 weights in fp32 arithmetic (the models issue's bar) and with
# int8 arithmetic (the engine issue's; see weights/README.md).
# usage: agreement_check.sh FER_BINARY WORK_DIR MODEL   (MODEL: human | faceapi)
set -uo pipefail
fer=$1
work=$2
top=$(cd "$(dirname "$0")/../.." && pwd)
val=${FER_VAL_DIR:-$top/../shared/data/fer2013/val}
[[ -d "$val" ]] || { echo "SKIPPED: no FER2013 val folder at $val"; exit 77; }
/usr/bin/python3 -c "import numpy" 2>/dev/null || { echo "SKIPPED: python3-numpy is missing"; exit 77; }
"$top/tools/fetch-assets.sh" >/dev/null || { echo "SKIPPED: could not fetch the model packages"; exit 77; }
rm -rf "$work" && mkdir -p "$work"
case "$3" in
  human) /usr/bin/python3 "$top/tools/convert.py" tfjs "$top/assets/human/emotion.json" \
    -o "$work/fp32.gguf" 2>/dev/null; shipped=$top/weights/human-emotion-int8.gguf ;;
  faceapi) /usr/bin/python3 "$top/tools/convert.py" faceapi \
    "$top/assets/face-api/face_expression_model-weights_manifest.json" -o "$work/fp32.gguf" 2>/dev/null
    shipped=$top/weights/faceapi-expression-int8.gguf ;;
  *) echo "unknown model $3"; exit 2 ;;
esac
run() { "$fer" eval "$val" --threads 2 --model "$1" --predictions "$2" "${@:3}" >/dev/null; }
run "$work/fp32.gguf" "$work/fp32.csv" && run "$shipped" "$work/int8.csv" &&
  run "$shipped" "$work/int8-arithmetic.csv" --precision int8 || { echo "FAILED: fer eval"; exit 1; }
/usr/bin/python3 - "$work" <<'PY'
import csv, sys
def labels(name):
    return [row["predicted"] for row in csv.DictReader(open("%s/%s.csv" % (sys.argv[1], name)))]
fp32, int8, arithmetic = labels("fp32"), labels("int8"), labels("int8-arithmetic")
agree = lambda a: sum(x == y for x, y in zip(fp32, a)) / len(fp32)
print("top-1 agreement with fp32 on %d faces: int8 weights %.2f%%, int8 arithmetic %.2f%%"
      % (len(fp32), 100 * agree(int8), 100 * agree(arithmetic)))
sys.exit(0 if agree(int8) >= 0.99 and agree(arithmetic) >= 0.99 else 1)
PY

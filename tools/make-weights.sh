#!/usr/bin/env bash
# Regenerates the shipped models in weights/ from the pinned npm packages, byte for byte:
# fetch (integrity-checked) -> tools/convert.py (fp32, batchnorm folded) -> fer quantize (int8
# weights, equalized and bias-corrected on 1,000 faces of FER2013 train).
# usage: tools/make-weights.sh [OUT_DIR]   (default: weights/; needs python3-numpy, a built
#        build/fer or FER=path/to/fer, and FER2013 train at ../shared/data/fer2013/train or
#        FER_CALIBRATION_DIR)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$top/weights}
fer=${FER:-$top/build/fer}
[[ -x "$fer" ]] || { echo "make-weights: no fer binary at $fer (build it, or set FER)" >&2; exit 1; }
calibration=${FER_CALIBRATION_DIR:-$top/../shared/data/fer2013/train}
[[ -d "$calibration" ]] || { echo "make-weights: no calibration faces at $calibration" >&2; exit 1; }
quantize() { "$fer" quantize --calibrate "$calibration" --calibration-count 1000 "$@"; }
"$top/tools/fetch-assets.sh"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"

/usr/bin/python3 "$top/tools/convert.py" tfjs "$top/assets/human/emotion.json" -o "$work/human.gguf" \
  --name "Human emotion (mini-Xception family, FER2013)" \
  --info "source=npm @vladmandic/human@3.3.6 models/emotion.json + emotion.bin" \
  --info "license=MIT (c) Vladimir Mandic; model derived from oarriaga/face_classification (MIT)"
quantize "$work/human.gguf" "$out/human-emotion-int8.gguf"

/usr/bin/python3 "$top/tools/convert.py" faceapi \
  "$top/assets/face-api/face_expression_model-weights_manifest.json" -o "$work/faceapi.gguf" \
  --name "face-api.js face expression net" \
  --info "source=npm @vladmandic/face-api@1.7.15 model/face_expression_model-*" \
  --info "license=MIT (c) Vladimir Mandic, (c) Vincent Muehler (face-api.js)"
quantize "$work/faceapi.gguf" "$out/faceapi-expression-int8.gguf"

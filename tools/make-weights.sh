#!/usr/bin/env bash
# Regenerates the shipped models in weights/, byte for byte, from the pinned npm packages and
# the Keras mini-Xception in ../shared: fetch (integrity-checked) -> tools/convert.py (fp32,
# batchnorm folded) -> fer quantize (int8 weights, equalized and bias-corrected on 1,000 faces of
# FER2013 train); then the level files from weights/ensembles.json.
# usage: tools/make-weights.sh [OUT_DIR]   (default: weights/; needs python3-numpy and
#        python3-h5py, a built build/fer or FER=path/to/fer, FER2013 train at
#        ../shared/data/fer2013/train or FER_CALIBRATION_DIR, and the Keras file at
#        ../shared/models/mini_xception or FER_XCEPTION_HDF5)
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

xception=${FER_XCEPTION_HDF5:-$top/../shared/models/mini_xception/fer2013_mini_XCEPTION.102-0.66.hdf5}
[[ -f "$xception" ]] || { echo "make-weights: no Keras mini-Xception at $xception" >&2; exit 1; }
xception_sha256=59534287fdfb125e30a94400296c25ea9f5d706fca93dd8adbbbed916799ea0e
[[ "$(sha256sum "$xception" | cut -d' ' -f1)" == "$xception_sha256" ]] ||
  { echo "make-weights: $xception is not the pinned file (sha256 $xception_sha256)" >&2; exit 1; }
/usr/bin/python3 "$top/tools/convert.py" keras "$xception" -o "$work/xception.gguf" \
  --name "Keras mini-Xception (FER2013)" \
  --info "source=oarriaga/face_classification trained_models/emotion_models/fer2013_mini_XCEPTION.102-0.66.hdf5" \
  --info "license=MIT (c) 2017 Octavio Arriaga"
quantize "$work/xception.gguf" "$out/xception-int8.gguf"

# BlazeFace, MediaPipe's face detector as Human ships it: fp32 (its input is v / 127.5 - 1).
/usr/bin/python3 "$top/tools/convert.py" tfjs "$top/assets/human/blazeface.json" \
  -o "$out/blazeface.gguf" --scale 0.0078431373 --offset -1 \
  --name "BlazeFace (MediaPipe face detector, 256x256 back model)" \
  --info "source=npm @vladmandic/human@3.3.6 models/blazeface.json + blazeface.bin" \
  --info "license=Apache-2.0 (c) Google LLC (MediaPipe); packaged by Vladimir Mandic (MIT)"

# The speed levels: ensemble files naming the models above, with the weights, mirroring, class
# bias and temperature that tools/fit-ensemble.py fitted on the dev sets (weights/ensembles.json).
/usr/bin/python3 "$top/tools/fit-ensemble.py" write "$top/weights/ensembles.json" "$out" >/dev/null

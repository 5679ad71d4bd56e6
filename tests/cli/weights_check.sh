#!/usr/bin/env bash
# tools/make-weights.sh into a scratch folder must give exactly the committed weights/*.gguf (all
# but the fine-tuned model, which a 40-minute training run makes).
# usage: weights_check.sh FER_BINARY WORK_DIR   (exit 77 without python3-numpy, python3-h5py or
#        ../shared's data and Keras model)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
/usr/bin/python3 -c "import numpy, h5py" 2>/dev/null ||
  { echo "SKIPPED: python3-numpy or python3-h5py is missing"; exit 77; }
[[ -d "${FER_CALIBRATION_DIR:-$top/../shared/data/fer2013/train}" ]] ||
  { echo "SKIPPED: no FER2013 train folder for the int8 calibration"; exit 77; }
[[ -f "${FER_XCEPTION_HDF5:-$top/../shared/models/mini_xception/fer2013_mini_XCEPTION.102-0.66.hdf5}" ]] ||
  { echo "SKIPPED: no Keras mini-Xception in ../shared/models"; exit 77; }
rm -rf "$2" && mkdir -p "$2"
FER=$1 "$top/tools/make-weights.sh" "$2" >/dev/null 2>&1 || { echo "FAILED: make-weights.sh"; exit 1; }
for f in "$top"/weights/*.gguf; do
  if [[ "$(basename "$f")" == faceapi-expression-ft-int8.gguf ]]; then
    echo "$(basename "$f"): trained by tools/train.py (weights/README.md), not regenerated here"
    continue
  fi
  cmp "$f" "$2/$(basename "$f")" || { echo "FAILED: $(basename "$f") differs"; exit 1; }
  echo "$(basename "$f"): identical"
done

#!/usr/bin/env bash
# Converter parity: converts a packaged model with tools/convert.py, runs it with fer on real
# faces (FER2013 val crops), runs the original with its own framework on the same pixels, and
# compares the probabilities (tolerance 1e-4).
# usage: check.sh SOURCE BUILD_DIR   (SOURCE: human | faceapi | keras | onnx | onnx-export |
#        blazeface: the face detector on the sample photos, its four outputs, relative 1e-4)
# Exit 77 (CTest's skip) with a reason when the data, packages or Python modules are missing.
set -euo pipefail
source_kind=$1
build=$(cd "$2" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
val=${FER_VAL_DIR:-$top/../shared/data/fer2013/val}
python=/usr/bin/python3
work="$build/model-parity/$source_kind"
rm -rf "$work" && mkdir -p "$work/run"

skip() { echo "SKIPPED: $*" >&2; exit 77; }
"$python" -c "import numpy" 2>/dev/null || skip "python3-numpy is not installed"
if [[ "$source_kind" != blazeface ]]; then  # the face detector runs on the sample photos
  [[ -d "$val" ]] || skip "no FER2013 val folder at $val (set FER_VAL_DIR)"
  # Ten faces per class, spread through each class folder.
  mapfile -t faces < <(for d in "$val"/*/; do ls -d "$d"* | awk 'NR % 25 == 1' | head -n 10; done)
fi

node_modules() {  # the pinned TensorFlow.js packages, installed once per build directory
  local dir="$build/model-parity/npm"
  mkdir -p "$dir"
  # Parallel CTest runs several checks at once: one installs, the others wait for it.
  (
    flock 9
    if [[ ! -f "$dir/.installed" ]] || ! cmp -s "$here/package-lock.json" "$dir/package-lock.json"; then
      rm -f "$dir/.installed"
      cp "$here/package.json" "$here/package-lock.json" "$dir/"
      (cd "$dir" && npm ci --silent --no-audit --no-fund >/dev/null 2>&1) || exit 1
      touch "$dir/.installed"
    fi
  ) 9>"$build/model-parity/npm.lock" ||
    skip "npm could not install the pinned @tensorflow/tfjs (registry unreachable?)"
  echo "$dir/node_modules"
}
assets() {
  "$top/tools/fetch-assets.sh" >/dev/null || skip "could not fetch the pinned npm model packages"
}

case "$source_kind" in
  human)
    assets
    "$python" "$top/tools/convert.py" tfjs "$top/assets/human/emotion.json" -o "$work/model.gguf"
    "$build/tests/fer_model_runner" "$work/model.gguf" "$work/run" "${faces[@]}"
    modules=$(node_modules)
    NODE_PATH="$modules" node "$here/tfjs_graph_reference.cjs" "$top/assets/human/emotion.json" \
      "$work/run" minus1to1 2> >(grep -v -e '^=*$' -e 'tfjs-node' >&2)
    ;;
  faceapi)
    assets
    "$python" "$top/tools/convert.py" faceapi \
      "$top/assets/face-api/face_expression_model-weights_manifest.json" -o "$work/model.gguf"
    "$build/tests/fer_model_runner" "$work/model.gguf" "$work/run" "${faces[@]}"
    modules=$(node_modules)
    NODE_PATH="$modules" node "$here/faceapi_reference.cjs" "$top/assets/face-api" "$work/run" \
      2> >(grep -v -e '^=*$' -e 'tfjs-node' >&2)
    ;;
  keras)
    keras_model=${FER_MINI_XCEPTION:-$top/../shared/models/mini_xception/fer2013_mini_XCEPTION.102-0.66.hdf5}
    [[ -f "$keras_model" ]] || skip "no Keras mini-Xception at $keras_model"
    "$python" -c "import h5py, torch" 2>/dev/null || skip "python3-h5py or python3-torch is missing"
    "$python" "$top/tools/convert.py" keras "$keras_model" -o "$work/model.gguf"
    "$build/tests/fer_model_runner" "$work/model.gguf" "$work/run" "${faces[@]}"
    "$python" "$here/keras_torch_reference.py" "$keras_model" "$work/run"
    ;;
  onnx)
    # Two ONNX files from PyTorch: the Keras model rebuilt in PyTorch (padding as Pad nodes
    # computed by constant subgraphs), and a PyTorch-native network (symmetric stride-2
    # padding, batchnorm, ReLU6, depthwise, pooling, Linear over a flattened map).
    keras_model=${FER_MINI_XCEPTION:-$top/../shared/models/mini_xception/fer2013_mini_XCEPTION.102-0.66.hdf5}
    [[ -f "$keras_model" ]] || skip "no Keras mini-Xception at $keras_model"
    "$python" -c "import h5py, torch, onnx" 2>/dev/null ||
      skip "python3-h5py, python3-torch or python3-onnx is missing"
    "$python" "$top/tools/convert.py" keras "$keras_model" -o "$work/keras.gguf"
    "$build/tests/fer_model_runner" "$work/keras.gguf" "$work/run" "${faces[@]}"  # the pixels
    "$python" "$here/keras_torch_reference.py" "$keras_model" "$work/run" --onnx "$work/keras.onnx"
    "$python" "$top/tools/convert.py" onnx "$work/keras.onnx" --scale 0.0078431373 --offset -1 \
      -o "$work/model.gguf"
    "$build/tests/fer_model_runner" "$work/model.gguf" "$work/run" "${faces[@]}"
    "$python" "$here/compare.py" "$work/run" 1e-4
    "$python" "$here/torch_onnx_reference.py" "$work/run" "$work/torch.onnx"
    "$python" "$top/tools/convert.py" onnx "$work/torch.onnx" --scale 0.0078431373 --offset -1 \
      -o "$work/model.gguf"
    "$build/tests/fer_model_runner" "$work/model.gguf" "$work/run" "${faces[@]}"
    ;;
  onnx-export)
    # The ONNX that tools/convert.py --onnx writes (what the OpenCV benchmarks run) computes what
    # fer computes, in OpenCV's DNN module: Human's model and face-api's (per-channel offsets,
    # four-way adds, average pooling, a dense layer).
    assets
    "$python" -c "import cv2, onnx" 2>/dev/null || skip "python3-opencv or python3-onnx is missing"
    "$python" "$top/tools/convert.py" tfjs "$top/assets/human/emotion.json" -o "$work/model.gguf" \
      --onnx "$work/human.onnx"
    "$build/tests/fer_model_runner" "$work/model.gguf" "$work/run" "${faces[@]}"
    "$python" "$here/opencv_onnx_reference.py" "$work/human.onnx" "$work/run" 0.0078431373 -1
    "$python" "$here/compare.py" "$work/run" 1e-4
    "$python" "$top/tools/convert.py" faceapi \
      "$top/assets/face-api/face_expression_model-weights_manifest.json" -o "$work/model.gguf" \
      --onnx "$work/faceapi.onnx"
    "$build/tests/fer_model_runner" "$work/model.gguf" "$work/run" "${faces[@]}"
    "$python" "$here/opencv_onnx_reference.py" "$work/faceapi.onnx" "$work/run" 0.0039215686 \
      -0.48149804,-0.45882745,-0.40901176
    ;;
  blazeface)
    assets
    "$python" "$top/tools/convert.py" tfjs "$top/assets/human/blazeface.json" -o "$work/model.gguf" \
      --scale 0.0078431373 --offset -1
    "$build/tests/fer_model_runner" "$work/model.gguf" "$work/run" "$top"/assets/face-api/sample*.jpg
    modules=$(node_modules)
    NODE_PATH="$modules" node "$here/tfjs_graph_reference.cjs" "$top/assets/human/blazeface.json" \
      "$work/run" blazeface 2> >(grep -v -e '^=*$' -e 'tfjs-node' >&2)
    "$python" "$here/compare.py" "$work/run" 1e-4 --relative
    exit
    ;;
  *)
    echo "check.sh: unknown source '$source_kind'" >&2
    exit 2
    ;;
esac
"$python" "$here/compare.py" "$work/run" 1e-4

#!/usr/bin/env bash
# tools/convert.py on broken and unsupported inputs: exit status 1 and one line on stderr naming
# the problem, never a Python traceback, and no output file.
# usage: errors_check.sh WORK_DIR    (exit 77 without python3-numpy or the fetched assets)
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
work=$1
python=/usr/bin/python3
"$python" -c "import numpy" 2>/dev/null || { echo "SKIPPED: python3-numpy is missing"; exit 77; }
[[ -f "$top/assets/human/emotion.json" ]] || { echo "SKIPPED: run tools/fetch-assets.sh"; exit 77; }
rm -rf "$work" && mkdir -p "$work"
failures=0

expect() {  # expect NAME PATTERN convert.py-arguments...
  local name=$1 pattern=$2
  shift 2
  "$python" "$top/tools/convert.py" "$@" -o "$work/out.gguf" >/dev/null 2>"$work/err"
  local status=$?
  if [[ $status -ne 1 ]] || ! grep -q -- "$pattern" "$work/err" || grep -q Traceback "$work/err" ||
    [[ $(wc -l <"$work/err") -ne 1 ]] || [[ -e "$work/out.gguf" ]]; then
    echo "FAILED: $name (status $status): $(cat "$work/err")"
    failures=$((failures + 1))
  else
    echo "ok: $name: $(cat "$work/err")"
  fi
  rm -f "$work/out.gguf"
}

# TensorFlow.js: an unsupported operation, a truncated weight shard, not JSON at all.
mkdir -p "$work/tfjs-op" "$work/tfjs-short"
cp "$top/assets/human/emotion.bin" "$work/tfjs-op/"
edit_json() {  # edit_json IN OUT PYTHON-STATEMENT (on the parsed object j)
  "$python" -c "import json, sys; j = json.load(open(sys.argv[1])); $3; json.dump(j, open(sys.argv[2], 'w'))" "$1" "$2"
}
edit_json "$top/assets/human/emotion.json" "$work/tfjs-op/model.json" \
  "[n.update(op='Erf') for n in j['modelTopology']['node'] if n['op'] == 'Softmax']"
expect "unsupported tfjs op" "operation Erf is not supported" tfjs "$work/tfjs-op/model.json"
cp "$top/assets/human/emotion.json" "$work/tfjs-short/emotion.json"
head -c 1000 "$top/assets/human/emotion.bin" >"$work/tfjs-short/emotion.bin"
expect "truncated tfjs weights" "shards .* end at byte 1000" tfjs "$work/tfjs-short/emotion.json"
printf '{"modelTopology": 3' >"$work/broken.json"
expect "malformed JSON" "cannot read" tfjs "$work/broken.json"

# face-api: a manifest whose weight has the wrong shape.
mkdir -p "$work/faceapi"
cp "$top/assets/face-api/face_expression_model.bin" "$work/faceapi/"
edit_json "$top/assets/face-api/face_expression_model-weights_manifest.json" "$work/faceapi/m.json" \
  "[w.update(shape=[7, 256]) for g in j for w in g['weights'] if w['name'] == 'fc/weights']"
expect "wrong face-api weight shape" "fc/weights" faceapi "$work/faceapi/m.json"

# Keras and ONNX: files that are not what they claim.
printf 'not hdf5' >"$work/model.hdf5"
"$python" -c "import h5py" 2>/dev/null && expect "not HDF5" "cannot read" keras "$work/model.hdf5"
printf 'not onnx at all' >"$work/model.onnx"
"$python" -c "import onnx" 2>/dev/null && expect "not ONNX" "cannot read" onnx "$work/model.onnx"
exit $((failures > 0))

#!/usr/bin/env bash
# Builds the benchmarks for this CPU (-O3 -march=native) in build-bench/ and runs them, ours next
# to OpenCV's in the same process. Extra arguments go to Google Benchmark. Ends with a short
# summary to paste into an issue (tools/bench-summary.py: CPU, per-face ms fp32 and int8,
# detection ms per 640x480 frame); the runs' JSON files stay in build-bench/results/.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
tools/install-deps.sh --test
tools/fetch-assets.sh --bench
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DFER_BUILD_BENCHMARKS=ON -DFER_NATIVE=ON \
  -DFER_BUILD_TESTS=OFF >/dev/null
cmake --build build-bench -j"$(nproc)"
# The shipped models as ONNX, for the OpenCV side of bench_models (the same networks, fp32).
mkdir -p build-bench/onnx
/usr/bin/python3 tools/convert.py tfjs assets/human/emotion.json -o build-bench/onnx/human.gguf \
  --onnx build-bench/onnx/human_emotion.onnx
/usr/bin/python3 tools/convert.py faceapi assets/face-api/face_expression_model-weights_manifest.json \
  -o build-bench/onnx/faceapi.gguf --onnx build-bench/onnx/faceapi_expression.onnx
/usr/bin/python3 tools/convert.py tfjs assets/human/blazeface.json -o build-bench/onnx/blazeface.gguf \
  --scale 0.0078431373 --offset -1 --onnx build-bench/onnx/blazeface.onnx
xception=../shared/models/mini_xception/fer2013_mini_XCEPTION.102-0.66.hdf5
if [[ -f "$xception" ]]; then
  /usr/bin/python3 tools/convert.py keras "$xception" -o build-bench/onnx/xception.gguf \
    --onnx build-bench/onnx/mini_xception.onnx
fi
rm -rf build-bench/results && mkdir -p build-bench/results
for b in build-bench/bench/fer_bench_*; do
  "$b" --benchmark_counters_tabular=true \
    --benchmark_out="build-bench/results/$(basename "$b").json" --benchmark_out_format=json "$@"
done
if [[ -x build-bench/bench/fer_compare_detect ]]; then
  echo
  build-bench/bench/fer_compare_detect
  echo
  build-bench/bench/fer_compare_pipeline
fi
echo
/usr/bin/python3 tools/bench-summary.py build-bench/results

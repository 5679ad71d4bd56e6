#!/usr/bin/env bash
# Cross-builds the fer tool and the unit tests for another CPU and runs them under qemu.
# usage: tools/cross.sh aarch64 [--build-only]
#   Installs Debian's cross compiler, qemu-user-static and OpenCV's Python module when missing,
#   builds into build-aarch64/ (build-aarch64/fer is the tool), then runs under
#   qemu-aarch64-static the test set: the doctest cases of the kernels and layers (NEON and plain
#   against the plain-loop references), quantization, networks and model files, image basics,
#   both detectors (the NEON window scan against the plain one), crops and ensembles, and the
#   allocation tests, on qemu's `max` CPU (with the dot-product instructions: the SDOT int8
#   kernel); the int8 and layer cases again on a Cortex-A72 (without them: the plain int8 kernel),
#   each run checking which kernel the CPU's features chose; the cross-built tool's Viola-Jones
#   boxes against OpenCV's on three photos (tools/detector-parity.py); and `fer classify` on two
#   sample photos against the x86 build's answers (tools/compare-classify.py). Left out, for
#   time (each takes minutes under qemu and runs the same kernels): the video, pipeline and
#   thread cases, and four cases whose subject does not depend on the CPU (the ensemble
#   arithmetic, the pyramid split across calls, the recognizer levelling turned faces: two
#   minutes under qemu together; the kernels and detectors they run are checked above); and
#   what needs x86-only tools: the CLI script checks and the converters.
#   FER_CROSS_TESTS=all runs every doctest case.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
arch=${1:-}
if [[ "$arch" != aarch64 ]]; then
  echo "usage: tools/cross.sh aarch64 [--build-only]" >&2
  exit 2
fi
packages=()
command -v aarch64-linux-gnu-g++ >/dev/null 2>&1 || packages+=(g++-aarch64-linux-gnu)
command -v qemu-aarch64-static >/dev/null 2>&1 || packages+=(qemu-user-static)
/usr/bin/python3 -c "import cv2" >/dev/null 2>&1 || packages+=(python3-opencv)
if ((${#packages[@]})); then
  echo "cross: installing ${packages[*]}" >&2
  sudo=""
  [[ $(id -u) -eq 0 ]] || sudo=sudo
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -q
  $sudo apt-get install -y -q --no-install-recommends "${packages[@]}"
fi
tools/install-deps.sh
tools/fetch-assets.sh

build=build-$arch
cmake -S . -B "$build" -DCMAKE_TOOLCHAIN_FILE="$top/cmake/$arch-linux-gnu.cmake" \
  -DCMAKE_BUILD_TYPE=Release -DFER_NATIVE=OFF -DFER_BUILD_BENCHMARKS=OFF \
  -DFER_HEADER_CHECK=OFF -DCMAKE_DISABLE_FIND_PACKAGE_OpenCV=ON >/dev/null
cmake --build "$build" -j"$(nproc)" --target fer_cli fer_tests fer_allocation_tests
[[ "${2:-}" == --build-only ]] && exit 0

run=(qemu-aarch64-static -L /usr/aarch64-linux-gnu)
start=$SECONDS
if [[ "${FER_CROSS_TESTS:-}" == all ]]; then
  FER_EXPECT_DOTPROD=1 "${run[@]}" -cpu max "$build/tests/fer_tests"
else
  files=(layers quant network gguf image imgproc integral io draw preprocess cascade detect
         blazeface ensemble)
  cpu_independent=("an ensemble file gives the stored combination*"
                   "each shipped level gives its members' answers*"
                   "a search spread over parts of the pyramid*"
                   "the recognizer levels BlazeFace's faces*")
  FER_EXPECT_DOTPROD=1 "${run[@]}" -cpu max "$build/tests/fer_tests" \
    --source-file="$(printf '*test_%s.cpp,' "${files[@]}")" \
    --test-case-exclude="$(printf '%s,' "${cpu_independent[@]}")"
fi
"${run[@]}" -cpu max "$build/tests/fer_allocation_tests"
echo "cross: unit tests passed under qemu (max CPU, with dot product) after $((SECONDS - start)) s"
FER_EXPECT_DOTPROD=0 "${run[@]}" -cpu cortex-a72 "$build/tests/fer_tests" \
  --source-file='*test_quant.cpp,*test_layers.cpp,*test_network.cpp'
echo "cross: int8 and layer tests passed on a Cortex-A72 (no dot product)"
# The Viola-Jones detector with the NEON scan: OpenCV's boxes (half-size photos, for time).
/usr/bin/python3 tools/detector-parity.py --scale 0.5 --fer "${run[*]} $build/fer" \
  assets/face-api/sample1.jpg assets/face-api/sample4.jpg assets/face-api/sample6.jpg
# The tool on photos: the x86 build's faces and labels, probabilities within 2e-3.
if [[ -x build/fer ]]; then
  photos=(assets/face-api/sample1.jpg assets/face-api/sample4.jpg)
  /usr/bin/python3 tools/compare-classify.py --tolerance 2e-3 \
    <(build/fer classify "${photos[@]}") <("${run[@]}" "$build/fer" classify "${photos[@]}")
else
  echo "cross: no x86 build/fer to compare classify with (run tools/test.sh first)" >&2
fi
echo "cross: done after $((SECONDS - start)) s"

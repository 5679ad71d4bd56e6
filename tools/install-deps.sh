#!/usr/bin/env bash
# Installs what building and testing fer needs on Debian 12, and nothing that is already there.
# Usage: tools/install-deps.sh [--python|--test]
#   --python  also what the Python package needs to build and install with pip (README, "Python")
#   --test    the same, pytest and Dask (the Python package's tests and folder example), and
#             what the other tests and benchmarks need: OpenCV (fer is compared with it; the
#             library never uses it), ffmpeg (renders test video clips), python3-skimage (its
#             public-domain astronaut portrait), and the model converters' Python modules (h5py,
#             onnx; torch for the Keras and ONNX parity checks and the training recipe, with pil
#             and matplotlib).
set -euo pipefail

packages=()
need_command() {  # need_command COMMAND PACKAGE
  command -v "$1" >/dev/null 2>&1 || packages+=("$2")
}
need_package() {  # need_package PACKAGE
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed" || packages+=("$1")
}

need_command g++ g++
need_command cmake cmake
need_command make make
need_command pkg-config pkg-config
need_command npm npm
need_package libeigen3-dev
need_package libstb-dev
need_package doctest-dev
need_package libbenchmark-dev
need_package opencv-data  # the cascade files the face detector reads
if [[ "${1:-}" == "--python" || "${1:-}" == "--test" ]]; then
  need_package python3-dev
  need_package python3-venv
  need_package python3-pip
  need_package python3-setuptools
  need_package python3-wheel
  need_package python3-pybind11
  need_package python3-numpy
fi
if [[ "${1:-}" == "--test" ]]; then
  need_package python3-pytest
  need_package python3-dask  # python/examples/folder.py's scale-out path
  need_package python3-distributed  # ... on a cluster (a local one in the tests)
  need_package libopencv-dev
  need_package python3-skimage  # astronaut.png, a public-domain portrait for detector tests
  need_package python3-h5py
  need_package python3-onnx
  need_package python3-torch
  need_package python3-pil         # tools/train.py reads the face folders
  need_package python3-matplotlib  # tools/train.py draws its loss and accuracy curves
  need_command ffmpeg ffmpeg  # renders the test clips for fer video
  need_command clang++ clang  # libFuzzer targets and the sanitizer builds (tools/fuzz.sh, sanitize.sh)
  need_package libclang-rt-14-dev
  need_package python3-opencv  # runs fer's ONNX exports; OpenCV's boxes for tools/detector-parity.py
fi

if ((${#packages[@]} == 0)); then
  exit 0
fi
echo "install-deps: installing ${packages[*]}" >&2
sudo=""
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null 2>&1 || { echo "install-deps: run as root to install ${packages[*]}" >&2; exit 1; }
  sudo=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${packages[@]}"

#!/usr/bin/env bash
# Installs what building and testing fer needs on Debian 12, and nothing that is already there.
# Usage: tools/install-deps.sh [--test]
#   --test  also OpenCV and its data files: the tests and benchmarks compare fer with OpenCV
#           (a test dependency only; the library never uses it).
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
if [[ "${1:-}" == "--test" ]]; then
  need_package libopencv-dev
  need_package opencv-data
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

#!/usr/bin/env bash
# The README's second command, and what CI runs: installs what is missing (OpenCV included, for
# the parity tests), fetches the pinned assets, builds everything and runs the whole test suite:
# the C++ tests, then the Python package installed with pip into a venv and its pytest suite.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
tools/install-deps.sh --test
tools/fetch-assets.sh
# Benchmarks are built (not run) so that they keep compiling.
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DFER_BUILD_BENCHMARKS=ON >/dev/null
cmake --build build -j"$(nproc)"
ctest --test-dir build --output-on-failure -j"$(nproc)"
tools/test-python.sh

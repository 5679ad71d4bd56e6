#!/usr/bin/env bash
# The unit tests built with FER_NO_SIMD (fer/cpu.hpp): no hand-written SIMD is compiled, so every
# kernel takes its plain path, as on a CPU without AVX2. CI runs it after tools/test.sh.
# usage: tools/test-no-simd.sh
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
tools/install-deps.sh --test
tools/fetch-assets.sh
cmake -S . -B build-nosimd -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS="-DFER_NO_SIMD" \
  -DFER_BUILD_EXAMPLES=OFF -DFER_HEADER_CHECK=OFF >/dev/null
cmake --build build-nosimd -j"$(nproc)" --target fer_tests
build-nosimd/tests/fer_tests

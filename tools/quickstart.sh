#!/usr/bin/env bash
# The README's first command: installs what is missing, fetches the pinned sample photos, builds
# the fer tool and runs the main job on a real photo with the shipped model: find the faces,
# classify their expressions, print JSON and write an annotated copy to out/. It also installs what
# the Python package needs to build (README, "Python").
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
tools/install-deps.sh --python
tools/fetch-assets.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build --target fer_cli -j"$(nproc)"
mkdir -p out
echo
echo "$ build/fer classify --annotate out/sample3-classified.png assets/face-api/sample3.jpg"
build/fer classify --annotate out/sample3-classified.png assets/face-api/sample3.jpg
echo "annotated picture: out/sample3-classified.png"

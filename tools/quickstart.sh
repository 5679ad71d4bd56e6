#!/usr/bin/env bash
# The README's first command: installs what is missing, fetches the pinned sample photos, builds
# the fer tool and runs the main job on a real photo: find the faces (and their eyes) and write
# an annotated copy to out/.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
tools/install-deps.sh
tools/fetch-assets.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build --target fer_cli -j"$(nproc)"
mkdir -p out
echo
echo "$ build/fer detect --eyes --min-size 30 --annotate out/sample3-faces.png assets/face-api/sample3.jpg"
build/fer detect --eyes --min-size 30 --annotate out/sample3-faces.png assets/face-api/sample3.jpg
echo "annotated picture: out/sample3-faces.png"

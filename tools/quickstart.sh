#!/usr/bin/env bash
# The README's first command: installs what is missing, fetches the pinned sample photos, builds
# the fer tool and runs it on a real photo.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
tools/install-deps.sh
tools/fetch-assets.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build --target fer_cli -j"$(nproc)"
echo
echo "$ build/fer info assets/face-api/sample1.jpg"
build/fer info assets/face-api/sample1.jpg

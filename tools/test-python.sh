#!/usr/bin/env bash
# The Python package's tests (part of tools/test.sh): installs the checkout with pip into a fresh
# venv that sees Debian's packages (NumPy, pybind11, pytest; there is no PyPI here), then runs
# pytest on the installed package, next to the C++ tool in build/ for the parity tests.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
venv=build-python/venv
rm -rf "$venv"
/usr/bin/python3 -m venv --system-site-packages "$venv"
"$venv/bin/pip" install --quiet --no-build-isolation --no-index .
# From a folder outside the checkout, so that `import fer` finds the installed package.
cd build-python
FER_TOOL="$top/build/fer" "$top/$venv/bin/python" -m pytest -q -p no:cacheprovider \
    "$top/python/tests" "$@"

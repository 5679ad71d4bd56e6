#!/usr/bin/env bash
# The converter's layer table (tools/ferconvert/graph.py LAYER_KINDS) and the C++ registry
# (include/fer/nn/layers.hpp) list the same layer types in the same order.
# usage: layer_types_check.sh FER_MODEL_RUNNER    (exit 77 without python3-numpy)
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
python=/usr/bin/python3
"$python" -c "import numpy" 2>/dev/null || { echo "SKIPPED: python3-numpy is missing"; exit 77; }
cpp=$("$1" --layer-types) || { echo "FAILED: $1 --layer-types"; exit 1; }
py=$(cd "$top/tools" && "$python" -c 'from ferconvert import graph; print("\n".join(graph.LAYER_TYPES))') ||
  { echo "FAILED: reading the converter's table"; exit 1; }
if [[ "$cpp" != "$py" ]]; then
  echo "FAILED: the layer types differ"
  diff <(echo "$cpp") <(echo "$py") | sed 's/^</  C++:/; s/^>/  converter:/'
  exit 1
fi
echo "ok: $(echo "$cpp" | wc -l) layer types agree: $(echo "$cpp" | tr '\n' ' ')"

#!/usr/bin/env bash
# Fetches the pinned npm packages that hold fer's sample photos and pretrained models,
# checks each tarball against its published integrity hash, and unpacks the files fer uses into
# assets/ (ignored by git). Nothing is downloaded when the files are already there.
# Usage: tools/fetch-assets.sh [--bench] [DEST]   (default DEST: assets/ at the top of the repository)
#   --bench also fetches ONNX Runtime's CPU library (npm's onnxruntime-node, 113 MB, x86-64 Linux),
#   which the benchmarks run as a peer (tools/bench.sh).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
bench=0
if [[ ${1:-} == --bench ]]; then
  bench=1
  shift
fi
dest=${1:-$top/assets}

# name  version  integrity (from `npm view NAME@VERSION dist.integrity`)  directory under DEST
packages=(
  "@vladmandic/face-api 1.7.15 sha512-WDMmK3CfNLo8jylWqMoQgf4nIst3M0fzx1dnac96wv/dvMTN4DxC/Pq1DGtduDk1lktCamQ3MIDXFnvrdHTXDw== face-api"
  "@vladmandic/human 3.3.6 sha512-Nr5mPfq1gQ+uKeXY5uM3Fj8UxvF5CEh2s6txM5wRThqaW0mF9huooOuZSrT8hhGho0hGaXLFdAwfD/2+teCv6A== human"
)
# Bump when a keep list changes, so that existing asset folders are unpacked again.
revision=4
# What to keep from each package, by directory: paths inside the tarball.
keep_face_api=(package/LICENSE package/demo/sample1.jpg package/demo/sample2.jpg
  package/demo/sample3.jpg package/demo/sample4.jpg package/demo/sample5.jpg package/demo/sample6.jpg
  package/model/face_expression_model-weights_manifest.json package/model/face_expression_model.bin
  package/dist/face-api.node-wasm.js)
keep_onnxruntime=(package/package.json package/bin/napi-v6/linux/x64/libonnxruntime.so.1)
if ((bench)); then
  packages+=("onnxruntime-node 1.30.0 sha512-twhs1C2C/BFkz1yc5OY0KIU2GUq6DURO7hD4bx5Q2Qy3nAMJwRXW8xU3NVczE29VA9lolLOYepoD8fjTGOfIqw== onnxruntime")
fi
keep_human=(package/LICENSE package/models/emotion.json package/models/emotion.bin
  package/models/blazeface.json package/models/blazeface.bin)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for entry in "${packages[@]}"; do
  read -r name version integrity dir <<<"$entry"
  stamp="$dest/$dir/.fetched-$version-r$revision"
  [[ -f "$stamp" ]] && continue
  echo "fetch-assets: $name@$version" >&2
  if ! (cd "$work" && npm pack --loglevel=error "$name@$version" >/dev/null 2>"$work/npm.err"); then
    reason=$(grep -m1 "npm ERR! request" "$work/npm.err" || grep -m1 . "$work/npm.err" || true)
    echo "fetch-assets: npm could not fetch $name@$version: ${reason#npm ERR! }" >&2
    exit 1
  fi
  tarball=$(ls "$work"/*.tgz)
  hex=$(sha512sum "$tarball" | cut -d' ' -f1)
  actual="sha512-$(printf "$(sed 's/../\\x&/g' <<<"$hex")" | base64 -w0)"
  if [[ "$actual" != "$integrity" ]]; then
    echo "fetch-assets: $name@$version integrity mismatch: expected $integrity, found $actual" >&2
    exit 1
  fi
  keep_var="keep_${dir//-/_}[@]"
  rm -rf "${dest:?}/$dir"
  mkdir -p "$dest/$dir"
  tar -xzf "$tarball" -C "$work" "${!keep_var}"
  for path in "${!keep_var}"; do
    cp "$work/$path" "$dest/$dir/"
  done
  rm -f "$tarball"
  touch "$stamp"
done

#!/usr/bin/env bash
# Writes a GGUF file with fer, then reads it with Hugging Face's independent parser, installed
# from the npm registry at the versions pinned (with integrity hashes) in package-lock.json.
# Usage: check.sh FER_GGUF_INTEROP_PROGRAM WORK_DIR ; exits 77 (skipped) without node and npm.
set -euo pipefail
program=$1 work=$2
here=$(cd "$(dirname "$0")" && pwd)
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "skipped: node and npm are needed for the GGUF interoperability test"
  exit 77
fi
mkdir -p "$work"
cp "$here/package.json" "$here/package-lock.json" "$here/compare.js" "$work/"
if [[ ! -d "$work/node_modules/@huggingface/gguf" ]]; then
  (cd "$work" && npm ci --no-audit --no-fund --silent)
fi
"$program" "$work/sample.gguf" "$work/fer.json"
node "$work/compare.js" "$work/sample.gguf" "$work/fer.json"

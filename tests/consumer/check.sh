#!/usr/bin/env bash
# Installs fer from a build tree into a temporary prefix, then builds and runs a consumer project
# against it twice: with CMake's find_package(fer) and with pkg-config. Also runs the installed
# fer tool. Usage: check.sh BUILD_DIR WORK_DIR CMAKE
set -euo pipefail
build=$1 work=$2 cmake=$3
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$work"
mkdir -p "$work"
prefix=$work/prefix

"$cmake" --install "$build" --prefix "$prefix" >/dev/null
echo "installed into $prefix"

if [[ -x "$prefix/bin/fer" ]]; then
  "$prefix/bin/fer" --help | grep -q "usage: fer COMMAND"
  echo "installed fer --help: ok"
fi

"$cmake" -S "$here" -B "$work/cmake-build" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
"$cmake" --build "$work/cmake-build" >/dev/null
"$work/cmake-build/consumer"

pcdir=$(dirname "$(find "$prefix" -name fer.pc | head -n1)")
flags=$(PKG_CONFIG_PATH="$pcdir" pkg-config --cflags --libs fer)
c++ -std=c++17 "$here/main.cpp" $flags -o "$work/consumer-pkg-config"
"$work/consumer-pkg-config"
echo "pkg-config flags: $flags"

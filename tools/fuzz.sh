#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (address and undefined-behaviour sanitizers on), makes
# their seed corpora from real files, and runs each target for SECONDS (default 600).
# usage: tools/fuzz.sh [SECONDS] [TARGET...]     (targets: model cascade image y4m)
# Findings (crash-*, leak-*, timeout-*) land in build-fuzz/findings/TARGET/; the exit status is
# non-zero when a target finds one. Corpora grow in build-fuzz/corpus/TARGET/.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
seconds=${1:-600}
shift || true
targets=("$@")
((${#targets[@]})) || targets=(model cascade image y4m)
tools/install-deps.sh --test  # clang and its libFuzzer runtime
command -v clang++ >/dev/null || { echo "fuzz.sh: needs clang (apt-get install clang)" >&2; exit 1; }
tools/fetch-assets.sh
CXX=clang++ cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFER_BUILD_FUZZERS=ON \
  -DFER_BUILD_TESTS=OFF -DFER_BUILD_EXAMPLES=OFF -DFER_NATIVE=ON >/dev/null
cmake --build build-fuzz -j"$(nproc)"

corpus=build-fuzz/corpus
seeds=build-fuzz/seeds
rm -rf "$seeds"
build-fuzz/fuzz/fuzz_seeds assets/face-api/sample3.jpg "$seeds"
cp weights/*.gguf "$seeds/model/"
cascades=/usr/share/opencv4
for f in lbpcascades/lbpcascade_frontalface.xml haarcascades/haarcascade_russian_plate_number.xml \
         haarcascades/haarcascade_licence_plate_rus_16stages.xml; do
  cp "$cascades/$f" "$seeds/cascade/"
done

status=0
for t in "${targets[@]}"; do
  mkdir -p "$corpus/$t" "build-fuzz/findings/$t"
  echo "fuzz.sh: fuzz_$t for $seconds s" >&2
  # -rss_limit_mb: the limits in fer/limits.hpp allow a 64-megapixel image (192 MiB) and its
  # decoder's buffers; more than 2 GiB would be a bug.
  if ! build-fuzz/fuzz/fuzz_"$t" "$corpus/$t" "$seeds/$t" -max_total_time="$seconds" \
       -rss_limit_mb=2560 -timeout=20 -max_len=1048576 -print_final_stats=1 \
       -artifact_prefix="build-fuzz/findings/$t/" 2>"build-fuzz/fuzz_$t.log"; then
    echo "fuzz.sh: fuzz_$t FOUND A PROBLEM, see build-fuzz/fuzz_$t.log and build-fuzz/findings/$t/" >&2
    tail -n 30 "build-fuzz/fuzz_$t.log" >&2
    status=1
  else
    grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "build-fuzz/fuzz_$t.log" \
      | sed "s/^/fuzz.sh: fuzz_$t /" >&2
  fi
done
exit $status

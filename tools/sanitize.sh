#!/usr/bin/env bash
# The test suite under the sanitizers, as CI runs it:
#   1. AddressSanitizer + UndefinedBehaviorSanitizer (any finding is fatal) build in build-asan,
#      the whole CTest suite, except the checks that run over whole datasets or rebuild the
#      weights: the shipped models over all 3,589 FER2013 val faces, the training recipe, and
#      both detectors over FDDB's 142 photos (detection_eval, the longest run under ASan, about
#      two minutes). The same code paths run under the sanitizers on fewer inputs in the other
#      tests: fer eval in classify_check.sh, fer detect in the detector and CLI checks;
#   2. ThreadSanitizer build in build-tsan of tests/test_threads.cpp: several threads sharing
#      one detector, network, recognizer, tracker or latest-frame reader.
# usage: tools/sanitize.sh [asan|tsan]...   (default: both)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
kinds=("$@")
((${#kinds[@]})) || kinds=(asan tsan)
tools/install-deps.sh --test
tools/fetch-assets.sh
jobs=$(nproc)

for kind in "${kinds[@]}"; do
  case $kind in
    asan)
      flags="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
      # -O1 -g1: compiles fast, runs fast enough, and gives file:line in reports.
      cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS="$flags" \
        -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" -DFER_HEADER_CHECK=OFF \
        -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" >/dev/null
      cmake --build build-asan -j"$jobs"
      ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:strict_string_checks=1 \
      UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        ctest --test-dir build-asan --output-on-failure -j"$jobs" \
          -E "^(int8_agreement_human|int8_agreement_faceapi|weights_reproducible|cli_eval|train_recipe|detection_eval)$"
      ;;
    tsan)
      cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFER_BUILD_EXAMPLES=OFF \
        -DCMAKE_CXX_FLAGS="-fsanitize=thread" -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=thread" \
        >/dev/null
      cmake --build build-tsan -j"$jobs" --target fer_thread_tests
      TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 build-tsan/tests/fer_thread_tests
      ;;
    *)
      echo "sanitize.sh: unknown kind '$kind' (asan or tsan)" >&2
      exit 2
      ;;
  esac
done

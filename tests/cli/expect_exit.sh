#!/usr/bin/env bash
# Runs a command that must fail: checks its exact exit status and that it explains itself in one
# line on stderr (a crash, an abort or a multi-line trace fails the test).
# usage: expect_exit.sh STATUS PATTERN COMMAND [ARGS...]   (PATTERN: grep -E, on that line)
set -uo pipefail
want=$1 pattern=$2
shift 2
err=$(mktemp)
trap 'rm -f "$err"' EXIT
"$@" >/dev/null 2>"$err"
status=$?
lines=$(wc -l <"$err")
if [[ $status -ne $want || $lines -ne 1 ]] || ! grep -qE -- "$pattern" "$err"; then
  echo "FAILED: exit status $status (expected $want), $lines lines on stderr (expected 1, matching '$pattern'):"
  cat "$err"
  exit 1
fi
echo "ok: exit status $status: $(cat "$err")"

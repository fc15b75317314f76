#!/usr/bin/env bash
# Exploratory fuzzing, for developers (`make fuzz`), not CI: runs every fuzz
# target in the repository for FUZZTIME each (default 60s), one at a time,
# or only those whose package or name matches the regular expression FUZZ,
# with FUZZPARALLEL workers (default: one per core). FUZZMINIMIZE bounds the
# time spent shrinking each new interesting input (default 5s; go test's own
# 60s let FuzzInject, whose inputs take milliseconds each, spend whole runs
# minimizing: 41 inputs in ten minutes).
# A failure leaves the failing input under the package's testdata/fuzz/,
# where plain `go test` (and so `make test`) replays it from then on: fix the
# bug and commit the input as a regression case.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${FUZZTIME:-60s}
filter=${FUZZ:-.}
minimize=${FUZZMINIMIZE:-5s}
parallel=()
[[ -n "${FUZZPARALLEL:-}" ]] && parallel=(-parallel "$FUZZPARALLEL")
status=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT
while IFS= read -r line; do
  file=${line%%:*}
  name=$(sed -E 's/.*func (Fuzz[A-Za-z0-9_]*)\(.*/\1/' <<<"$line")
  pkg=$(dirname "$file")
  grep -qE -- "$filter" <<<"$pkg $name" || continue
  if go test "$pkg" -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" -fuzzminimizetime "$minimize" "${parallel[@]}" >"$log" 2>&1; then
    # The last progress line says how many inputs ran and how many were new.
    echo "ok    $pkg $name ($fuzztime): $(grep -oE 'execs: [0-9]+.*' "$log" | tail -1)"
  else
    echo "FAIL  $pkg $name ($fuzztime)"
    cat "$log"
    status=1
  fi
done < <(grep -rn --include='*_test.go' -E '^func Fuzz[A-Za-z0-9_]*\(f \*testing\.F\)' . | grep -v '^./tools/' | sort)
exit $status

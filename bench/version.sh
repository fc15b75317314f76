#!/usr/bin/env bash
# Whole-process cost of `meshctl version --client`: wall time (hyperfine when
# installed, else a loop) and peak resident memory (GNU time's max RSS),
# beside bench/startfloor, a program that links only the libraries meshctl
# must use and does nothing else. The floor is what those libraries cost by
# themselves (their package init and the pages it touches); the gap above it
# is meshctl's own.
# Usage: bench/version.sh [path/to/meshctl]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-bin/meshctl}
[[ -x "$bin" ]] || make build >/dev/null
floor=bin/startfloor
CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o "$floor" ./bench/startfloor

wall() {
  if command -v hyperfine >/dev/null; then
    hyperfine -N --warmup 10 --runs 200 "$@"
  else
    for b in "$@"; do
      start=$(date +%s%N)
      for _ in $(seq 200); do $b >/dev/null; done
      echo "$b: mean wall time $(( ($(date +%s%N) - start) / 200000 ))µs over 200 runs"
    done
  fi
}

peak() {
  local max=0 kb
  for _ in $(seq 10); do
    kb=$(/usr/bin/time -f %M "$@" 2>&1 >/dev/null)
    (( kb > max )) && max=$kb
  done
  echo "$1: peak RSS (max of 10 runs) $((max / 1024)) MiB"
}

echo "binaries: $bin ($(du -h "$bin" | cut -f1)), $floor ($(du -h "$floor" | cut -f1))"
wall "$bin version --client" "$floor version --client"
peak "$bin" version --client
peak "$floor" version --client

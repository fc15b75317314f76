#!/usr/bin/env bash
# Whole-process cost of `meshctl version --client`: wall time (hyperfine when
# installed, else a loop) and peak resident memory (GNU time's max RSS).
# Usage: bench/version.sh [path/to/meshctl]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-bin/meshctl}
[[ -x "$bin" ]] || make build >/dev/null
echo "binary: $bin ($(du -h "$bin" | cut -f1))"
if command -v hyperfine >/dev/null; then
  hyperfine -N --warmup 5 --runs 100 "$bin version --client"
else
  start=$(date +%s%N)
  for _ in $(seq 100); do "$bin" version --client >/dev/null; done
  echo "mean wall time: $(( ($(date +%s%N) - start) / 100000 ))µs over 100 runs"
fi
max=0
for _ in $(seq 10); do
  kb=$(/usr/bin/time -f %M "$bin" version --client 2>&1 >/dev/null)
  (( kb > max )) && max=$kb
done
echo "peak RSS (max of 10 runs): $((max / 1024)) MiB"

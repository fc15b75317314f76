#!/usr/bin/env bash
# Whole-process cost of `meshctl manifest generate --set profile=demo`: wall
# time (hyperfine when installed, else a loop) and peak resident memory (GNU
# time's max RSS). Targets: at most 31 ms and 49 MiB (istioctl: ~314 ms,
# 148 MiB).
# Usage: bench/manifest-generate.sh [path/to/meshctl]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-bin/meshctl}
[[ -x "$bin" ]] || make build >/dev/null
args=(manifest generate --set profile=demo)
# A binary the linker has just written sits in the page cache in a form that
# maps more of it per fault: every run of it shows some MiB more RSS (start-up
# included) until the cache is rebuilt. Write it back and drop it from the
# cache, so the figures do not depend on how recently it was built.
sync "$bin" && dd if="$bin" iflag=nocache count=0 status=none || true
echo "binary: $bin ($(du -h "$bin" | cut -f1)), output: $("$bin" "${args[@]}" | wc -c) bytes, $("$bin" "${args[@]}" | grep -c '^kind:') objects"
if command -v hyperfine >/dev/null; then
  hyperfine -N --warmup 5 --runs 100 --output=pipe "$bin ${args[*]}"
else
  start=$(date +%s%N)
  for _ in $(seq 100); do "$bin" "${args[@]}" >/dev/null; done
  echo "mean wall time: $(( ($(date +%s%N) - start) / 100000 ))µs over 100 runs"
fi
max=0
for _ in $(seq 10); do
  kb=$(/usr/bin/time -f %M "$bin" "${args[@]}" 2>&1 >/dev/null)
  (( kb > max )) && max=$kb
done
echo "peak RSS (max of 10 runs): $((max / 1024)) MiB"

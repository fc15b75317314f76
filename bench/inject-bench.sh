#!/usr/bin/env bash
# Whole-process cost of `meshctl kube-inject -f` on the benchmark stream of
# N Deployments with Services (default 2,000, about 2.3 MB): wall time, CPU
# time and peak resident memory (GNU time), best of 3 runs.
# Usage: bench/inject-bench.sh [N] [path/to/meshctl]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-2000}
bin=${2:-bin/meshctl}
[[ -x "$bin" ]] || make build >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go run ./bench/inject-gen "$n" > "$tmp/in.yaml"
echo "input: $n Deployments with Services, $(wc -c < "$tmp/in.yaml") bytes"
for _ in 1 2 3; do
  /usr/bin/time -f '%e s wall, %U s user, %S s sys, %M KiB max RSS' \
    "$bin" kube-inject -f "$tmp/in.yaml" 2>&1 >"$tmp/out.yaml" | tail -1
done
echo "output: $(wc -c < "$tmp/out.yaml") bytes, sha256 $(sha256sum < "$tmp/out.yaml" | cut -d' ' -f1)"

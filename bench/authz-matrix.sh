#!/usr/bin/env bash
# Whole-process cost of `meshctl authz matrix` on synthetic meshes of growing
# size (workloads x services / policies, then with issue 15's reachability
# objects: +SIDECARS/SERVICEENTRIES/VIRTUALSERVICES/NETWORKPOLICIES): wall
# time and peak resident memory. Each ServiceEntry host is a column of the
# matrix. The in-process figures come from `go test -bench Matrix ./pkg/authz/`.
# Usage: bench/authz-matrix.sh [path/to/meshctl]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-bin/meshctl}
[[ -x "$bin" ]] || make build >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for size in "100 100 200" "200 200 400" "400 400 800" \
  "100 100 200 50 100 100 100" "200 200 400 100 200 200 200" "400 400 800 200 400 400 400"; do
  read -r w s p sc se vs np <<<"$size"
  go run ./bench/authz-gen -workloads "$w" -services "$s" -policies "$p" \
    -sidecars "${sc:-0}" -serviceentries "${se:-0}" -virtualservices "${vs:-0}" -networkpolicies "${np:-0}" >"$tmp/mesh.yaml"
  name="${w}x${s}/${p}"
  [[ -z "${sc:-}" ]] || name+="+${sc}/${se}/${vs}/${np}"
  start=$(date +%s%N)
  kb=$(/usr/bin/time -f %M "$bin" authz matrix -f "$tmp/mesh.yaml" -o json 2>&1 >"$tmp/out.json" | tail -1)
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  echo "${name}: ${ms} ms wall, peak RSS $((kb / 1024)) MiB, input $(du -k "$tmp/mesh.yaml" | cut -f1) KiB, output $(du -k "$tmp/out.json" | cut -f1) KiB"
done

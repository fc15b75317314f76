#!/usr/bin/env bash
# Whole-process cost of `meshctl analyze -A` when every app is in one
# namespace (issue 21): wall time, CPU time and peak resident memory (GNU time) at
# 2,000, 20,000 and 44,000 apps (a Service, Deployment, DestinationRule and
# VirtualService each, plus one Gateway, PeerAuthentication and
# AuthorizationPolicy), and the growth per doubling of the apps between
# sizes: 2.0 is linear, 4.0 quadratic. On a busy machine wall time
# stretches; CPU time (user+sys) does much less. Target: 44,000 apps under 15 s and
# 1 GiB on a 2-core machine.
# The in-process benchmark is:
#   go test -run XXX -bench 'BenchmarkAnalyzeFiles/.*namespaces=1' -benchtime 1x ./pkg/analyze/
# Usage: bench/analyze-single-namespace.sh [path/to/meshctl] [runs] [apps...]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-bin/meshctl}
runs=${2:-1}
shift $(( $# < 2 ? $# : 2 ))
sizes=("$@")
(( ${#sizes[@]} )) || sizes=(2000 20000 44000)
[[ -x "$bin" ]] || make build >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
med() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
prev_apps="" prev_wall="" prev_cpu="" prev_rss=""
for apps in "${sizes[@]}"; do
  f="$tmp/apps-$apps.yaml"
  go run ./bench/analyze-gen -apps "$apps" -namespaces 1 >"$f"
  echo "apps=$apps in one namespace: $(wc -c <"$f") bytes, $(grep -c '^kind:' "$f") documents"
  times=() cpus=() rss=()
  for _ in $(seq "$runs"); do
    read -r wall user sys kb < <(/usr/bin/time -f '%e %U %S %M' "$bin" analyze -A "$f" 2>&1 >/dev/null | tail -1)
    times+=("$wall") cpus+=("$(echo "$user + $sys" | bc)") rss+=("$kb")
  done
  wall=$(med "${times[@]}") cpu=$(med "${cpus[@]}") kb=$(med "${rss[@]}")
  echo "  wall $wall s (runs: ${times[*]}), CPU (user+sys) $cpu s, max RSS $(( kb / 1024 )) MiB"
  if [[ -n "$prev_apps" ]]; then
    awk -v a0="$prev_apps" -v a1="$apps" -v t0="$prev_wall" -v t1="$wall" -v c0="$prev_cpu" -v c1="$cpu" -v m0="$prev_rss" -v m1="$kb" 'BEGIN {
      d = log(a1 / a0) / log(2)
      printf "  growth per doubling of the apps from %d: wall x%.2f, CPU x%.2f, memory x%.2f\n", a0, (t1 / t0) ^ (1 / d), (c1 / c0) ^ (1 / d), (m1 / m0) ^ (1 / d)
    }'
  fi
  prev_apps=$apps prev_wall=$wall prev_cpu=$cpu prev_rss=$kb
  echo "  load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) (the machine is shared: compare with an idle run)"
done

#!/usr/bin/env bash
# Whole-process cost of `meshctl analyze -A` on generated config: wall time
# and peak resident memory (GNU time), median of several runs, at 2,000 and
# 20,000 apps (a Service, Deployment, DestinationRule and VirtualService
# each, plus a Gateway, PeerAuthentication and AuthorizationPolicy per 50
# apps). Targets at 2,000 apps: at most 0.33 s and 110 MB (istioctl analyze
# -A --use-kube=false: about 1.3 s and 220 MB), linear to 20,000.
# The in-process benchmark is: go test -run XXX -bench BenchmarkAnalyzeFiles ./pkg/analyze/
# Usage: bench/analyze-bench.sh [path/to/meshctl] [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-bin/meshctl}
runs=${2:-5}
[[ -x "$bin" ]] || make build >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for apps in 2000 20000; do
  f="$tmp/apps-$apps.yaml"
  go run ./bench/analyze-gen -apps "$apps" >"$f"
  echo "apps=$apps: $(wc -c <"$f") bytes, $(grep -c '^kind:' "$f") documents"
  times=() cpu=() rss=()
  for _ in $(seq "$runs"); do
    read -r wall user sys kb < <(/usr/bin/time -f '%e %U %S %M' "$bin" analyze -A "$f" 2>&1 >/dev/null | tail -1)
    times+=("$wall") cpu+=("$(echo "$user + $sys" | bc)") rss+=("$kb")
  done
  med() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
  echo "  wall median $(med "${times[@]}") s (runs: ${times[*]}), CPU (user+sys) median $(med "${cpu[@]}") s, max RSS median $(( $(med "${rss[@]}") / 1024 )) MiB"
  echo "  load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) (the machine is shared: compare with an idle run)"
done

#!/usr/bin/env bash
# Whole-process cost of putting the demo profile on a local API server (the
# etcd + kube-apiserver pair of `make cluster`):
#   - first apply:  meshctl install --set profile=demo -y --wait=false
#                   into a fresh namespace each run
#   - no-op apply:  the same command again (every object unchanged, no write)
# next to the same two cases with
#   meshctl manifest generate --set profile=demo | kubectl apply --server-side -f -
# kubectl is $KUBECTL, else one on PATH, else built from the module cache
# (k8s.io/kubernetes/cmd/kubectl, as pinned by tools/kube-apiserver) into a
# temporary directory; nothing in the repository changes.
# Usage: bench/install-apply.sh [path/to/meshctl]   (RUNS=n, default 10)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
bin=${1:-bin/meshctl}
[[ -x "$bin" ]] || make build >/dev/null
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
runs=${RUNS:-10}
work=$(mktemp -d)
cleanup() {
  [[ -n "${cluster_pid:-}" ]] && kill -INT "$cluster_pid" 2>/dev/null && wait "$cluster_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

kubectl=${KUBECTL:-$(command -v kubectl || true)}
if [[ -z "$kubectl" ]]; then
  echo "building kubectl from the module cache (once; a minute or two)..." >&2
  mkdir -p "$work/kubectl"
  cp tools/kube-apiserver/go.mod tools/kube-apiserver/go.sum "$work/kubectl/"
  printf 'package tools\n\nimport _ "k8s.io/kubernetes/cmd/kubectl"\n' >"$work/kubectl/tools.go"
  (cd "$work/kubectl" && GOFLAGS=-mod=mod go build -ldflags=-s -o "$work/kubectl/kubectl" k8s.io/kubernetes/cmd/kubectl)
  kubectl=$work/kubectl/kubectl
fi

go build -o "$work/devcluster" ./hack/devcluster
"$work/devcluster" -dir "$work/cluster" >"$work/cluster.log" 2>&1 &
cluster_pid=$!
for _ in $(seq 120); do
  grep -q "is ready" "$work/cluster.log" 2>/dev/null && break
  sleep 0.5
done
grep -q "is ready" "$work/cluster.log" || { cat "$work/cluster.log" >&2; exit 1; }
export KUBECONFIG=$work/cluster/admin.kubeconfig

# ms runs a command and prints its wall time in milliseconds.
ms() {
  local start end
  start=$(date +%s%N)
  "$@" >/dev/null 2>"$work/last.err" || { cat "$work/last.err" >&2; return 1; }
  end=$(date +%s%N)
  echo $(((end - start) / 1000000))
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

meshctl_apply() { "$bin" install --set profile=demo --set "namespace=$1" -y --wait=false; }
kubectl_apply() { "$bin" manifest generate --set profile=demo --set "namespace=$1" | "$kubectl" apply --server-side --field-manager=bench -f -; }

objects=$("$bin" manifest generate --set profile=demo | grep -c '^kind:')
echo "meshctl: $bin; kubectl: $kubectl; demo profile: $objects objects; $runs runs each; median wall time"

# The very first apply, on an empty cluster, also creates and waits for the
# CRDs (one run). Later first applies go to fresh namespaces with the
# cluster-wide CRDs already in place, for meshctl and kubectl alike.
empty=$(ms meshctl_apply warmup)

first=() noop=() kfirst=() knoop=()
for i in $(seq "$runs"); do
  first+=("$(ms meshctl_apply "bench-m$i")")
  noop+=("$(ms meshctl_apply "bench-m$i")")
  "$kubectl" create namespace "bench-k$i" >/dev/null
  kfirst+=("$(ms kubectl_apply "bench-k$i")")
  knoop+=("$(ms kubectl_apply "bench-k$i")")
done
# The no-op runs must really be no-ops.
"$bin" install --set profile=demo --set namespace=bench-m1 -y --wait=false 2>&1 >/dev/null | grep -q "is up to date" ||
  { echo "meshctl re-apply was not a no-op" >&2; exit 1; }

printf '%-58s %6s ms\n' \
  "meshctl install (first apply, empty cluster, 1 run)" "$empty" \
  "meshctl install (first apply)" "$(printf '%s\n' "${first[@]}" | median)" \
  "meshctl install (no-op re-apply)" "$(printf '%s\n' "${noop[@]}" | median)" \
  "manifest generate | kubectl apply --server-side (first)" "$(printf '%s\n' "${kfirst[@]}" | median)" \
  "manifest generate | kubectl apply --server-side (re-apply)" "$(printf '%s\n' "${knoop[@]}" | median)"

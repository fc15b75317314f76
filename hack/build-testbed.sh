#!/usr/bin/env bash
# Builds the servers that the integration tests start, etcd, kube-apiserver and
# Istio's pilot-discovery (istiod), from the pinned modules under tools/ into
# .cache/bin (git-ignored). A binary is rebuilt only when it is missing or when
# its tools module (go.mod/go.sum) or the Go toolchain changed since it was
# built.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bin="${MESHCTL_TEST_BIN:-$root/.cache/bin}"
mkdir -p "$bin"

# fingerprint names what a binary was built from: the Go toolchain and the
# tools module's pinned versions.
fingerprint() {
  { go version; echo "$2"; cat "$1/go.mod"; [[ -f "$1/go.sum" ]] && cat "$1/go.sum"; } | sha256sum | cut -d' ' -f1
}

build() { # name module-dir package [ldflags]
  local name=$1 dir=$2 pkg=$3 ldflags=${4:-}
  local stamp="$bin/$name.stamp"
  if [[ -x "$bin/$name" && -f "$stamp" && "$(cat "$stamp")" == "$(fingerprint "$dir" "$ldflags")" ]]; then
    echo "$name: up to date" >&2
    return
  fi
  echo "$name: building (a cold build takes a few minutes)..." >&2
  local start=$SECONDS
  (cd "$dir" && GOFLAGS=-mod=mod go build -trimpath -ldflags="-s -w $ldflags" -o "$bin/$name.tmp" "$pkg")
  mv "$bin/$name.tmp" "$bin/$name"
  fingerprint "$dir" "$ldflags" >"$stamp"
  echo "$name: built in $((SECONDS - start))s" >&2
}

# Two builds at a time on two cores: etcd, then istiod, beside kube-apiserver.
{
  build etcd "$root/tools/etcd" go.etcd.io/etcd/server/v3
  build pilot-discovery "$root/tools/istiod" istio.io/istio/pilot/cmd/pilot-discovery
} &
others=$!
# Stamp the server with its release so /version answers like a real cluster.
kver=$(awk '$1 == "require" && $2 == "k8s.io/kubernetes" {print $3}' "$root/tools/kube-apiserver/go.mod")
kminor=$(echo "$kver" | cut -d. -f2)
vpkg=k8s.io/component-base/version
build kube-apiserver "$root/tools/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver \
  "-X $vpkg.gitVersion=$kver -X $vpkg.gitMajor=1 -X $vpkg.gitMinor=$kminor -X $vpkg.gitTreeState=clean"
wait "$others"

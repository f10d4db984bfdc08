#!/usr/bin/env bash
# Builds the local control plane's binaries from the Go module proxy, once per
# version, into a cache outside the repository (default ~/.cache/liftoff).
# No registry carries official builds of these four (kubectl and helm do: see
# hack/fetch-kube-tools.sh). etcd builds beside the Kubernetes binaries: its own
# module, so a second `go build` fills the core the other leaves idle while it
# compiles one huge package or links. Each line names the binary, its time, and
# an estimate (the last build's time on this machine, else one measured here).
# Prints the folders holding them on its last line.
#   hack/build-binaries.sh            build what is missing
#   hack/build-binaries.sh --check    only say whether the cache is complete
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

die() { echo "build-binaries: $*" >&2; exit 1; }
command -v go >/dev/null || die "Go is not installed; install Go 1.25 or newer (https://go.dev/dl) and rerun."

# Versions come from the wrapper modules' go.mod, the single place they are pinned.
k8s_version="$(awk '$1=="k8s.io/kubernetes"{print $2}' "$here/k8s/go.mod")"
etcd_version="$(awk '$1=="go.etcd.io/etcd/server/v3"{print $2}' "$here/etcd/go.mod")"
[ -n "$k8s_version" ] && [ -n "$etcd_version" ] || die "cannot read pinned versions from hack/k8s/go.mod and hack/etcd/go.mod"

cache="${LIFTOFF_CACHE:-$HOME/.cache/liftoff}"
k8s_dir="$cache/k8s-$k8s_version"
etcd_dir="$cache/etcd-$etcd_version"
k8s_bins=(kube-apiserver kube-controller-manager kube-scheduler)

missing=()
[ -x "$etcd_dir/etcd" ] || missing+=("etcd")
for b in "${k8s_bins[@]}"; do [ -x "$k8s_dir/$b" ] || missing+=("$b"); done

if [ "${1:-}" = "--check" ] && [ ${#missing[@]} -gt 0 ]; then
  die "missing in cache: ${missing[*]}; run npm run binaries (hack/build-binaries.sh)"
fi

export CGO_ENABLED=0 GOFLAGS="${GOFLAGS:-} -trimpath"
minor="${k8s_version#v1.}"; minor="${minor%%.*}"
ver_pkg=k8s.io/component-base/version
ldflags="-s -w -X $ver_pkg.gitVersion=$k8s_version -X $ver_pkg.gitMajor=1 -X $ver_pkg.gitMinor=$minor -X $ver_pkg.gitTreeState=clean -X $ver_pkg.buildDate=1970-01-01T00:00:00Z"

# Seconds a cold build took, measured on 2 shared cores (2026-12-01); the last build's time replaces them.
timings="$cache/build-times"
estimate() {
  local last
  last="$(awk -v n="$1" '$1==n{print $2}' "$timings" 2>/dev/null | tail -n1)"
  if [ -n "$last" ]; then echo "$last"; return; fi
  case "$1" in
    etcd) echo 50 ;; kube-apiserver) echo 170 ;; kube-controller-manager) echo 45 ;; kube-scheduler) echo 5 ;; *) echo 60 ;;
  esac
}

build() { # module-dir package out-dir name [ldflags]
  local mod="$1" pkg="$2" out="$3" name="$4" flags="${5:-}" start=$SECONDS
  mkdir -p "$out"
  echo "build-binaries: building $name ($pkg), about $(estimate "$name")s ..." >&2
  if ! (cd "$mod" && go build -ldflags "$flags" -o "$out/.$name.tmp" "$pkg") >"$out/.$name.log" 2>&1; then
    tail -n 20 "$out/.$name.log" >&2
    echo "build-binaries: building $name failed (full log: $out/.$name.log); if a module failed to download, check that the Go module proxy is reachable (go env GOPROXY)" >&2
    return 1
  fi
  mv -f "$out/.$name.tmp" "$out/$name"   # atomic: a half-built binary never looks cached
  rm -f "$out/.$name.log"
  echo "$name $((SECONDS - start))" >>"$timings"
  echo "build-binaries: built $name in $((SECONDS - start))s ($(du -h "$out/$name" | cut -f1))" >&2
}

build_k8s() {
  local m
  for m in "$@"; do build "$here/k8s" "k8s.io/kubernetes/cmd/$m" "$k8s_dir" "$m" "$ldflags" || return 1; done
}

mkdir -p "$cache"
k8s_missing=()
etcd_pid=""
# The background build runs in its own process group (set -m), so Ctrl-C or a failure stops it by that group.
stop_etcd_build() {
  [ -n "$etcd_pid" ] || return 0
  kill -TERM -- "-$etcd_pid" 2>/dev/null || return 0
  wait "$etcd_pid" 2>/dev/null || true
  # Return only once the whole group is gone (go build and its compilers), at most 10 s.
  local tries=100
  while [ $tries -gt 0 ] && kill -0 -- "-$etcd_pid" 2>/dev/null; do sleep 0.1; tries=$((tries - 1)); done
}
trap stop_etcd_build EXIT
trap 'exit 130' INT TERM
for m in "${missing[@]}"; do
  if [ "$m" = etcd ]; then
    set -m
    build "$here/etcd" go.etcd.io/etcd/server/v3 "$etcd_dir" etcd "-s -w" &
    etcd_pid=$!
    set +m
  else
    k8s_missing+=("$m")
  fi
done
k8s_ok=true
[ ${#k8s_missing[@]} -eq 0 ] || build_k8s "${k8s_missing[@]}" || k8s_ok=false
etcd_ok=true
$k8s_ok || exit 1   # the EXIT trap stops the etcd build
[ -z "$etcd_pid" ] || wait "$etcd_pid" || etcd_ok=false
etcd_pid=""
$etcd_ok || exit 1
[ ${#missing[@]} -gt 0 ] || echo "build-binaries: all binaries cached in $cache" >&2

# A cache filled by another build (or by hand) must still report the pinned versions.
got="$("$k8s_dir/kube-apiserver" --version 2>/dev/null || true)"
[ "$got" = "Kubernetes $k8s_version" ] ||
  die "stale cache: $k8s_dir/kube-apiserver reports '${got:-nothing}', expected 'Kubernetes $k8s_version'; delete $k8s_dir and rerun"
got="$("$etcd_dir/etcd" --version 2>/dev/null | head -n 1 || true)"
[ "$got" = "etcd Version: ${etcd_version#v}" ] ||
  die "stale cache: $etcd_dir/etcd reports '${got:-nothing}', expected 'etcd Version: ${etcd_version#v}'; delete $etcd_dir and rerun"
echo "$k8s_dir $etcd_dir"

#!/usr/bin/env bash
# Builds the local control plane's binaries from the Go module proxy, once per
# version, into a cache outside the repository (default ~/.cache/liftoff).
# No registry reachable here carries official builds of these four (kubectl and
# helm it does: see hack/fetch-kube-tools.sh). Two `go build`s run side by side:
# one for the three Kubernetes binaries (one invocation, so their shared packages
# compile once and one binary's link overlaps the others' compiles) and one for
# etcd (its own module), which fills a core whenever the other waits on a link.
# Go's caches sit under the same cache (hack/go-env.sh). Each line names what it
# builds, its time, and an estimate (the last build's time on this machine, else
# one measured here). Prints the folders holding them on its last line.
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

list_missing() {
  missing=()
  [ -x "$etcd_dir/etcd" ] || missing+=("etcd")
  for b in "${k8s_bins[@]}"; do [ -x "$k8s_dir/$b" ] || missing+=("$b"); done
}
list_missing

if [ "${1:-}" = "--check" ] && [ ${#missing[@]} -gt 0 ]; then
  die "missing in cache: ${missing[*]}; run npm run binaries (hack/build-binaries.sh)"
fi

# Two builds at once (a set-up and a test run started side by side) would clear each other's temporary folders: the
# second waits for the first, then builds only what is still missing.
if [ ${#missing[@]} -gt 0 ]; then
  mkdir -p "$cache"
  exec 9>"$cache/.build-binaries.lock"
  if ! flock -n 9; then
    echo "build-binaries: another build is filling $cache; waiting for it ..." >&2
    flock 9
  fi
  list_missing
fi

# shellcheck source=hack/go-env.sh
. "$here/go-env.sh"
minor="${k8s_version#v1.}"; minor="${minor%%.*}"
ver_pkg=k8s.io/component-base/version
ldflags="$go_ldflags_base -X $ver_pkg.gitVersion=$k8s_version -X $ver_pkg.gitMajor=1 -X $ver_pkg.gitMinor=$minor -X $ver_pkg.gitTreeState=clean -X $ver_pkg.buildDate=1970-01-01T00:00:00Z"

# Seconds a cold build (modules downloaded, nothing compiled) takes on 2 idle cores: the CPU time measured here
# on 2026-12-01 (about 600 CPU-seconds for all four) over two cores. The last build's time on this machine replaces them.
timings="$cache/build-times"
estimate() {
  local last
  last="$(awk -v n="$1" '$1==n{print $2}' "$timings" 2>/dev/null | tail -n1)"
  if [ -n "$last" ]; then echo "$last"; return; fi
  case "$1" in etcd) echo 60 ;; kubernetes) echo 270 ;; *) echo 60 ;; esac
}

# The file `go build -o DIR/ PKG` writes: the last path element, or the one before a /vN major-version suffix.
exe_of() {
  local base="${1##*/}" rest="${1%/*}"
  if [[ "$base" =~ ^v[0-9]+$ ]]; then base="${rest##*/}"; fi
  echo "$base"
}

build() { # label module-dir out-dir ldflags name=package...
  local label="$1" mod="$2" out="$3" flags="$4" start=$SECONDS pair names=() pkgs=()
  shift 4
  for pair in "$@"; do names+=("${pair%%=*}"); pkgs+=("${pair#*=}"); done
  mkdir -p "$out"
  rm -rf "$out/.$label.tmp"
  echo "build-binaries: building ${names[*]} (go build ${pkgs[*]}), about $(estimate "$label")s ..." >&2
  if ! (cd "$mod" && go build -ldflags "$flags" -o "$out/.$label.tmp/" "${pkgs[@]}") >"$out/.$label.log" 2>&1; then
    tail -n 20 "$out/.$label.log" >&2
    echo "build-binaries: building ${names[*]} failed (full log: $out/.$label.log); if a module failed to download, check that the Go module proxy is reachable (go env GOPROXY)" >&2
    return 1
  fi
  local i
  for i in "${!names[@]}"; do
    mv -f "$out/.$label.tmp/$(exe_of "${pkgs[$i]}")" "$out/${names[$i]}"   # atomic: a half-built binary never looks cached
  done
  rm -rf "$out/.$label.tmp" "$out/.$label.log"
  echo "$label $((SECONDS - start))" >>"$timings"
  for i in "${names[@]}"; do
    echo "build-binaries: built $i in $((SECONDS - start))s ($(du -h "$out/$i" | cut -f1))" >&2
  done
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
    build etcd "$here/etcd" "$etcd_dir" "$go_ldflags_base" etcd=go.etcd.io/etcd/server/v3 &
    etcd_pid=$!
    set +m
  else
    k8s_missing+=("$m=k8s.io/kubernetes/cmd/$m")
  fi
done
k8s_ok=true
[ ${#k8s_missing[@]} -eq 0 ] || build kubernetes "$here/k8s" "$k8s_dir" "$ldflags" "${k8s_missing[@]}" || k8s_ok=false
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

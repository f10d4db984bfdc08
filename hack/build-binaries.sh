#!/usr/bin/env bash
# Builds the local control plane's binaries from the Go module proxy, once per
# version, into a cache outside the repository (default ~/.cache/liftoff).
# Prints the folder holding them on its last line.
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
k8s_bins=(kube-apiserver kube-controller-manager kube-scheduler kubectl)
# Helm, for the chart's tests (helm lint / template). Its go.mod has no local replaces, so `go install` works.
helm_version="v3.22.0"
helm_dir="$cache/helm-$helm_version"
# Prometheus and promtool, for the monitoring tests: Debian's package unpacked without root (apt-get download +
# dpkg -x, ~2 s here) rather than a Go build of github.com/prometheus/prometheus (many minutes on 2 cores).
prom_version="2.42.0+ds-5+deb12u1"
prom_dir="$cache/prometheus-${prom_version%%+*}"

missing=()
[ -x "$etcd_dir/etcd" ] || missing+=("etcd")
for b in "${k8s_bins[@]}"; do [ -x "$k8s_dir/$b" ] || missing+=("$b"); done
[ -x "$helm_dir/helm" ] || missing+=("helm")
[ -x "$prom_dir/prometheus" ] && [ -x "$prom_dir/promtool" ] || missing+=("prometheus")

if [ "${1:-}" = "--check" ] && [ ${#missing[@]} -gt 0 ]; then
  die "missing in cache: ${missing[*]}; run npm run binaries (hack/build-binaries.sh)"
fi

export CGO_ENABLED=0 GOFLAGS="${GOFLAGS:-} -trimpath"
minor="${k8s_version#v1.}"; minor="${minor%%.*}"
ver_pkg=k8s.io/component-base/version
ldflags="-s -w -X $ver_pkg.gitVersion=$k8s_version -X $ver_pkg.gitMajor=1 -X $ver_pkg.gitMinor=$minor -X $ver_pkg.gitTreeState=clean -X $ver_pkg.buildDate=1970-01-01T00:00:00Z"

build() { # module-dir package out-dir name [ldflags]
  local mod="$1" pkg="$2" out="$3" name="$4" flags="${5:-}" start=$SECONDS
  mkdir -p "$out"
  echo "build-binaries: building $name ($pkg) ..." >&2
  if ! (cd "$mod" && go build -ldflags "$flags" -o "$out/.$name.tmp" "$pkg") >"$out/.$name.log" 2>&1; then
    tail -n 20 "$out/.$name.log" >&2
    die "building $name failed (full log: $out/.$name.log); if a module failed to download, check that the Go module proxy is reachable (go env GOPROXY)"
  fi
  mv -f "$out/.$name.tmp" "$out/$name"   # atomic: a half-built binary never looks cached
  rm -f "$out/.$name.log"
  echo "build-binaries: built $name in $((SECONDS - start))s ($(du -h "$out/$name" | cut -f1))" >&2
}

for m in "${missing[@]}"; do
  case "$m" in
    etcd) build "$here/etcd" go.etcd.io/etcd/server/v3 "$etcd_dir" etcd "-s -w" ;;
    helm)
      start=$SECONDS
      echo "build-binaries: building helm $helm_version (helm.sh/helm/v3/cmd/helm) ..." >&2
      mkdir -p "$helm_dir"
      if ! GOBIN="$helm_dir/.bin" go install -ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$helm_version" \
        "helm.sh/helm/v3/cmd/helm@$helm_version" >"$helm_dir/.helm.log" 2>&1; then
        tail -n 20 "$helm_dir/.helm.log" >&2
        die "building helm failed (full log: $helm_dir/.helm.log)"
      fi
      mv -f "$helm_dir/.bin/helm" "$helm_dir/helm" && rm -rf "$helm_dir/.bin" "$helm_dir/.helm.log"
      echo "build-binaries: built helm in $((SECONDS - start))s ($(du -h "$helm_dir/helm" | cut -f1))" >&2
      ;;
    prometheus)
      start=$SECONDS
      echo "build-binaries: fetching prometheus $prom_version (Debian package, unpacked without root) ..." >&2
      command -v apt-get >/dev/null && command -v dpkg >/dev/null || die "prometheus needs apt-get and dpkg (Debian or Ubuntu)"
      tmp="$(mktemp -d)"
      if ! (cd "$tmp" && apt-get download "prometheus=$prom_version") >"$tmp/log" 2>&1; then
        tail -n 5 "$tmp/log" >&2
        die "apt-get download prometheus=$prom_version failed; run 'apt-get update' (or check the Debian mirror) and rerun"
      fi
      dpkg -x "$tmp"/prometheus_*.deb "$tmp/x"
      mkdir -p "$prom_dir"
      for b in prometheus promtool; do mv -f "$tmp/x/usr/bin/$b" "$prom_dir/$b"; done
      rm -rf "$tmp"
      echo "build-binaries: fetched prometheus in $((SECONDS - start))s" >&2
      ;;
    *) build "$here/k8s" "k8s.io/kubernetes/cmd/$m" "$k8s_dir" "$m" "$ldflags" ;;
  esac
done
[ ${#missing[@]} -gt 0 ] || echo "build-binaries: all binaries cached in $cache" >&2

# A cache filled by another build (or by hand) must still report the pinned versions.
got="$("$k8s_dir/kube-apiserver" --version 2>/dev/null || true)"
[ "$got" = "Kubernetes $k8s_version" ] ||
  die "stale cache: $k8s_dir/kube-apiserver reports '${got:-nothing}', expected 'Kubernetes $k8s_version'; delete $k8s_dir and rerun"
got="$("$etcd_dir/etcd" --version 2>/dev/null | head -n 1 || true)"
[ "$got" = "etcd Version: ${etcd_version#v}" ] ||
  die "stale cache: $etcd_dir/etcd reports '${got:-nothing}', expected 'etcd Version: ${etcd_version#v}'; delete $etcd_dir and rerun"
got="$("$prom_dir/prometheus" --version 2>/dev/null | head -n 1 || true)"
case "$got" in "prometheus, version ${prom_version%%+*}"*) ;; *) die "stale cache: $prom_dir/prometheus reports '${got:-nothing}'; delete $prom_dir and rerun" ;; esac
echo "$k8s_dir $etcd_dir $helm_dir $prom_dir"

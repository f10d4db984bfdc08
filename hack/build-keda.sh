#!/usr/bin/env bash
# Builds KEDA (github.com/kedacore/keda, Apache-2.0) — its operator (ScaledObjects → HPAs, scale to and from zero,
# the scalers that query Prometheus) and its metrics adapter (external.metrics.k8s.io for those HPAs) — from the Go
# module proxy, once per version, into a cache outside the repository (default ~/.cache/liftoff), with its CRDs
# (config/crd/bases/*.yaml: keda.sh and eventing.keda.sh — the operator waits for CloudEventSource's CRD and exits
# after two minutes without it) and its operator's roles (config/rbac/role.yaml) copied next to the binaries. Cold build here: 364 s for both (2 cores shared,
# 2026-12-07, the Kubernetes modules already in the Go module cache).
# KEDA's go.mod has replace directives, so `go install pkg@version` refuses it: the module is downloaded
# (go mod download) and built inside its own folder, where those replace directives apply.
# Prints the folder on its last line.
#   hack/build-keda.sh            build if missing
#   hack/build-keda.sh --check    only say whether the cache has it
set -euo pipefail

die() { echo "build-keda: $*" >&2; exit 1; }
module="github.com/kedacore/keda/v2"
version="v2.20.2" # v2.21 needs Go 1.27
dir="${LIFTOFF_CACHE:-$HOME/.cache/liftoff}/keda-$version"
complete() {
  [ -x "$dir/keda-operator" ] && [ -x "$dir/keda-adapter" ] && [ -f "$dir/crds/keda.sh_scaledobjects.yaml" ] &&
    [ -f "$dir/crds/eventing.keda.sh_cloudeventsources.yaml" ] && [ -f "$dir/rbac/role.yaml" ]
}
if complete; then
  echo "$dir"
  exit 0
fi
[ "${1:-}" = "--check" ] && die "KEDA $version is not in $dir; run hack/build-keda.sh"
command -v go >/dev/null || die "Go is not installed; install Go 1.25 or newer (https://go.dev/dl) and rerun."

# shellcheck source=hack/go-env.sh
. "$(dirname "${BASH_SOURCE[0]}")/go-env.sh"
lock_build_dir "$dir"
if complete; then
  echo "$dir"
  exit 0
fi
# A cache from before the eventing.keda.sh CRDs were copied: add them from the (cached) module, no rebuild.
if [ -x "$dir/keda-operator" ] && [ -x "$dir/keda-adapter" ] && [ -d "$dir/crds" ]; then
  src=$(go mod download -json "$module@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p') ||
    die "downloading $module@$version failed"
  cp "$src"/config/crd/bases/*.yaml "$dir/crds/"
  chmod -R u+w "$dir/crds"
  if complete; then
    echo "$dir"
    exit 0
  fi
fi
start=$SECONDS
echo "build-keda: building KEDA $version ($module/cmd/operator and cmd/adapter) ..." >&2
mkdir -p "$dir"
log="$dir/.build.log"
fail() {
  tail -n 20 "$log" >&2
  die "$1 (full log: $log); check that the Go module proxy is reachable (go env GOPROXY)"
}
src=$(go mod download -json "$module@$version" 2>>"$log" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p') ||
  fail "downloading $module@$version failed"
if [ -z "$src" ] || [ ! -d "$src" ]; then fail "go mod download printed no module folder for $module@$version"; fi
rm -rf "$dir/.bin"
mkdir -p "$dir/.bin/crds" "$dir/.bin/rbac"
# In the module's own folder its go.mod (replace directives included) decides every dependency.
for cmd in operator adapter; do
  if ! (cd "$src" && go build -ldflags "$go_ldflags_base" -o "$dir/.bin/keda-$cmd" "./cmd/$cmd") >>"$log" 2>&1; then
    fail "building KEDA's $cmd failed"
  fi
done
cp "$src"/config/crd/bases/*.yaml "$dir/.bin/crds/"
cp "$src/config/rbac/role.yaml" "$dir/.bin/rbac/role.yaml"
chmod -R u+w "$dir/.bin/crds" "$dir/.bin/rbac" # copied from the read-only module cache
# The manifests first, the binaries last: a half-done copy never looks cached.
rm -rf "$dir/crds" "$dir/rbac"
mv "$dir/.bin/crds" "$dir/crds"
mv "$dir/.bin/rbac" "$dir/rbac"
mv -f "$dir/.bin/keda-operator" "$dir/keda-operator"
mv -f "$dir/.bin/keda-adapter" "$dir/keda-adapter"
rm -rf "$dir/.bin" "$log"
echo "build-keda: built keda-operator and keda-adapter in $((SECONDS - start))s" >&2
echo "$dir"

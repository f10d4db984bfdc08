#!/usr/bin/env bash
# Builds metrics-server (sigs.k8s.io/metrics-server, Apache-2.0), the local cluster's resource metrics API
# (metrics.k8s.io: `kubectl top`, HPAs on cpu/memory), from the Go module proxy, once per version, into a cache
# outside the repository (default ~/.cache/liftoff). Cold build here: 177 s (2 cores shared, 2026-12-07, the
# Kubernetes modules already in the Go module cache from build-binaries.sh).
# Prints the folder on its last line.
#   hack/build-metrics-server.sh            build if missing
#   hack/build-metrics-server.sh --check    only say whether the cache has it
set -euo pipefail

die() { echo "build-metrics-server: $*" >&2; exit 1; }
version="v0.8.1"
dir="${LIFTOFF_CACHE:-$HOME/.cache/liftoff}/metrics-server-$version"
if [ -x "$dir/metrics-server" ]; then
  echo "$dir"
  exit 0
fi
[ "${1:-}" = "--check" ] && die "metrics-server $version is not in $dir; run hack/build-metrics-server.sh"
command -v go >/dev/null || die "Go is not installed; install Go 1.25 or newer (https://go.dev/dl) and rerun."

# shellcheck source=hack/go-env.sh
. "$(dirname "${BASH_SOURCE[0]}")/go-env.sh"
lock_build_dir "$dir"
if [ -x "$dir/metrics-server" ]; then
  echo "$dir"
  exit 0
fi
start=$SECONDS
echo "build-metrics-server: building metrics-server $version (sigs.k8s.io/metrics-server/cmd/metrics-server) ..." >&2
mkdir -p "$dir"
if ! GOBIN="$dir/.bin" go install -ldflags "$go_ldflags_base" \
  "sigs.k8s.io/metrics-server/cmd/metrics-server@$version" >"$dir/.build.log" 2>&1; then
  tail -n 20 "$dir/.build.log" >&2
  die "building metrics-server failed (full log: $dir/.build.log); check that the Go module proxy is reachable (go env GOPROXY)"
fi
mv -f "$dir/.bin/metrics-server" "$dir/metrics-server" # atomic: a half-built binary never looks cached
rm -rf "$dir/.bin" "$dir/.build.log"
echo "build-metrics-server: built metrics-server in $((SECONDS - start))s ($(du -h "$dir/metrics-server" | cut -f1))" >&2
echo "$dir"

#!/usr/bin/env bash
# Builds the Prometheus server for the monitoring integration test from the Go module proxy, once per version,
# into a cache outside the repository (default ~/.cache/liftoff). Debian's package (used for promtool) is built
# without kubernetes_sd_configs, which the test needs, so the server is built here: only the Kubernetes discovery
# plugin is compiled in (build tags remove_all_sd,enable_kubernetes_sd) and the web UI assets are left out.
# Prints the folder on its last line.
#   hack/build-prometheus.sh            build if missing
#   hack/build-prometheus.sh --check    only say whether the cache has it
set -euo pipefail

die() { echo "build-prometheus: $*" >&2; exit 1; }
version="v0.316.0"
dir="${LIFTOFF_CACHE:-$HOME/.cache/liftoff}/prometheus-$version"
if [ -x "$dir/prometheus" ]; then
  echo "$dir"
  exit 0
fi
[ "${1:-}" = "--check" ] && die "prometheus $version is not in $dir; run hack/build-prometheus.sh"
command -v go >/dev/null || die "Go is not installed; install Go 1.25 or newer (https://go.dev/dl) and rerun."

# shellcheck source=hack/go-env.sh
. "$(dirname "${BASH_SOURCE[0]}")/go-env.sh"
start=$SECONDS
echo "build-prometheus: building prometheus $version (github.com/prometheus/prometheus/cmd/prometheus) ..." >&2
mkdir -p "$dir"
if ! GOBIN="$dir/.bin" go install -tags remove_all_sd,enable_kubernetes_sd -ldflags "$go_ldflags_base" \
  "github.com/prometheus/prometheus/cmd/prometheus@$version" >"$dir/.build.log" 2>&1; then
  tail -n 20 "$dir/.build.log" >&2
  die "building prometheus failed (full log: $dir/.build.log); check that the Go module proxy is reachable (go env GOPROXY)"
fi
mv -f "$dir/.bin/prometheus" "$dir/prometheus" # atomic: a half-built binary never looks cached
rm -rf "$dir/.bin" "$dir/.build.log"
echo "build-prometheus: built prometheus in $((SECONDS - start))s ($(du -h "$dir/prometheus" | cut -f1))" >&2
echo "$dir"

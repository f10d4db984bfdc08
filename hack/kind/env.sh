# Names and versions shared by the kind scripts (sourced, not run).
# shellcheck shell=bash disable=SC2034
KIND_CLUSTER="${KIND_CLUSTER:-liftoff}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VERSION="$(node -p "require('$ROOT/package.json').version")"
OPERATOR_IMAGE="ghcr.io/liftoff-dev/liftoff-operator:$VERSION"
RUNTIME_IMAGE="ghcr.io/liftoff-dev/liftoff-runtime:$VERSION"
RUNTIME_GPU_IMAGE="ghcr.io/liftoff-dev/liftoff-runtime:$VERSION-gpu"
# The runtime with Python and torch, for pytorch TrainingJobs (CPU; CUDA when resources.gpu > 0).
PYTORCH_IMAGE="ghcr.io/liftoff-dev/liftoff-pytorch:$VERSION"
PYTORCH_CUDA_IMAGE="ghcr.io/liftoff-dev/liftoff-pytorch-cuda:$VERSION"
LIFTOFF_NAMESPACE="${LIFTOFF_NAMESPACE:-liftoff-system}"
OPENBAO_NAMESPACE="${OPENBAO_NAMESPACE:-openbao}"
MONITORING_NAMESPACE="${MONITORING_NAMESPACE:-monitoring}"
export KUBECONFIG="${KUBECONFIG:-$ROOT/.liftoff/kind/kubeconfig}"

# The chart values that point the release at the images images.sh builds (one per line, for helm --set).
liftoff_chart_values() {
  echo "image.repository=${OPERATOR_IMAGE%:*}"
  echo "image.tag=${OPERATOR_IMAGE##*:}"
  echo "runtimeImage=$RUNTIME_IMAGE"
  # The dev-mode OpenBao up.sh installs (plain HTTP inside the cluster): DataSet and TrainingJob pods log in to it.
  echo "vault.address=http://openbao.$OPENBAO_NAMESPACE.svc:8200"
}

log() { echo "kind: $*" >&2; }
die() { echo "kind: $*" >&2; exit 1; }
need() { command -v "$1" >/dev/null || die "$1 is not installed; $2"; }
# One line per step with its time, like npm start.
step() {
  local what="$1" start=$SECONDS
  shift
  log "$what ..."
  "$@" || die "$what failed"
  log "$what done in $((SECONDS - start))s"
}

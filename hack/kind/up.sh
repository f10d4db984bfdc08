#!/usr/bin/env bash
# Creates the kind cluster and installs Liftoff with everything the demo uses:
#   hack/kind/up.sh [--gpu]      then: hack/kind/demo.sh
# 1. kind cluster from hack/kind/cluster.yaml   2. images built and loaded into the nodes
# 3. Prometheus (kube-prometheus-stack: Prometheus and the ServiceMonitor CRD the operator detects)
# 4. OpenBao (its Helm chart, dev mode) with Kubernetes auth and the transit key   5. Liftoff's chart
set -euo pipefail
# shellcheck source=hack/kind/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
need kind "install kind (https://kind.sigs.k8s.io/docs/user/quick-start/#installation)"
need kubectl "install kubectl, or use the one npm start fetched: export PATH=$ROOT/.liftoff/bin:\$PATH"
need helm "install helm, or use the one npm start fetched: export PATH=$ROOT/.liftoff/bin:\$PATH"
gpu="${1:-}"

mkdir -p "$(dirname "$KUBECONFIG")"
if kind get clusters 2>/dev/null | grep -qx "$KIND_CLUSTER"; then
  log "cluster $KIND_CLUSTER exists; reusing it (hack/kind/down.sh deletes it)"
  kind export kubeconfig --name "$KIND_CLUSTER" --kubeconfig "$KUBECONFIG"
else
  step "creating kind cluster $KIND_CLUSTER" \
    kind create cluster --name "$KIND_CLUSTER" --config "$ROOT/hack/kind/cluster.yaml" --kubeconfig "$KUBECONFIG"
fi

step "building images" bash "$ROOT/hack/kind/images.sh" ${gpu:+"$gpu"}
images=("$OPERATOR_IMAGE" "$RUNTIME_IMAGE" "$PYTORCH_IMAGE")
[ "$gpu" = "--gpu" ] && images+=("$RUNTIME_GPU_IMAGE" "$PYTORCH_CUDA_IMAGE")
step "loading ${images[*]} into the nodes" kind load docker-image --name "$KIND_CLUSTER" "${images[@]}"

step "installing Prometheus (kube-prometheus-stack)" bash -c "
  helm repo add prometheus-community https://prometheus-community.github.io/helm-charts >/dev/null &&
  helm upgrade --install prometheus prometheus-community/kube-prometheus-stack \
    --namespace '$MONITORING_NAMESPACE' --create-namespace --wait \
    --set grafana.enabled=false --set alertmanager.enabled=false \
    --set prometheus.prometheusSpec.serviceMonitorSelectorNilUsesHelmValues=false"

step "installing OpenBao (dev mode)" bash -c "
  helm repo add openbao https://openbao.github.io/openbao-helm >/dev/null &&
  helm upgrade --install openbao openbao/openbao --namespace '$OPENBAO_NAMESPACE' --create-namespace --wait \
    --set server.dev.enabled=true --set injector.enabled=false"
step "configuring OpenBao (Kubernetes auth, transit key)" bash "$ROOT/hack/kind/openbao-config.sh"

sets=()
while read -r v; do sets+=(--set "$v"); done < <(liftoff_chart_values)
step "installing Liftoff (charts/liftoff)" \
  helm upgrade --install liftoff "$ROOT/charts/liftoff" --namespace "$LIFTOFF_NAMESPACE" --create-namespace --wait "${sets[@]}"
log "ready: export KUBECONFIG=$KUBECONFIG; hack/kind/demo.sh runs the demo against it"

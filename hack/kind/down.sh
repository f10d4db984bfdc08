#!/usr/bin/env bash
# Deletes the kind cluster up.sh created (images stay in the local Docker cache).
set -euo pipefail
# shellcheck source=hack/kind/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
need kind "install kind (https://kind.sigs.k8s.io/docs/user/quick-start/#installation)"
step "deleting kind cluster $KIND_CLUSTER" kind delete cluster --name "$KIND_CLUSTER" --kubeconfig "$KUBECONFIG"

#!/usr/bin/env bash
# Configures the OpenBao that up.sh installed, from inside its pod: Kubernetes auth against this cluster,
# the transit key the DataSets encrypt with, and a KV mount for API keys. Idempotent.
set -euo pipefail
# shellcheck source=hack/kind/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
bao() { kubectl exec -n "$OPENBAO_NAMESPACE" openbao-0 -- bao "$@"; }

bao auth list | grep -q '^kubernetes/' || bao auth enable kubernetes
# In-cluster: OpenBao reviews tokens with its own service account (the chart binds system:auth-delegator).
bao write auth/kubernetes/config kubernetes_host="https://kubernetes.default.svc"
bao secrets list | grep -q '^transit/' || bao secrets enable transit
bao write -f transit/keys/liftoff-datasets
bao secrets list | grep -q '^secret/' || bao secrets enable -path=secret kv-v2

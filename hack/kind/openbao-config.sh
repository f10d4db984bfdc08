#!/usr/bin/env bash
# Configures the OpenBao that up.sh installed, from inside its pod: Kubernetes auth against this cluster,
# the transit key the DataSets encrypt with, a KV mount for API keys, and the Vault roles of the demo's DataSet
# and TrainingJob pods in $DEMO_NAMESPACE (the same least-privilege policies npm start writes). Idempotent.
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
# The access record names the pod that read a DataSet version's key (docs/vault.md, "Access record"); the audit
# device itself belongs in the server's config (OpenBao 2.x refuses one enabled through the API).
bao write sys/config/auditing/request-headers/x-liftoff-pod hmac=false

# The demo's data-key roles (docs/vault.md): the DataSet's prepare pod mints and unwraps data keys, the
# TrainingJob's pod only unwraps them (its default role is liftoff-<namespace>-<name>-train).
DEMO_NAMESPACE="${DEMO_NAMESPACE:-liftoff-demo}"
policy() { kubectl exec -i -n "$OPENBAO_NAMESPACE" openbao-0 -- bao policy write "$1" -; }
# Each version's wrapped data key lives in KV (liftoff-datakeys): the prepare pod stores, reads and shreds it there,
# the training pod only reads it (docs/vault.md, "DataSet key store").
printf '%s\n' 'path "transit/datakey/wrapped/liftoff-datasets" { capabilities = ["update"] }' \
  'path "transit/decrypt/liftoff-datasets" { capabilities = ["update"] }' \
  "path \"secret/data/$DEMO_NAMESPACE/liftoff-datakeys/penguins/*\" { capabilities = [\"create\", \"read\"] }" \
  "path \"secret/metadata/$DEMO_NAMESPACE/liftoff-datakeys/penguins/*\" { capabilities = [\"delete\"] }" \
  | policy liftoff-role-liftoff-dataset
bao write auth/kubernetes/role/liftoff-dataset bound_service_account_names=penguins-dataset \
  bound_service_account_namespaces="$DEMO_NAMESPACE" audience=vault token_policies=liftoff-role-liftoff-dataset \
  token_ttl=600 token_max_ttl=3600
TRAIN_ROLE="liftoff-$DEMO_NAMESPACE-penguins-train"
printf '%s\n' 'path "transit/decrypt/liftoff-datasets" { capabilities = ["update"] }' \
  "path \"secret/data/$DEMO_NAMESPACE/liftoff-datakeys/penguins/*\" { capabilities = [\"read\"] }" \
  | policy "liftoff-role-$TRAIN_ROLE"
bao write "auth/kubernetes/role/$TRAIN_ROLE" bound_service_account_names=penguins-train \
  bound_service_account_namespaces="$DEMO_NAMESPACE" audience=vault token_policies="liftoff-role-$TRAIN_ROLE" \
  token_ttl=600 token_max_ttl=3600

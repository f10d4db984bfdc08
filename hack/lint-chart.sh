#!/usr/bin/env bash
# helm lint --strict on charts/liftoff, with its default values and with every optional part switched on, so a
# template that only renders under some values is linted too. helm is the pinned one hack/fetch-kube-tools.sh
# fetches (on first use; it is cached after that).
set -euo pipefail
cd "$(dirname "$0")/.."
tools="$(bash hack/fetch-kube-tools.sh | tail -n 1)"
"$tools/helm" lint --strict --quiet charts/liftoff
"$tools/helm" lint --strict --quiet charts/liftoff \
  --set monitoring.prometheusRule.enabled=true,monitoring.prometheusRule.labels.release=prometheus \
  --set vault.address=https://vault.example:8200,vault.caConfigMap=vault-ca \
  --set 'watchNamespaces={team-a,team-b}',report.certificate=cert-manager \
  --set nodeSelector.pool=gpu,podAnnotations.a=b,leaderElection=false

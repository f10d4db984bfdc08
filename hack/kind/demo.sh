#!/usr/bin/env bash
# Runs the same demo as `npm start`, against the kind cluster up.sh prepared (the operator runs in the cluster).
set -euo pipefail
# shellcheck source=hack/kind/env.sh
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
[ -f "$KUBECONFIG" ] || die "no kubeconfig at $KUBECONFIG; run hack/kind/up.sh first"
cd "$ROOT"
exec npm start -- --reuse-cluster "$@"

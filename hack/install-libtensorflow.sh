#!/usr/bin/env bash
# Gives @tensorflow/tfjs-node a libtensorflow without its install script, whose
# download host is unreachable here. The tensorflow-cpu PyPI wheel carries
# libtensorflow_cc.so.2 and libtensorflow_framework.so.2, which export the TF C
# API the addon calls, and the C headers; we place them in tfjs-node's deps/
# under the names its binding.gyp links against and compile the addon.
# Not an upstream-supported combination: runtime/src/backends.test.ts proves it.
#
#   hack/install-libtensorflow.sh          install for @tensorflow/tfjs-node (after npm ci)
#   hack/install-libtensorflow.sh --gpu    same for @tensorflow/tfjs-node-gpu from the
#                                          `tensorflow` wheel (GPU images; untested here)
#   hack/install-libtensorflow.sh --check  only say whether the addon loads
#
# Idempotent: the wheel and the extracted libraries are cached under
# ${LIFTOFF_CACHE:-~/.cache/liftoff}/libtensorflow-<wheel>-<version>; a second run
# with a working addon does nothing.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tf_version="${LIFTOFF_TF_VERSION:-2.21.0}"
pkg="@tensorflow/tfjs-node"
wheel_name="tensorflow-cpu"
check_only=false
for arg in "$@"; do
  case "$arg" in
    --gpu) pkg="@tensorflow/tfjs-node-gpu"; wheel_name="tensorflow" ;;
    --check) check_only=true ;;
    *) echo "install-libtensorflow: error: unknown argument '$arg' (use --gpu or --check)" >&2; exit 2 ;;
  esac
done

die() { echo "install-libtensorflow: error: $*" >&2; exit 1; }
log() { echo "install-libtensorflow: $*" >&2; }

pkg_dir="$root/node_modules/$pkg"
[ -f "$pkg_dir/package.json" ] || die "$pkg is not installed in $root/node_modules; run npm ci first"

loads() { # the addon loads and reports the tensorflow backend
  (cd "$root" && node -e "
    const tf = require('$pkg');
    if (tf.getBackend() !== 'tensorflow') process.exit(3);
    const sum = tf.tidy(() => tf.matMul(tf.ones([2, 2]), tf.ones([2, 2])).sum().dataSync()[0]);
    if (sum !== 8) process.exit(4);
  " >/dev/null 2>&1)
}

stamp="$pkg_dir/deps/.liftoff-$wheel_name-$tf_version"
if [ -f "$stamp" ] && loads; then
  log "$pkg already uses libtensorflow from $wheel_name $tf_version; nothing to do"
  exit 0
fi
$check_only && die "$pkg has no working libtensorflow; run hack/install-libtensorflow.sh"

command -v python3 >/dev/null || die "python3 (with pip) is needed to fetch the $wheel_name wheel"
command -v g++ >/dev/null && command -v make >/dev/null || die "g++ and make are needed to compile the addon (apt-get install build-essential)"

cache="${LIFTOFF_CACHE:-$HOME/.cache/liftoff}/libtensorflow-$wheel_name-$tf_version"
mkdir -p "$cache/wheel"

# 1. The wheel (~270 MB). Any CPython tag carries the same libraries; pin one so
#    the host's Python version does not matter.
wheel="$(find "$cache/wheel" -name '*.whl' 2>/dev/null | head -n1)"
if [ -z "$wheel" ]; then
  log "downloading $wheel_name==$tf_version wheel from PyPI into $cache/wheel ..."
  python3 -m pip download --quiet --no-deps --only-binary=:all: --implementation cp --python-version 3.11 \
    --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64 \
    -d "$cache/wheel" "$wheel_name==$tf_version" >&2 || die "pip could not download $wheel_name==$tf_version"
  wheel="$(find "$cache/wheel" -name '*.whl' | head -n1)"
  [ -n "$wheel" ] || die "pip reported success but no wheel is in $cache/wheel"
else
  log "using cached wheel $(basename "$wheel")"
fi

# 2. The two libraries and the C headers, extracted once.
if [ ! -f "$cache/extracted/.done" ]; then
  log "extracting libtensorflow_cc.so.2, libtensorflow_framework.so.2 and C headers ..."
  rm -rf "$cache/extracted"
  python3 - "$wheel" "$cache/extracted" <<'PY' || die "could not extract the libraries from $wheel"
import sys, zipfile, os
wheel, out = sys.argv[1], sys.argv[2]
wanted_libs = {"tensorflow/libtensorflow_cc.so.2", "tensorflow/libtensorflow_framework.so.2"}
# c_api.h and eager/c_api.h reach into these (tf_tstring.h -> tsl/platform/ctstring.h, ...).
header_roots = tuple("tensorflow/include/" + d for d in
                     ("tensorflow/c/", "tensorflow/core/platform/", "tsl/platform/", "xla/tsl/c/"))
with zipfile.ZipFile(wheel) as z:
    names = z.namelist()
    missing = wanted_libs - set(names)
    if missing:
        sys.exit("wheel lacks " + ", ".join(sorted(missing)))
    for n in names:
        if n in wanted_libs:
            dest = os.path.join(out, "lib", os.path.basename(n))
        elif n.startswith(header_roots) and n.endswith(".h"):
            dest = os.path.join(out, "include", n[len("tensorflow/include/"):])
        else:
            continue
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        with z.open(n) as src, open(dest, "wb") as dst:
            while chunk := src.read(1 << 20):
                dst.write(chunk)
PY
  touch "$cache/extracted/.done"
fi

# 3. deps/ as binding.gyp and the loader expect: -ltensorflow, -ltensorflow_framework
#    at link time; the SONAMEs (libtensorflow_cc.so.2, libtensorflow_framework.so.2)
#    at run time through the addon's rpath $ORIGIN/../../deps/lib; and
#    libtensorflow.so.2.9.1, whose presence makes tfjs-node's own script skip its download.
log "placing libraries in $pkg/deps ..."
deps="$pkg_dir/deps"
rm -rf "$deps"
mkdir -p "$deps/lib"
for lib in libtensorflow_cc.so.2 libtensorflow_framework.so.2; do
  # A hard link costs no space when the cache is on the same file system.
  ln -f "$cache/extracted/lib/$lib" "$deps/lib/$lib" 2>/dev/null || cp "$cache/extracted/lib/$lib" "$deps/lib/$lib"
done
ln -s libtensorflow_cc.so.2 "$deps/lib/libtensorflow.so"
ln -s libtensorflow_cc.so.2 "$deps/lib/libtensorflow.so.2.9.1"
ln -s libtensorflow_framework.so.2 "$deps/lib/libtensorflow_framework.so"
ln -s libtensorflow_framework.so.2 "$deps/lib/libtensorflow_framework.so.2.9.1"
cp -r "$cache/extracted/include" "$deps/include"

# 4. Compile the addon where tfjs-node's loader (node-pre-gyp's find) looks for it,
#    lib/napi-v<N>/, for that one N; node-pre-gyp's own rebuild would try the
#    unreachable prebuilt host and then build every N-API version.
module="$(cd "$pkg_dir" && node -p "require('@mapbox/node-pre-gyp').find(require('path').resolve('package.json'))" 2>/dev/null)" ||
  die "cannot resolve the addon path with @mapbox/node-pre-gyp (a dependency of $pkg); run npm ci again"
module_path="$(dirname "$module")"
napi_version="${module_path##*napi-v}"
node_gyp="$(npm root -g)/npm/node_modules/node-gyp/bin/node-gyp.js"
[ -f "$node_gyp" ] || die "node-gyp (bundled with npm) not found at $node_gyp"
# Use the running Node's own headers (Debian: /usr, official images: /usr/local) so
# node-gyp does not try to download them.
nodedir="${npm_config_nodedir:-}"
if [ -z "$nodedir" ]; then
  prefix="$(dirname "$(dirname "$(node -p process.execPath)")")"
  if [ -f "$prefix/include/node/node_api.h" ]; then nodedir="$prefix"; fi
fi
build_log="$cache/build.log"
log "compiling the $pkg addon for N-API $napi_version (about 15-60 s) ..."
(
  cd "$pkg_dir"
  if [ -n "$nodedir" ]; then export npm_config_nodedir="$nodedir"; fi
  node "$node_gyp" rebuild --module_name=tfjs_binding --module_path="$module_path" --napi_build_version="$napi_version"
) >"$build_log" 2>&1 || die "addon build failed; see $build_log (last line: $(tail -n1 "$build_log"))"

loads || die "the addon was built but does not load; run: node -e \"require('$pkg')\" to see why"
touch "$stamp"
log "done: $pkg runs on libtensorflow from $wheel_name $tf_version"

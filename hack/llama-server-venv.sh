#!/usr/bin/env bash
# The peer of `npm run bench:llm` (bench/llm.ts): llama.cpp's own OpenAI server, llama-cpp-python's
# `llama_cpp.server`, pinned from PyPI and built from its source (the sdist carries llama.cpp) with cmake, CPU only.
# 0.3.35 vendors llama.cpp 4df29be4f (2026-08-17, ggml 0.20.0), the release nearest node-llama-cpp 3.21.1's llama.cpp
# (2026-09-12, ggml 0.23.0); 0.3.36 is further ahead (ggml 0.25.3). Bench only, not the tests. Needs a C/C++
# compiler (Debian's build-essential); cmake and ninja come from PyPI (scikit-build-core) when the machine has none.
# Cached under ${LIFTOFF_CACHE:-~/.cache/liftoff}/venvs/llama-server-<key>, the key hashing this file, the Python
# version and the CPU's flags (the build is -march=native). Progress goes to stderr; the venv's python is the one
# line on stdout. --check only says whether it is built.
set -euo pipefail

# The package and every dependency of its [server] extra, as pip resolved them on 2026-12-06.
PINS=(
  "llama-cpp-python[server]==0.3.35"
  "diskcache==5.6.3" "fastapi==0.165.0" "Jinja2==3.1.6" "numpy==2.4.6" "pydantic-settings==2.16.3" "PyYAML==6.0.4"
  "sse-starlette==3.7.1" "starlette-context==0.3.6" "typing_extensions==4.16.0" "uvicorn==0.55.0"
  "annotated-doc==0.0.7" "anyio==4.16.0" "click==8.5.1" "h11==0.16.0" "MarkupSafe==3.0.4"
  "opentelemetry-api==1.45.3" "pydantic==2.14.4" "pydantic_core==2.50.5" "python-dotenv==1.2.4" "starlette==1.10.0"
  "typing-inspection==0.4.5" "annotated-types==0.8.0" "idna==3.21"
)
# CPU only, no multimodal library (the server loads it only for vision models), no curl; -march=native like a
# llama.cpp user's own build. Two compile jobs: the machines here have two cores.
CMAKE_FLAGS="-DGGML_NATIVE=ON -DGGML_CUDA=OFF -DGGML_VULKAN=OFF -DGGML_METAL=OFF -DGGML_BLAS=OFF -DLLAVA_BUILD=OFF -DLLAMA_CURL=OFF"

cache="${LIFTOFF_CACHE:-$HOME/.cache/liftoff}"
self="${BASH_SOURCE[0]}"
key="$( (cat "$self"; python3 --version; grep -m1 '^flags' /proc/cpuinfo || true) | sha256sum | cut -c1-12)"
venv="$cache/venvs/llama-server-$key"
log() { echo "llama-server-venv: $*" >&2; }

if [ -f "$venv/.complete" ]; then
  echo "$venv/bin/python"
  exit 0
fi
if [ "${1:-}" = "--check" ]; then
  log "the venv $venv is not built yet; run hack/llama-server-venv.sh"
  exit 1
fi
command -v cc >/dev/null && command -v c++ >/dev/null \
  || { log "a C/C++ compiler is needed to build llama.cpp (apt-get install build-essential)"; exit 1; }
# Two benches may both ask: one builds, the other waits for it.
mkdir -p "$cache/venvs"
exec 9>"$cache/venvs/.llama-server-$key.lock"
flock 9
if [ -f "$venv/.complete" ]; then
  echo "$venv/bin/python"
  exit 0
fi

log "creating $venv and compiling llama.cpp (one time, about 10 minutes on 2 cores; later runs reuse it)"
rm -rf "$venv"
python3 -m venv "$venv"
log "pip install ${PINS[*]}"
CMAKE_ARGS="$CMAKE_FLAGS" CMAKE_BUILD_PARALLEL_LEVEL=2 \
  "$venv/bin/pip" install --progress-bar off --no-binary llama-cpp-python "${PINS[@]}" 2>&1 \
  | grep --line-buffered -E "^(Successfully|ERROR)|error:" | sed -u 's/^/llama-server-venv: /' >&2
"$venv/bin/python" -c "import llama_cpp, llama_cpp.server.app; print('llama_cpp', llama_cpp.__version__)" >&2
touch "$venv/.complete"
log "ready"
echo "$venv/bin/python"

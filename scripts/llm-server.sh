#!/usr/bin/env bash
# A real llama.cpp server for tests/test_generate.py: llama-cpp-python[server] in a venv of its own
# (its fastapi/starlette pins stay out of the project's venv), built once from PyPI's source package
# and kept in the cache. Prints the venv's python last. Usage: scripts/llm-server.sh [PYTHON]
set -euo pipefail

VERSION=0.3.36
PY="${1:-python3}"
CACHE="${RAG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rag-zh}"
VENV="$CACHE/llm-server-$VERSION"
WHEELS="$CACHE/wheels"
# A plain CPU build: no -march=native (a wheel built here runs on any x86-64 that CI may get), no
# OpenMP, and none of llama.cpp's own programs or its multimodal library, which the server does not load.
CMAKE_FLAGS="-DGGML_NATIVE=OFF -DGGML_OPENMP=OFF -DLLAVA_BUILD=OFF -DLLAMA_BUILD_TESTS=OFF \
-DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TOOLS=OFF -DLLAMA_BUILD_SERVER=OFF"

ready() { "$VENV/bin/python" -c "import llama_cpp.server.app, llama_cpp; assert llama_cpp.__version__ == '$VERSION'" 2>/dev/null; }

mkdir -p "$CACHE" "$WHEELS"
exec 9>"$CACHE/llm-server.lock"
flock 9  # a test run and `make llm-server` at once build it once

if ! ready; then
    wheel=$(ls "$WHEELS"/llama_cpp_python-"$VERSION"-*.whl 2>/dev/null | head -n 1 || true)
    if [ -z "$wheel" ]; then
        echo "building llama-cpp-python $VERSION from source (C++: minutes on 2 cores; once, kept in $WHEELS)" >&2
        tmp=$(mktemp -d "$WHEELS/build.XXXXXX")
        CMAKE_ARGS="$CMAKE_FLAGS" CMAKE_BUILD_PARALLEL_LEVEL="$(nproc)" nice -n 10 \
            "$PY" -m pip wheel -q --no-deps --no-binary llama-cpp-python -w "$tmp" "llama-cpp-python==$VERSION" >&2
        mv "$tmp"/llama_cpp_python-"$VERSION"-*.whl "$WHEELS"/  # complete, or not there at all
        rm -rf "$tmp"
        wheel=$(ls "$WHEELS"/llama_cpp_python-"$VERSION"-*.whl | head -n 1)
    fi
    rm -rf "$VENV" "$VENV.tmp"
    "$PY" -m venv "$VENV.tmp"
    "$VENV.tmp/bin/pip" install -q "$wheel[server]" >&2
    mv "$VENV.tmp" "$VENV"
    ready || { echo "llama-cpp-python's server does not import from $VENV" >&2; exit 1; }
fi
echo "$VENV/bin/python"

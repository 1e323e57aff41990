#!/usr/bin/env bash
# Configures one build directory with clang under AddressSanitizer +
# UndefinedBehaviorSanitizer (+ LeakSanitizer) and libFuzzer's coverage
# instrumentation, shared by `make sanitize-ci` (the labels CI runs) and
# `make fuzz` (the libFuzzer targets): one cold compile of the library serves
# both. clang and its libFuzzer runtime are installed here, for these targets
# only (Debian 12: clang-16, libclang-rt-16-dev, libomp-16-dev; Debian's
# default clang 14 lacks std::source_location, which the CUDA emulator uses).
#
#   scripts/clang_sanitize_setup.sh BUILD_DIR
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${1:?usage: clang_sanitize_setup.sh BUILD_DIR}"

have_clang() {
    command -v clang++-16 >/dev/null 2>&1 &&
        ls /usr/lib/llvm-16/lib/clang/16/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1 &&
        ls /usr/lib/llvm-16/lib/libomp.so >/dev/null 2>&1
}
if ! have_clang; then
    echo "[sanitize] installing clang-16, libclang-rt-16-dev and libomp-16-dev (for the sanitizer and fuzz builds only)"
    sudo_cmd=()
    [[ "$(id -u)" -ne 0 ]] && sudo_cmd=(sudo)
    "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        clang-16 libclang-rt-16-dev libomp-16-dev
fi

# What keeps a cold build inside CI's time on 2 cores: no nvcc (the cuda label runs the kernels on the
# emulator, compiled by the host compiler), no Python module, and -O1 with line tables only (ASan's
# advice; full -g costs much more compile time and the reports need only file:line).
PESO_BUILD_DIR="$BUILD" PESO_SKIP_BUILD=1 "$ROOT/scripts/setup.sh" \
    -DCMAKE_C_COMPILER=clang-16 -DCMAKE_CXX_COMPILER=clang++-16 \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only -DNDEBUG" \
    -DPESO_SANITIZE=ON -DPESO_FUZZ=ON -DPESO_CUDA=OFF -DPESO_PYTHON=OFF

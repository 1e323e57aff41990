#!/usr/bin/env bash
# The sanitizer build meant for CI (`make sanitize-ci`; .ci/run does not run
# it yet): an AddressSanitizer +
# UndefinedBehaviorSanitizer (+ LeakSanitizer) build of only what the labels
# below run, then those tests. Building every program of the project twice
# would not fit CI's time on 2 cores; the labels cover the engine (unit,
# autograd, gradcheck, conformance), the emulated CUDA backend (cuda) and the
# command line (cli, with its crafted inputs and SIGKILL test).
#
#   scripts/sanitize_ci.sh                    # build-asan, the labels below
#   PESO_ASAN_BUILD=dir SANITIZE_LABELS='unit|cli' JOBS=2 scripts/sanitize_ci.sh
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BUILD="${PESO_ASAN_BUILD:-build-asan}"
LABELS="${SANITIZE_LABELS:-^(unit|autograd|gradcheck|conformance|cuda|cli)$}"
JOBS="${JOBS:-2}"

PESO_BUILD_DIR="$BUILD" PESO_SKIP_BUILD=1 scripts/setup.sh -DPESO_SANITIZE=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo
# A test's name is its executable's target (tests/CMakeLists.txt); the cli
# tests are scripts that run the peso program.
targets=(peso_cli)
while read -r name; do
    case "$name" in cli_*) ;; *) targets+=("$name") ;; esac
done < <(ctest --test-dir "$BUILD" -N -L "$LABELS" | sed -n 's/^ *Test *#[0-9]*: //p')
echo "[sanitize-ci] building ${#targets[@]} targets in $BUILD"
cmake --build "$BUILD" -j"$JOBS" --target "${targets[@]}"
ctest --test-dir "$BUILD" --output-on-failure -j"$JOBS" -L "$LABELS" -LE slow

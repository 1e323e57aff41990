#!/usr/bin/env bash
# The sanitizer stage of CI (`make sanitize-ci`, run by .ci/run after `make
# test`): a clang AddressSanitizer + UndefinedBehaviorSanitizer (+
# LeakSanitizer) build of only what the labels below run, then those tests,
# then a fuzz smoke run (FUZZ_SECONDS per libFuzzer target, default 3) in the
# same build directory. Building every program of the project again would not
# fit CI's time on 2 cores; the labels cover the engine (unit, autograd,
# gradcheck, conformance), the emulated CUDA backend (cuda) and the command
# line (cli, with its crafted inputs and SIGKILL test).
#
#   scripts/sanitize_ci.sh
#   PESO_SANITIZE_BUILD=dir SANITIZE_LABELS='^(unit|cli)$' FUZZ_SECONDS=0 JOBS=2 scripts/sanitize_ci.sh
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BUILD="${PESO_SANITIZE_BUILD:-build-sanitize}"
LABELS="${SANITIZE_LABELS:-^(unit|autograd|gradcheck|conformance|cuda|cli)$}"
JOBS="${JOBS:-2}"
FUZZ_SECONDS="${FUZZ_SECONDS:-3}"
start=$SECONDS

scripts/clang_sanitize_setup.sh "$BUILD"
# Configure again, so that test programs added since the last configure are listed.
cmake "$BUILD" >/dev/null
# Reports name files and lines only through llvm-symbolizer (any version reads clang 16's output).
for s in /usr/lib/llvm-16/bin/llvm-symbolizer /usr/bin/llvm-symbolizer; do
    if [[ -x "$s" && -z "${ASAN_SYMBOLIZER_PATH:-}" ]]; then export ASAN_SYMBOLIZER_PATH="$s"; fi
done
# A test's name is its executable's target (tests/CMakeLists.txt); the cli
# tests are scripts that run the peso program.
targets=(peso_cli)
while read -r name; do
    case "$name" in cli_*) ;; *) targets+=("$name") ;; esac
done < <(ctest --test-dir "$BUILD" -N -L "$LABELS" | sed -n 's/^ *Test *#[0-9]*: //p')
echo "[sanitize-ci] building ${#targets[@]} targets in $BUILD"
cmake --build "$BUILD" -j"$JOBS" --target "${targets[@]}"
echo "[sanitize-ci] built in $((SECONDS - start)) s"
ctest --test-dir "$BUILD" --output-on-failure -j"$JOBS" -L "$LABELS" -LE slow
echo "[sanitize-ci] tests done at $((SECONDS - start)) s"
if ((FUZZ_SECONDS > 0)); then
    PESO_FUZZ_BUILD="$BUILD" FUZZ_SECONDS="$FUZZ_SECONDS" JOBS="$JOBS" scripts/fuzz.sh
fi
echo "[sanitize-ci] done in $((SECONDS - start)) s"

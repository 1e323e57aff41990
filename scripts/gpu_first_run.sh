#!/usr/bin/env bash
# The first thing to run on a machine with an NVIDIA GPU (issue 21): what the
# GPU is, then peso's gpu label with a GPU required (a driver or device that
# does not work fails, naming the CUDA error, instead of skipping), the same
# tests under compute-sanitizer's memcheck, racecheck, synccheck and
# initcheck, and the GPT training benchmark beside PyTorch's when a CUDA build
# of it is installed. Every stage runs whatever the previous ones gave; one
# summary at the end; the exit status is 1 when a stage failed.
#
#   scripts/gpu_first_run.sh                 # builds in build-gpu/ (nvcc, this GPU's architecture only)
#   PESO_GPU_BUILD=build scripts/gpu_first_run.sh   # reuse a configured build directory
#
# Knobs: STAGE_TIMEOUT (seconds per test or sanitizer stage, default 150),
# BENCH_STEPS (default 10), JOBS (default: all cores), PESO_GPU_LOGS (where
# the logs go; default BUILD/gpu_first_run). Sized to run twice in ten minutes
# once built (the first build takes a few more on a many-core machine).
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BUILD="${PESO_GPU_BUILD:-build-gpu}"
LOGS="${PESO_GPU_LOGS:-$BUILD/gpu_first_run}"
STAGE_TIMEOUT="${STAGE_TIMEOUT:-150}"
BENCH_STEPS="${BENCH_STEPS:-10}"
JOBS="${JOBS:-$(nproc)}"
mkdir -p "$LOGS"
summary=()
failed=0

# stage NAME CMD...: runs CMD with its output in $LOGS/NAME.log, records PASS or FAIL and the time.
stage() {
    local name="$1"
    shift
    local start=$SECONDS
    echo "== $name: $*"
    "$@" >"$LOGS/$name.log" 2>&1
    local rc=$?
    local verdict=PASS
    if ((rc != 0)); then
        verdict="FAIL (exit $rc$( ((rc == 124)) && echo ", timed out after ${STAGE_TIMEOUT} s"))"
        failed=1
        # The first errors (a CUDA error's name is what matters), then how it ended.
        { grep -m 3 -i -E 'cudaError|error:' "$LOGS/$name.log"; echo ...; tail -n 6 "$LOGS/$name.log"; } | sed 's/^/   | /'
    fi
    summary+=("$(printf '%-24s %-34s %5d s' "$name" "$verdict" $((SECONDS - start)))")
}
skip() { summary+=("$(printf '%-24s %-34s' "$1" "SKIP ($2)")"); echo "== $1: skipped, $2"; }

# ---- the GPU ------------------------------------------------------------------------------------
arch=""
if command -v nvidia-smi >/dev/null 2>&1; then
    stage nvidia-smi nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap --format=csv
    cat "$LOGS/nvidia-smi.log"
    # "9.0" -> 90: build machine code for this GPU only (the default list builds three).
    arch="$(sed -n '2p' "$LOGS/nvidia-smi.log" | awk -F', *' '{print $4}' | tr -d '.' | tr -d ' ')"
else
    summary+=("$(printf '%-24s %-34s' nvidia-smi "FAIL (not found: no NVIDIA driver)")")
    failed=1
    echo "== nvidia-smi: not found (no NVIDIA driver on this machine)"
fi

# ---- build ----------------------------------------------------------------------------------------
configure=()
[[ "$arch" =~ ^[0-9]+$ ]] && configure+=("-DCMAKE_CUDA_ARCHITECTURES=$arch")
if [[ ! -f "$BUILD/CMakeCache.txt" ]]; then
    stage configure env PESO_BUILD_DIR="$BUILD" PESO_SKIP_BUILD=1 scripts/setup.sh "${configure[@]}"
fi
stage build cmake --build "$BUILD" -j"$JOBS" --target gpu_test_gpu_backend peso_gpt_bench
gpu_test="$BUILD/tests/gpu_test_gpu_backend"

# ---- the gpu label, a GPU required ------------------------------------------------------------------
stage gpu-label env PESO_REQUIRE_GPU=1 timeout "$STAGE_TIMEOUT" \
    ctest --test-dir "$BUILD" -L gpu --output-on-failure --timeout "$STAGE_TIMEOUT"

# ---- compute-sanitizer ------------------------------------------------------------------------------
sanitizer="$(command -v compute-sanitizer || true)"
for candidate in /usr/local/cuda/bin/compute-sanitizer /usr/local/cuda/compute-sanitizer/compute-sanitizer; do
    [[ -z "$sanitizer" && -x "$candidate" ]] && sanitizer="$candidate"
done
if [[ -z "$sanitizer" ]]; then
    skip compute-sanitizer "not installed (CUDA toolkit's compute-sanitizer)"
elif [[ ! -x "$gpu_test" ]]; then
    skip compute-sanitizer "no $gpu_test (the build failed)"
else
    for tool in memcheck racecheck synccheck initcheck; do
        extra=()
        [[ "$tool" == memcheck ]] && extra=(--leak-check full)
        stage "sanitizer-$tool" env PESO_REQUIRE_GPU=1 timeout "$STAGE_TIMEOUT" \
            "$sanitizer" --tool "$tool" "${extra[@]}" --error-exitcode 3 "$gpu_test"
    done
fi

# ---- the GPT benchmark beside PyTorch ----------------------------------------------------------------
bench="$BUILD/bench/peso_gpt_bench"
if [[ -x "$bench" ]]; then
    stage bench-peso-fp32 timeout "$STAGE_TIMEOUT" "$bench" train --device cuda --steps "$BENCH_STEPS" --warmup 3
    stage bench-peso-bf16 timeout "$STAGE_TIMEOUT" "$bench" train --device cuda --bf16 --steps "$BENCH_STEPS" --warmup 3
else
    skip bench-peso "no $bench (the build failed)"
fi
python="${PYTHON:-python3}"
if "$python" -c 'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)' >/dev/null 2>&1; then
    for precision in fp32 bf16; do
        flag=()
        [[ "$precision" == bf16 ]] && flag=(--bf16)
        stage "bench-torch-$precision" timeout "$STAGE_TIMEOUT" \
            "$python" bench/torch_gpt_device.py --device cuda "${flag[@]}" --steps "$BENCH_STEPS" --warmup 3
    done
else
    skip bench-torch "no PyTorch with CUDA for $python"
fi

# ---- summary ----------------------------------------------------------------------------------------
echo
echo "== peso gpu first run, $(date -u '+%Y-%m-%d %H:%M UTC'), $(hostname); logs in $LOGS"
printf '%s\n' "${summary[@]}"
for log in "$LOGS"/bench-*.log; do
    [[ -f "$log" ]] || continue
    echo "-- $(basename "$log" .log)"
    grep -E 'ms/step' "$log" || true
done
exit "$failed"

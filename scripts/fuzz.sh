#!/usr/bin/env bash
# `make fuzz FUZZ_SECONDS=N`: builds the libFuzzer targets of fuzz/ with clang
# under AddressSanitizer + UndefinedBehaviorSanitizer (+ LeakSanitizer) in
# build-fuzz/, then runs each for N seconds from its committed seed corpus
# (fuzz/corpus/<target>, grown in build-fuzz/corpus/<target>), and prints the
# executions each reached. A crash, leak, hang (10 s per input) or memory
# blow-up (2 GB) stops with the input in build-fuzz/artifacts/ and a non-zero
# status; every one found becomes a regression test.
#
#   scripts/fuzz.sh [TARGET...]     FUZZ_SECONDS (default 10), PESO_FUZZ_BUILD, JOBS
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BUILD="${PESO_FUZZ_BUILD:-build-fuzz}"
SECONDS_EACH="${FUZZ_SECONDS:-10}"
JOBS="${JOBS:-2}"
TARGETS=("$@")
((${#TARGETS[@]})) || TARGETS=(safetensors gpt_config llmc tokenizer_files bpe_encode cli_args)

# clang and its libFuzzer runtime are needed by this target only (Debian: clang, libclang-rt-dev).
CXX_FUZZ="$(command -v clang++-16 || command -v clang++ || true)"
if [[ -z "$CXX_FUZZ" ]] || ! ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1; then
    echo "[fuzz] installing clang and libclang-rt-dev (for the fuzz targets only)"
    sudo_cmd=(); [[ "$(id -u)" -ne 0 ]] && sudo_cmd=(sudo)
    "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends clang libclang-rt-dev libomp-dev
    CXX_FUZZ="$(command -v clang++)"
fi
CC_FUZZ="${CXX_FUZZ/clang++/clang}"

PESO_BUILD_DIR="$BUILD" PESO_SKIP_BUILD=1 scripts/setup.sh -DCMAKE_C_COMPILER="$CC_FUZZ" -DCMAKE_CXX_COMPILER="$CXX_FUZZ" \
    -DPESO_FUZZ=ON -DPESO_SANITIZE=ON -DPESO_CUDA=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build "$BUILD" -j"$JOBS" --target "${TARGETS[@]/#/fuzz_}"

mkdir -p "$BUILD/artifacts"
# Each input's tensors are tiny: threads would only add start-up cost.
export OMP_NUM_THREADS=1
total=0
status=0
printf '%-16s %8s %14s\n' target seconds executions
for t in "${TARGETS[@]}"; do
    corpus="$BUILD/corpus/$t"
    mkdir -p "$corpus"
    log="$BUILD/fuzz_$t.log"
    # -use_value_profile helps through the checks on header numbers.
    if ! "$BUILD/fuzz/fuzz_$t" "$corpus" "fuzz/corpus/$t" -max_total_time="$SECONDS_EACH" -timeout=10 \
        -rss_limit_mb=2048 -max_len=65536 -use_value_profile=1 -print_final_stats=1 \
        -artifact_prefix="$BUILD/artifacts/$t-" >"$log" 2>&1; then
        status=1
        echo "[fuzz] $t FAILED: see $log and $BUILD/artifacts/"
        grep -m5 -E "ERROR|SUMMARY|runtime error" "$log" || true
    fi
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    runs=${runs:-0}
    total=$((total + runs))
    printf '%-16s %8s %14s\n' "$t" "$SECONDS_EACH" "$runs"
done
printf '%-16s %8s %14s\n' total "" "$total"
exit "$status"

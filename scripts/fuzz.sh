#!/usr/bin/env bash
# `make fuzz FUZZ_SECONDS=N`: builds the libFuzzer targets of fuzz/ with clang
# under AddressSanitizer + UndefinedBehaviorSanitizer (+ LeakSanitizer) in
# build-sanitize/ (scripts/clang_sanitize_setup.sh; the build `make
# sanitize-ci` uses too), then runs each for N seconds from its committed seed corpus
# (fuzz/corpus/<target>, grown in build-sanitize/corpus/<target>), and prints the
# executions each reached. A crash, leak, hang (10 s per input) or memory
# blow-up (2 GB) stops with the input in build-sanitize/artifacts/ and a non-zero
# status; every one found becomes a regression test.
#
#   scripts/fuzz.sh [TARGET...]     FUZZ_SECONDS (default 10), PESO_FUZZ_BUILD, JOBS
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
BUILD="${PESO_FUZZ_BUILD:-build-sanitize}"
SECONDS_EACH="${FUZZ_SECONDS:-10}"
JOBS="${JOBS:-2}"
TARGETS=("$@")
((${#TARGETS[@]})) || TARGETS=(safetensors gpt_config llmc tokenizer_files bpe_encode cli_args)

scripts/clang_sanitize_setup.sh "$BUILD"
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

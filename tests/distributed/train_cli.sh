#!/usr/bin/env bash
# End-to-end data parallelism through `peso gpt train` (2 ranks x 1 thread):
#  - 2 ranks give, at every step, the single process's loss with the same global
#    batch, and the same final parameters and optimizer state, to 1e-5 relative;
#  - the same with --zero (ZeRO-1), and with --grad-accum 2 against a batch
#    twice as large (on 1 and on 2 ranks);
#  - a checkpoint resumes on another number of ranks (2 -> 1, 1 -> 2, with --zero);
#  - a killed rank makes the survivor exit non-zero with one line naming it,
#    within 60 s; a hung (stopped) rank, within --dist-timeout;
#  - a stop request saves a checkpoint that --resume continues.
# Usage: train_cli.sh PESO COMPARE_RUNS MPIEXEC   (registered by tests/CMakeLists.txt)
set -u
PESO=$1
COMPARE=$2
MPIEXEC=$3
export OMP_NUM_THREADS=1 OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export XDG_CACHE_HOME="$T/xdg"  # the token cache stays in the test's directory
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

DATA=/usr/share/games/fortunes/fortunes  # installed by scripts/setup.sh (package fortunes)
[ -r "$DATA" ] || { echo "no $DATA (install the fortunes package)"; exit 1; }
# --bias false (nanoGPT's default): with biases, the key part of attn.c_attn.bias has a gradient that is
# exactly zero in exact arithmetic (softmax ignores a shift common to a row), so AdamW moves it by about
# lr * sign(rounding noise) every step, and any other order of summation (another thread count, or
# --grad-accum on one process) ends it elsewhere: ~5e-5 of that tensor's scale after 20 steps here.
COMMON=(gpt train --data "$DATA" --bias false --n-layer 2 --n-head 2 --n-embd 32 --block-size 32 --warmup 5
        --eval-every 0 --eval-batches 2 --quiet)

# one NAME FLAGS...: 20 steps on one process; two NAME FLAGS...: on 2 ranks.
one() {
    local out=$1; shift
    "$PESO" "${COMMON[@]}" --steps 20 --out "$T/$out" "$@" 2>"$T/$out.err" || { fail "$out: exit $?"; cat "$T/$out.err"; }
}
two() {
    local out=$1; shift
    "$MPIEXEC" -np 2 "$PESO" "${COMMON[@]}" --steps 20 --out "$T/$out" "$@" >"$T/$out.err" 2>&1 ||
        { fail "$out: exit $?"; cat "$T/$out.err"; }
}
same() { "$COMPARE" "$T/$1" "$T/$2" 1e-5 || fail "$2 differs from $1"; }

one ref --batch 8
two ddp --batch 8
same ref ddp
grep -c "data parallel: 2 ranks" "$T/ddp.err" | grep -q '^1$' || fail "ddp: rank 0 should print the data-parallel line once"
grep -c "^done: 20 steps" "$T/ddp.err" | grep -q '^1$' || fail "ddp: only rank 0 prints its summary"

two zero --batch 8 --zero
same ref zero

one accum1 --batch 4 --grad-accum 2
same ref accum1
two accum2 --batch 4 --grad-accum 2
same ref accum2

# Resume on another number of ranks: stop at step 10, continue to 20.
two two_then_one --batch 8 --zero --stop-at 10
one two_then_one --batch 8 --resume
same ref two_then_one
one one_then_two --batch 8 --stop-at 10
two one_then_two --batch 8 --zero --resume
same ref one_then_two

# An uneven split is refused with one line.
"$MPIEXEC" -np 2 "$PESO" "${COMMON[@]}" --steps 20 --out "$T/odd" --batch 7 >"$T/odd.err" 2>&1 && fail "odd batch: exit 0"
grep -q "peso: error: --batch 7 must be a multiple of the number of ranks (2)" "$T/odd.err" || { fail "odd batch message"; cat "$T/odd.err"; }

# pid of rank $2 among the children of mpirun $1.
rank_pid() {
    local p
    for p in $(pgrep -P "$1"); do
        tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=$2" && { echo "$p"; return; }
    done
}

# start_long NAME EXTRA...: a run that would take minutes; waits until it trains.
start_long() {
    local name=$1; shift
    "$MPIEXEC" -np 2 "$PESO" "${COMMON[@]}" --steps 1000000 --batch 8 --out "$T/$name" "$@" >"$T/$name.err" 2>&1 &
    MPIRUN=$!
    for _ in $(seq 1 300); do
        [ "$(cat "$T/$name/train_log.csv" 2>/dev/null | wc -l)" -gt 3 ] && break
        sleep 0.1
    done
    VICTIM=$(rank_pid "$MPIRUN" 1)
    [ -n "$VICTIM" ] || fail "$name: rank 1 not found"
}

# finish_long NAME LIMIT TEXT: mpirun must end within LIMIT s, non-zero, with TEXT on one "peso: error:" line.
finish_long() {
    local name=$1 limit=$2 text=$3 t0=$SECONDS rc
    while kill -0 "$MPIRUN" 2>/dev/null && [ $((SECONDS - t0)) -le 90 ]; do sleep 0.2; done
    if kill -0 "$MPIRUN" 2>/dev/null; then
        fail "$name: still running after 90 s"
        kill -9 "$MPIRUN"
    fi
    wait "$MPIRUN"
    rc=$?
    local took=$((SECONDS - t0))
    [ "$rc" != 0 ] || fail "$name: exit status 0"
    [ "$took" -le "$limit" ] || fail "$name: took $took s (limit $limit)"
    grep -q "^peso: error: .*$text" "$T/$name.err" || { fail "$name: no 'peso: error: ...$text' line"; cat "$T/$name.err"; }
    echo "$name: ended in $took s, status $rc: $(grep '^peso: error' "$T/$name.err")"
}

start_long killed
kill -9 "$VICTIM"
finish_long killed 60 "rank 1 (pid $VICTIM) died; rank 0 stops"

start_long hung --dist-timeout 5
kill -STOP "$VICTIM"
finish_long hung 30 "rank 0: no answer from the other ranks for 5 s"
kill -9 "$VICTIM" 2>/dev/null

# A stop request (mpirun forwards SIGUSR1; Ctrl-C arrives as SIGTERM with a kill 1 s later): the ranks
# agree on a step, rank 0 writes the checkpoint, and --resume continues from it.
start_long stopped
kill -USR1 "$MPIRUN"
wait "$MPIRUN"
at=$(sed -n 's/^interrupted at step \([0-9]*\):.*/\1/p' "$T/stopped.err")
if [ -z "$at" ]; then
    fail "stopped: no 'interrupted at step' line"
    cat "$T/stopped.err"
else
    "$MPIEXEC" -np 2 "$PESO" "${COMMON[@]}" --steps 1000000 --batch 8 --out "$T/stopped" --resume \
        --stop-at $((at + 2)) >"$T/resumed.err" 2>&1 || { fail "stopped: --resume exit $?"; cat "$T/resumed.err"; }
    grep -q "resuming from step $at" "$T/resumed.err" || fail "stopped: did not resume from step $at"
    [ "$(tail -n 1 "$T/stopped/train_log.csv" | cut -d, -f1)" = $((at + 2)) ] || fail "stopped: log does not end at $((at + 2))"
    echo "stopped: interrupted at step $at, resumed to $((at + 2))"
fi

if [ "$failures" -ne 0 ]; then
    echo "$failures failure(s)"
    exit 1
fi
echo "all distributed CLI checks passed"

#!/usr/bin/env bash
# Crash safety of `peso gpt train`'s checkpoints (issue 13): a training run that
# saves a checkpoint every step is killed with SIGKILL at random moments, KILLS
# times; after each kill the checkpoint directory must load (`peso gpt sample`)
# and the run must resume from it (`--resume`), and a final resumed run ends
# normally. A kill before the first checkpoint leaves no train_state: the next
# run starts afresh with --force.
# Usage: kill_resume.sh PESO_BINARY KILLS [SEED]   (registered by cli/CMakeLists.txt)
set -u
PESO=$(realpath "$1")
KILLS=$2
RANDOM=${3:-13}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

yes "the quick brown fox jumps over the lazy dog, again and again." | head -n 300 >data.txt
# Wide enough that a save takes a few milliseconds (the kills land in saves, too).
ARGS=(--data data.txt --n-layer 2 --n-head 2 --n-embd 64 --block-size 32 --batch 4 --steps 100000 --warmup 2
      --eval-every 1 --eval-batches 1 --threads 1 --quiet --out ck)
resumed=0
for ((k = 1; k <= KILLS; ++k)); do
    if [ -e ck/train_state.safetensors ]; then mode=--resume; else mode=--force; fi
    "$PESO" gpt train "${ARGS[@]}" "$mode" >/dev/null 2>"err.$k" &
    pid=$!
    # A random moment within the first 1.5 s: setup, training steps and saves.
    sleep "$(printf '0.%03d' $((RANDOM % 1000)))"
    [ $((RANDOM % 2)) = 0 ] && sleep 0.5
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    rc=$?
    [ "$rc" = 137 ] || { fail "kill $k: the run ended with $rc before the kill"; cat "err.$k"; }
    [ "$mode" = --resume ] && { grep -q "resuming from step" "err.$k" && resumed=$((resumed + 1)); }
    if [ -e ck/train_state.safetensors ]; then
        "$PESO" gpt sample --ckpt ck --prompt "the" --tokens 4 --threads 1 >/dev/null 2>"sample.$k" ||
            { fail "kill $k: the checkpoint does not load"; cat "sample.$k"; }
    fi
done
# The survivor resumes and finishes: its last step saves again.
if [ -e ck/train_state.safetensors ]; then
    "$PESO" gpt train "${ARGS[@]}" --resume --max-time 0.5 >final.err 2>&1 ||
        { fail "the final --resume failed"; cat final.err; }
    step=$(grep -o "resuming from step [0-9]*" final.err)
    [ -n "$step" ] || fail "the final --resume did not resume"
    grep -q "max-time .* reached" final.err || fail "the final --resume did not train to its end"
fi
# A kill during a save leaves a temporary file; the next save of that file removes it.
left=$(find ck -name '.*.safetensors.tmp.*' | wc -l)
[ "$left" = 0 ] || fail "$left temporary files left in ck: $(ls -a ck)"
echo "$KILLS kills, $resumed resumed runs, last: ${step:-no checkpoint}"
if [ "$failures" -ne 0 ]; then
    echo "$failures failure(s)"
    exit 1
fi
echo "every checkpoint left by a kill loaded and resumed"

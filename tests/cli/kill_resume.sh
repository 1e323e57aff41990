#!/usr/bin/env bash
# Crash safety of `peso gpt train`'s checkpoints (issue 13): a training run that
# saves a checkpoint every step is killed with SIGKILL at random moments, KILLS
# times; after each kill the checkpoint directory must hold one whole save (the
# model and the train_state that checkpoint.json names record the same step as
# it), load (`peso gpt sample`) and resume from that step (`--resume`), and a
# final resumed run ends normally. A kill before the first checkpoint leaves no
# checkpoint.json: the next run starts afresh with --force.
# Usage: kill_resume.sh PESO_BINARY KILLS [SEED]   (registered by cli/CMakeLists.txt)
set -u
PESO=$(realpath "$1")
KILLS=$2
RANDOM=${3:-13}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cd "$T"
export XDG_CACHE_HOME="$T/xdg"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# The file holding member $1 of the checkpoint in ck (cli/gpt_files.h): the staged one
# ".NAME.SAVE_ID" when a kill came between the manifest's commit and the renames.
save_id() { sed -n 's/^  "save": "\([0-9a-f]*\)",$/\1/p' ck/checkpoint.json; }
member() { if [ -e "ck/.$1.$(save_id)" ]; then echo "ck/.$1.$(save_id)"; else echo "ck/$1"; fi; }
# The "peso.step" metadata in a safetensors file's header.
step_in() { head -c $((8 + $(od -An -tu8 -N8 "$1"))) "$1" | tail -c +9 | grep -o '"peso.step":"[0-9]*"' | tr -dc 0-9; }

yes "the quick brown fox jumps over the lazy dog, again and again." | head -n 300 >data.txt
# Wide enough that a save takes a few milliseconds (the kills land in saves, too).
ARGS=(--data data.txt --n-layer 2 --n-head 2 --n-embd 64 --block-size 32 --batch 4 --steps 100000 --warmup 2
      --eval-every 1 --eval-batches 1 --threads 1 --quiet --out ck)
resumed=0 pending=0 expected=""
for ((k = 1; k <= KILLS; ++k)); do
    if [ -e ck/checkpoint.json ]; then mode=--resume; else mode=--force; fi
    "$PESO" gpt train "${ARGS[@]}" "$mode" >/dev/null 2>"err.$k" &
    pid=$!
    # A random moment within the first 1.5 s: setup, training steps and saves.
    sleep "$(printf '0.%03d' $((RANDOM % 1000)))"
    [ $((RANDOM % 2)) = 0 ] && sleep 0.5
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    rc=$?
    [ "$rc" = 137 ] || { fail "kill $k: the run ended with $rc before the kill"; cat "err.$k"; }
    if [ "$mode" = --resume ] && grep -q "resuming from step" "err.$k"; then
        resumed=$((resumed + 1))
        grep -q "resuming from step $expected\$" "err.$k" || fail "kill $k: resumed not from step $expected: $(cat "err.$k")"
    fi
    if [ -e ck/checkpoint.json ]; then
        # One save, whole: the manifest's step is the model's and the train_state's.
        expected=$(sed -n 's/^    "step": \([0-9]*\)$/\1/p' ck/checkpoint.json)
        model=$(member model.safetensors) state=$(member train_state.safetensors)
        [[ "$model" == ck/.* ]] && pending=$((pending + 1))
        ms=$(step_in "$model") ss=$(step_in "$state")
        [ -n "$expected" ] && [ "$ms" = "$expected" ] && [ "$ss" = "$expected" ] ||
            fail "kill $k: checkpoint.json says step '$expected', $model '$ms', $state '$ss'"
        "$PESO" gpt sample --ckpt ck --prompt "the" --tokens 4 --threads 1 >/dev/null 2>"sample.$k" ||
            { fail "kill $k: the checkpoint does not load"; cat "sample.$k"; }
    fi
done
# The survivor resumes and finishes: its last step saves again.
if [ -e ck/checkpoint.json ]; then
    "$PESO" gpt train "${ARGS[@]}" --resume --max-time 0.5 >final.err 2>&1 ||
        { fail "the final --resume failed"; cat final.err; }
    step=$(grep -o "resuming from step [0-9]*" final.err)
    [ -n "$step" ] || fail "the final --resume did not resume"
    grep -q "max-time .* reached" final.err || fail "the final --resume did not train to its end"
fi
# A kill during a save leaves temporary or staged files; the next save removes them.
left=$(find ck -name '.*' | wc -l)
[ "$left" = 0 ] || fail "$left temporary files left in ck: $(ls -a ck)"
echo "$KILLS kills, $resumed resumed runs, $pending kills between a save's commit and its renames, last: ${step:-no checkpoint}"
if [ "$failures" -ne 0 ]; then
    echo "$failures failure(s)"
    exit 1
fi
echo "every checkpoint left by a kill loaded and resumed"

#!/usr/bin/env bash
# `peso gpt train` and its --out directory (issue 13): absurd sizes get one
# "peso: error:" line and exit 1 or 2 (never a signal); a directory holding a
# checkpoint is refused unless --resume or --force says what to do; a command
# that fails leaves no new files; gnuplot gets the paths as data, never as a
# shell command line.
# Usage: train_guards.sh PESO_BINARY   (registered with ctest by cli/CMakeLists.txt)
set -u
PESO=$(realpath "$1")
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
export XDG_CACHE_HOME="$T/xdg"  # the token cache stays in the test's directory
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# bad DESCRIPTION TEXT -- COMMAND...: exit 1 or 2, one stderr line "peso: error: ...TEXT...".
bad() {
    local what=$1 text=$2; shift 3
    "$@" >"$T/out" 2>"$T/err"
    local rc=$?
    [ "$rc" = 1 ] || [ "$rc" = 2 ] || fail "$what: exit $rc, expected 1 or 2"
    [ "$(wc -l <"$T/err")" = 1 ] || { fail "$what: stderr is not one line"; cat "$T/err"; }
    grep -q -- "^peso: error: .*$text" "$T/err" || { fail "$what: stderr lacks '$text'"; cat "$T/err"; }
}
ok() {
    local what=$1; shift 2
    "$@" >"$T/out" 2>"$T/err" || { fail "$what: exit $?"; cat "$T/err"; }
}

yes "a small text that a tiny model learns to spell, again and again." | head -n 200 >"$T/small.txt"
printf 'too short' >"$T/short.txt"
TINY=(--n-layer 1 --n-head 2 --n-embd 16 --block-size 16 --batch 2 --warmup 1 --eval-every 2
      --eval-batches 1 --threads 1 --quiet)
cd "$T"

# Sizes: the issue's repro, and other products that do not fit.
bad "huge --batch" "overflows" -- "$PESO" gpt train --data small.txt --batch 2305843009213693952 --steps 200 --warmup 10 --out ck
bad "huge --grad-accum" "overflows" -- "$PESO" gpt train --data small.txt --batch 4 --grad-accum 4611686018427387904 --out ck
bad "huge --block-size" "overflows" -- "$PESO" gpt train --data small.txt --block-size 4611686018427387904 --out ck
bad "huge model" "parameter count" -- "$PESO" gpt train --data small.txt --n-embd 4294967296 --n-head 1 --out ck
bad "huge --threads" "threads" -- "$PESO" gpt train --data small.txt --threads 4294967297 --out ck
bad "negative --batch" "at least 1" -- "$PESO" gpt train --data small.txt --batch -1 --out ck
bad "not a number" "batch" -- "$PESO" gpt train --data small.txt --batch 1e999 --out ck
[ ! -e ck ] || fail "a refused command created ck"

# Failed commands leave nothing behind.
bad "--resume on a missing directory" "no .*train_state.safetensors to resume from" -- "$PESO" gpt train --data small.txt --resume --out missing
[ ! -e missing ] || fail "--resume on a missing directory created it"
bad "data too small" "too few" -- "$PESO" gpt train --data short.txt "${TINY[@]}" --steps 4 --out short
[ ! -e short ] || fail "a failed run left short/ behind: $(ls short)"
mkdir keep && echo mine >keep/notes.txt
bad "data too small, existing --out" "too few" -- "$PESO" gpt train --data short.txt "${TINY[@]}" --steps 4 --out keep
[ "$(ls keep)" = notes.txt ] || fail "a failed run left new files in keep/: $(ls keep)"

# A checkpoint is never replaced by surprise.
ok "first run" -- "$PESO" gpt train --data small.txt "${TINY[@]}" --steps 4 --out run
[ -s run/train_state.safetensors ] || fail "no checkpoint written"
cp run/model.safetensors "$T/model.before"
bad "train over a checkpoint" "holds a checkpoint .*--resume.*--force" -- "$PESO" gpt train --data small.txt "${TINY[@]}" --steps 4 --out run
cmp -s run/model.safetensors "$T/model.before" || fail "the refused run changed model.safetensors"
ok "--resume continues it" -- "$PESO" gpt train --data small.txt "${TINY[@]}" --steps 6 --resume --out run
grep -q "resuming from step 4" "$T/err" || fail "--resume did not resume from step 4"
ok "--force replaces it" -- "$PESO" gpt train --data small.txt "${TINY[@]}" --steps 4 --force --out run
mkdir imported && cp run/config.json run/tokenizer.json run/model.safetensors imported/
bad "train over an imported model" "holds a checkpoint (model.safetensors)" -- "$PESO" gpt train --data small.txt "${TINY[@]}" --steps 4 --out imported

# Crafted checkpoint files: one line naming the file, before a model is built.
mkdir crafted && cp run/tokenizer.json run/model.safetensors crafted/
echo '{"n_layer": 1, "n_head": 1, "n_embd": 4294967296, "block_size": 16, "vocab_size": 4294967296}' >crafted/config.json
bad "config whose size overflows" "crafted/config.json: .*parameter count" -- "$PESO" gpt sample --ckpt crafted --prompt a --tokens 2
echo '{"n_layer": 1, "n_head": 2, "n_embd": 16, "block_size": 16' >crafted/config.json
bad "truncated config" "crafted/config.json" -- "$PESO" gpt sample --ckpt crafted --prompt a --tokens 2
cp run/config.json crafted/
echo '{"type": "char", "version": 1, "chars": 5}' >crafted/tokenizer.json
bad "bad tokenizer.json" "crafted/tokenizer.json: .*chars" -- "$PESO" gpt sample --ckpt crafted --prompt a --tokens 2
cp run/tokenizer.json crafted/
head -c 3000 run/model.safetensors >crafted/model.safetensors
bad "truncated weights" "crafted/model.safetensors" -- "$PESO" gpt sample --ckpt crafted --prompt a --tokens 2
json='{"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,0]}}'
{ printf "\\x$(printf %02x ${#json})\\x00\\x00\\x00\\x00\\x00\\x00\\x00"; printf '%s' "$json"; } >crafted/model.safetensors
bad "weights whose size overflows" "crafted/model.safetensors: .*64 bits" -- "$PESO" gpt sample --ckpt crafted --prompt a --tokens 2
cp run/train_state.safetensors run/config.json crafted/
head -c 5000 run/train_state.safetensors >crafted/train_state.safetensors
bad "truncated train state" "train_state.safetensors" -- "$PESO" gpt train --data small.txt "${TINY[@]}" --steps 8 --resume --out crafted

# No shell: an --out with spaces, quotes and $(...) is only a name.
WEIRD="$T/it's a \"run\" \$(touch pwned) \`touch pwned2\`"
ok "weird --out" -- "$PESO" gpt train --data small.txt "${TINY[@]}" --steps 4 --out "$WEIRD"
[ -s "$WEIRD/model.safetensors" ] || fail "no checkpoint in the weird --out"
[ ! -e pwned ] && [ ! -e pwned2 ] && [ ! -e "$WEIRD/pwned" ] || fail "a command in --out ran"
if command -v gnuplot >/dev/null; then
    [ -s "$WEIRD/loss.png" ] || fail "gnuplot wrote no loss.png into the weird --out"
else
    echo "gnuplot not installed: the plot check is skipped"
fi

if [ "$failures" -ne 0 ]; then
    echo "$failures failure(s)"
    exit 1
fi
echo "all peso gpt train guard checks passed"

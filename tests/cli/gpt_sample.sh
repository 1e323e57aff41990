#!/usr/bin/env bash
# End-to-end test of `peso gpt sample` and `peso gpt eval` through the real
# executable, on tiny models trained here (seconds): the same seed gives the
# same text, --num-samples, --prompt-file, long prompts cropped, the empty
# prompt, --device, flag ranges, and streaming that keeps characters whole when
# GPT-2 tokens split them.
# Usage: gpt_sample.sh PESO_BINARY   (registered with ctest by cli/CMakeLists.txt)
PESO=$1
. "$(dirname "$0")/lib.sh"
export OMP_NUM_THREADS=1

for i in $(seq 1 300); do echo "the quick brown fox $((i % 7)) jumps over the lazy dog $((i % 5))."; done >"$T/text.txt"
ok "train a char model" -- "$PESO" gpt train --data "$T/text.txt" --n-layer 1 --n-head 2 --n-embd 16 --block-size 16 \
    --batch 4 --steps 20 --eval-batches 2 --quiet --out "$T/char"
S=("$PESO" gpt sample --ckpt "$T/char" --tokens 40)

ok "sample" -- "${S[@]}" --prompt "the " --seed 5
cp "$T/out" "$T/a"
ok "sample again" -- "${S[@]}" --prompt "the " --seed 5
cmp -s "$T/a" "$T/out" || fail "the same seed gave another text"
[ "$(head -c 4 "$T/a")" = "the " ] && [ "$(wc -c <"$T/a")" -gt 4 ] || { fail "sample: $(cat "$T/a")"; }
grep -q "tokens/s" "$T/err" || fail "sample: no speed on stderr"
grep -q "tokens/s" "$T/out" && fail "sample: the speed is in the text"

# --num-samples 2: sample i uses seed --seed + i, separated by a line of dashes.
ok "sample seed 6" -- "${S[@]}" --prompt "the " --seed 6
cp "$T/out" "$T/b"
ok "--num-samples 2" -- "${S[@]}" --prompt "the " --seed 5 --num-samples 2
{ cat "$T/a"; printf '\n---------------\n'; cat "$T/b"; } >"$T/ab"
cmp -s "$T/ab" "$T/out" || { fail "--num-samples 2"; cat "$T/out"; }

printf 'the ' >"$T/prompt.txt"
ok "--prompt-file" -- "${S[@]}" --prompt-file "$T/prompt.txt" --seed 5
cmp -s "$T/a" "$T/out" || fail "--prompt-file differs from --prompt"
bad "both prompts" 2 "--prompt excludes --prompt-file" -- "${S[@]}" --prompt x --prompt-file "$T/prompt.txt"

# A prompt longer than the block: the model sees its last 16 tokens (a note says so).
head -c 200 "$T/text.txt" >"$T/long.txt"
ok "long prompt" -- "${S[@]}" --prompt-file "$T/long.txt"
grep -q "^note: the prompt is 200 tokens; the model sees its last 16" "$T/err" ||
    { fail "long prompt note"; cat "$T/err"; }
cmp -s "$T/long.txt" <(head -c 200 "$T/out") || fail "long prompt: not printed before the continuation"

# The empty prompt of a character model starts from a newline, printed as nothing.
ok "newline prompt" -- "${S[@]}" --prompt $'\n' --seed 9
tail -c +2 "$T/out" >"$T/nl"
ok "empty prompt" -- "${S[@]}" --seed 9
cmp -s "$T/nl" "$T/out" || fail "the empty prompt does not start from a newline"

bad "--top-p 1.5" 2 "--top-p: must be in (0, 1], got 1.5" -- "${S[@]}" --top-p 1.5
bad "--top-p 0" 2 "--top-p: must be in (0, 1], got 0" -- "${S[@]}" --top-p 0
bad "--top-k -1" 2 "--top-k: must be at least 0, got -1" -- "${S[@]}" --top-k -1
bad "--num-samples 0" 2 "--num-samples: must be at least 1, got 0" -- "${S[@]}" --num-samples 0
bad "--temperature -1" 2 "--temperature: must be at least 0, got -1" -- "${S[@]}" --temperature -1
bad "sample --device tpu" 2 "--device: expected cpu, cuda or cuda:N, got 'tpu'" -- "${S[@]}" --device tpu
bad "mistyped sample flag" 2 "did you mean --tokens?" -- "${S[@]}" --tokenz 3
ok "sample --device cpu" -- "${S[@]}" --prompt "the " --seed 5 --device cpu
cmp -s "$T/a" "$T/out" || fail "--device cpu changed the text"

ok "eval" -- "$PESO" gpt eval --ckpt "$T/char" --data "$T/text.txt" --split val --device cpu
grep -Eq '^loss [0-9.]+  perplexity [0-9.]+  \([0-9]+ tokens in [0-9]+ windows of 16\)$' "$T/out" || { fail "eval"; cat "$T/out"; }
[ -s "$T/err" ] && { fail "eval wrote progress into a file"; cat -A "$T/err" | head -3; }
bad "eval --device tpu" 2 "--device: expected cpu, cuda or cuda:N, got 'tpu'" -- \
    "$PESO" gpt eval --ckpt "$T/char" --data "$T/text.txt" --device tpu
bad "eval --split" 2 "--split" -- "$PESO" gpt eval --ckpt "$T/char" --data "$T/text.txt" --split test
bad "eval --batch 0" 2 "--batch: must be at least 1, got 0" -- "$PESO" gpt eval --ckpt "$T/char" --data "$T/text.txt" --batch 0

# Streaming: GPT-2's BPE splits 日本語 over tokens that each hold part of a character. A GPT-2-vocabulary
# model that has learnt this line must print it whole (decoding token by token would print U+FFFD).
line="we like 🙂 and 日本語 and café."
for i in $(seq 1 200); do echo "$line"; done >"$T/utf8.txt"
ok "train on UTF-8" -- "$PESO" gpt train --data "$T/utf8.txt" --tokenizer gpt2 --n-layer 1 --n-head 2 --n-embd 32 \
    --block-size 16 --batch 8 --steps 60 --lr 2e-2 --eval-every 0 --eval-batches 2 --quiet --out "$T/utf8"
ok "sample UTF-8" -- "$PESO" gpt sample --ckpt "$T/utf8" --prompt "we like" --tokens 30 --temperature 0
grep -q $'\xef\xbf\xbd' "$T/out" && fail "U+FFFD in the sample: $(head -n 2 "$T/out")"
[ "$(head -n 2 "$T/out")" = "$line"$'\n'"$line" ] || { fail "UTF-8 sample"; head -n 3 "$T/out"; }
ok "empty prompt, GPT-2 model" -- "$PESO" gpt sample --ckpt "$T/utf8" --tokens 12 --temperature 0
grep -q "and" "$T/out" || { fail "empty prompt (from <|endoftext|>)"; cat "$T/out"; }

finish

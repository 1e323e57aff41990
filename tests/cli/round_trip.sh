#!/usr/bin/env bash
# Checkpoint files through the real executable: export -> import -> sample gives
# the same text for a character-level and a GPT-2 BPE model (the tokenizer
# travels beside the weights, hf gets Hugging Face's config.json); the tied
# lm_head is stored once and train_state holds no weights; the token cache lives
# in --cache-dir, not in --out; a checkpoint in the older layout
# (tests/fixtures/gpt_legacy) still samples and resumes to the same losses.
# Usage: round_trip.sh PESO_BINARY FIXTURE_DIR   (registered with ctest by cli/CMakeLists.txt)
PESO=$1
FIX=$2
. "$(dirname "$0")/lib.sh"
export OMP_NUM_THREADS=1

for i in $(seq 1 300); do echo "the quick brown fox $((i % 7)) jumps over the lazy dog $((i % 5))."; done >"$T/text.txt"
TINY=(--data "$T/text.txt" --n-layer 1 --n-head 2 --n-embd 16 --block-size 16 --batch 4 --eval-batches 2)

# The safetensors header of a file (its JSON), for checks on names and metadata.
header() { head -c $((8 + $(od -An -tu8 -N8 "$1"))) "$1" | tail -c +9; }

# --- what a checkpoint holds ----------------------------------------------------------------------
ok "train char" -- "$PESO" gpt train "${TINY[@]}" --steps 20 --eval-every 10 --quiet --out "$T/char"
for f in config.json tokenizer.json model.safetensors train_state.safetensors checkpoint.json; do
    [ -s "$T/char/$f" ] || fail "train wrote no $f"
done
header "$T/char/model.safetensors" >"$T/model.h"
grep -q '"transformer.wte.weight"' "$T/model.h" || fail "model.safetensors lacks wte"
grep -q '"lm_head.weight"' "$T/model.h" && fail "model.safetensors stores the tied lm_head.weight"
grep -q '"peso.step":"20"' "$T/model.h" || fail "model.safetensors does not record step 20"
header "$T/char/train_state.safetensors" >"$T/state.h"
grep -q '"model\.' "$T/state.h" && fail "train_state.safetensors repeats the weights"
grep -q '"optimizer\.' "$T/state.h" || fail "train_state.safetensors lacks the optimizer state"
grep -q '"peso.step":"20"' "$T/state.h" || fail "train_state.safetensors does not record step 20"
# AdamW's two moments per parameter: the state's data is twice the weights' (headers aside, within 2%).
m=$(stat -c %s "$T/char/model.safetensors") s=$(stat -c %s "$T/char/train_state.safetensors")
awk -v m="$m" -v s="$s" 'BEGIN { exit !(s > 1.9 * m && s < 2.1 * m) }' || fail "train_state is $s bytes for a $m-byte model"
# The manifest lists the set with its sizes.
grep -q "\"size\": $m\$" "$T/char/checkpoint.json" || { fail "checkpoint.json"; cat "$T/char/checkpoint.json"; }
# The token cache is in $XDG_CACHE_HOME/peso (or --cache-dir), not in --out.
ls "$T/char" | grep -q '^tokens' && fail "a token cache in --out"
[ "$(ls "$T/xdg/peso" | grep -c '^tokens-char-.*\.bin$')" = 1 ] || fail "no token cache in \$XDG_CACHE_HOME/peso"
ok "--cache-dir" -- "$PESO" gpt train "${TINY[@]}" --steps 2 --quiet --cache-dir "$T/cache" --out "$T/cached"
[ "$(ls "$T/cache" | grep -c '^tokens-char-.*\.bin$')" = 1 ] || fail "--cache-dir holds no token cache"
bad "--cache-dir a file" 1 "--cache-dir $T/text.txt exists and is not a directory" -- \
    "$PESO" gpt train "${TINY[@]}" --steps 2 --cache-dir "$T/text.txt" --out "$T/nocache"
[ ! -e "$T/nocache" ] || fail "a refused --cache-dir created --out"

# --- export -> import -> sample: the same text -----------------------------------------------------
S=(gpt sample --prompt "the " --tokens 40 --seed 5)
ok "sample char" -- "$PESO" "${S[@]}" --ckpt "$T/char"
cp "$T/out" "$T/char.txt"
mkdir "$T/hf" "$T/llmc" "$T/elsewhere"
ok "export hf" -- "$PESO" gpt export --format hf --ckpt "$T/char" --out "$T/hf/model.safetensors"
cmp -s "$T/char/tokenizer.json" "$T/hf/model.tokenizer.json" || fail "export hf: the tokenizer is not beside the weights"
for want in '"model_type": "gpt2"' '"GPT2LMHeadModel"' '"n_layer": 1' '"n_head": 2' '"n_embd": 16' \
            '"n_positions": 16' '"n_ctx": 16' '"activation_function": "gelu_new"' '"layer_norm_epsilon": 1e-05' \
            '"tie_word_embeddings": true' '"bos_token_id": 0' '"eos_token_id": 0'; do
    grep -qF "$want" "$T/hf/config.json" || fail "config.json lacks $want"
done
vocab=$(sed -n 's/.*"vocab_size": \([0-9]*\).*/\1/p' "$T/char/config.json")
grep -qF "\"vocab_size\": $vocab," "$T/hf/config.json" || fail "config.json: vocab_size is not $vocab"
ok "import hf" -- "$PESO" gpt import --format hf "$T/hf/model.safetensors" --out "$T/char_hf"
grep -q "heads from $T/hf/config.json, tokenizer from $T/hf/model.tokenizer.json" "$T/out" || { fail "import hf"; cat "$T/out"; }
ok "sample char after hf" -- "$PESO" "${S[@]}" --ckpt "$T/char_hf"
cmp -s "$T/char.txt" "$T/out" || { fail "char: hf round trip changed the sample"; cat "$T/char.txt" "$T/out"; }

ok "export llmc" -- "$PESO" gpt export --format llmc --ckpt "$T/char" --out "$T/llmc/char.bin"
[ ! -e "$T/llmc/config.json" ] || fail "export llmc wrote a config.json"
mv "$T/llmc/char.tokenizer.json" "$T/elsewhere/vocab.json"
ok "import llmc, no tokenizer" -- "$PESO" gpt import --format llmc "$T/llmc/char.bin" --out "$T/char_gpt2"
grep -q "^note: .*GPT-2's BPE" "$T/err" || { fail "import without a tokenizer: no note"; cat "$T/err"; }
bad "sample with GPT-2's tokenizer" 1 "the tokenizer has 50257 tokens but the model only $vocab" -- \
    "$PESO" "${S[@]}" --ckpt "$T/char_gpt2"
ok "import llmc --tokenizer-from FILE" -- "$PESO" gpt import --format llmc "$T/llmc/char.bin" \
    --tokenizer-from "$T/elsewhere/vocab.json" --out "$T/char_llmc"
ok "sample char after llmc" -- "$PESO" "${S[@]}" --ckpt "$T/char_llmc"
cmp -s "$T/char.txt" "$T/out" || fail "char: llmc round trip changed the sample"
ok "import --tokenizer-from DIR" -- "$PESO" gpt import --format llmc "$T/llmc/char.bin" --tokenizer-from "$T/char" \
    --out "$T/char_dir"
cmp -s "$T/char/tokenizer.json" "$T/char_dir/tokenizer.json" || fail "--tokenizer-from DIR: another tokenizer"

bad "--tokenizer-from missing" 1 "--tokenizer-from: no such file: $T/nope.json" -- \
    "$PESO" gpt import --format llmc "$T/llmc/char.bin" --tokenizer-from "$T/nope.json" --out "$T/x"
printf '{"type": "char", "version": 1, "chars": "%s"}' "$(printf '%s' {0..9} {A..Z} {a..z})" >"$T/big.json"
bad "--tokenizer-from too large" 1 "$T/big.json: the tokenizer has 62 tokens but the model only $vocab" -- \
    "$PESO" gpt import --format llmc "$T/llmc/char.bin" --tokenizer-from "$T/big.json" --out "$T/x"
echo '{"type": "char", "version": 1' >"$T/broken.json"
bad "--tokenizer-from malformed" 1 "$T/broken.json" -- \
    "$PESO" gpt import --format llmc "$T/llmc/char.bin" --tokenizer-from "$T/broken.json" --out "$T/x"
bad "export into the checkpoint" 1 "is inside the checkpoint directory" -- \
    "$PESO" gpt export --format hf --ckpt "$T/char" --out "$T/char/x.safetensors"
[ ! -e "$T/x" ] || fail "a failed import left $T/x behind"

# A GPT-2 BPE model (random weights, one step): the same text after hf and llm.c round trips.
ok "train gpt2" -- "$PESO" gpt train --data "$T/text.txt" --tokenizer gpt2 --n-layer 1 --n-head 2 --n-embd 8 \
    --block-size 32 --batch 2 --eval-batches 1 --steps 1 --quiet --out "$T/bpe"
! header "$T/bpe/model.safetensors" | grep -q '"lm_head.weight"' || fail "gpt2 model: lm_head.weight stored"
ok "sample gpt2" -- "$PESO" "${S[@]}" --ckpt "$T/bpe"
cp "$T/out" "$T/bpe.txt"
mkdir "$T/bpe_hf" "$T/bpe_llmc"
ok "export gpt2 hf" -- "$PESO" gpt export --format hf --ckpt "$T/bpe" --out "$T/bpe_hf/model.safetensors"
grep -qF '"bos_token_id": 50256' "$T/bpe_hf/config.json" && grep -qF '"vocab_size": 50257' "$T/bpe_hf/config.json" ||
    { fail "gpt2 config.json"; cat "$T/bpe_hf/config.json"; }
ok "import gpt2 hf" -- "$PESO" gpt import --format hf "$T/bpe_hf/model.safetensors" --out "$T/bpe2"
ok "sample gpt2 after hf" -- "$PESO" "${S[@]}" --ckpt "$T/bpe2"
cmp -s "$T/bpe.txt" "$T/out" || fail "gpt2: hf round trip changed the sample"
ok "export gpt2 llmc" -- "$PESO" gpt export --format llmc --ckpt "$T/bpe" --out "$T/bpe_llmc/m.bin"
ok "import gpt2 llmc" -- "$PESO" gpt import --format llmc "$T/bpe_llmc/m.bin" --out "$T/bpe3"
ok "sample gpt2 after llmc" -- "$PESO" "${S[@]}" --ckpt "$T/bpe3"
cmp -s "$T/bpe.txt" "$T/out" || fail "gpt2: llm.c round trip changed the sample"

# --- a save cut short: the directory holds the previous save or the new one, whole ------------------
# Two saves of one run (steps 10 and 20), then the states a crash can leave, made by hand: the files of
# save 20 staged (".NAME.SAVE_ID") beside those of save 10 under their names, with the manifest of
# either save.
ok "save 10" -- "$PESO" gpt train "${TINY[@]}" --steps 30 --eval-every 10 --stop-at 10 --quiet --out "$T/s10"
cp -r "$T/s10" "$T/s20"
ok "save 20" -- "$PESO" gpt train --data "$T/text.txt" --resume --stop-at 20 --quiet --out "$T/s20"
id20=$(sed -n 's/^  "save": "\([0-9a-f]*\)",$/\1/p' "$T/s20/checkpoint.json")
[ -n "$id20" ] || fail "no save id in checkpoint.json"
for m in before after; do
    cp -r "$T/s10" "$T/cut_$m"
    for f in config.json tokenizer.json model.safetensors train_state.safetensors; do
        cp "$T/s20/$f" "$T/cut_$m/.$f.$id20"
    done
done
cp "$T/s20/checkpoint.json" "$T/cut_after/"  # cut after the commit: save 20 is the checkpoint
for s in 10 20; do
    ok "sample save $s" -- "$PESO" "${S[@]}" --ckpt "$T/s$s"
    cp "$T/out" "$T/s$s.txt"
done
cmp -s "$T/s10.txt" "$T/s20.txt" && fail "saves 10 and 20 sample alike: the check below would prove nothing"
ok "sample, cut before the commit" -- "$PESO" "${S[@]}" --ckpt "$T/cut_before"
cmp -s "$T/s10.txt" "$T/out" || fail "cut before the commit: not save 10's text"
ok "sample, cut after the commit" -- "$PESO" "${S[@]}" --ckpt "$T/cut_after"
cmp -s "$T/s20.txt" "$T/out" || fail "cut after the commit: not save 20's text"
ok "resume, cut after the commit" -- "$PESO" gpt train --data "$T/text.txt" --resume --stop-at 25 --quiet --out "$T/cut_after"
grep -q "^resuming from step 20$" "$T/err" || { fail "cut after the commit: not resumed from 20"; cat "$T/err"; }
[ -z "$(find "$T/cut_after" -name '.*')" ] || fail "the next save left staged files: $(ls -a "$T/cut_after")"
ok "resume, cut before the commit" -- "$PESO" gpt train --data "$T/text.txt" --resume --stop-at 15 --quiet --out "$T/cut_before"
grep -q "^resuming from step 10$" "$T/err" || { fail "cut before the commit: not resumed from 10"; cat "$T/err"; }
# A file changed behind the manifest's back is named.
printf 'x' >>"$T/s20/tokenizer.json"
bad "file changed after the save" 1 "tokenizer.json: $(($(stat -c %s "$T/s20/tokenizer.json"))) bytes, but checkpoint.json says" -- \
    "$PESO" "${S[@]}" --ckpt "$T/s20"

# --- the older layout: lm_head stored, weights in train_state, no manifest -----------------------
cp -r "$FIX" "$T/legacy"
ok "sample legacy" -- "$PESO" gpt sample --ckpt "$T/legacy" --prompt "the " --tokens 20 --seed 5
[ "$(head -c 4 "$T/out")" = "the " ] || fail "legacy sample"
ok "resume legacy" -- "$PESO" gpt train --data "$T/text.txt" --out "$T/legacy" --resume --quiet
grep -q "^resuming from step 4" "$T/err" || { fail "legacy: not resumed from step 4"; cat "$T/err"; }
ok "uninterrupted" -- "$PESO" gpt train "${TINY[@]}" --steps 8 --eval-every 4 --threads 1 --quiet --out "$T/whole"
cmp -s "$T/legacy/train_log.csv" "$T/whole/train_log.csv" ||
    { fail "legacy resume: other losses"; diff "$T/legacy/train_log.csv" "$T/whole/train_log.csv"; }
header "$T/legacy/model.safetensors" | grep -q '"lm_head.weight"' && fail "legacy: re-saved with lm_head.weight"
[ -s "$T/legacy/checkpoint.json" ] || fail "legacy: no manifest after the save"

finish

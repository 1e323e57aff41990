#!/usr/bin/env bash
# End-to-end test of `peso gpt import` / `peso gpt export` on the committed
# GPT-2 fixtures: conversions agree byte for byte, bad input gets one
# "peso: error:" line and a non-zero status.
# Usage: gpt_convert.sh PESO_BINARY FIXTURE_DIR   (registered with ctest by cli/CMakeLists.txt)
PESO=$1
FIX=$2
. "$(dirname "$0")/lib.sh"

ok "import --help" -- "$PESO" gpt import --help
grep -q -- "--n-head" "$T/out" || fail "import --help does not list --n-head"
ok "export --help" -- "$PESO" gpt export --help
grep -q -- "--ckpt" "$T/out" || fail "export --help does not list --ckpt"

ok "import hf" -- "$PESO" gpt import --format hf "$FIX/hf_tiny.safetensors" --n-head 2 --out "$T/hf"
ok "import llmc" -- "$PESO" gpt import --format llmc "$FIX/llmc_tiny.bin" --out "$T/llmc"
for f in config.json tokenizer.json model.safetensors; do
    [ -s "$T/hf/$f" ] || fail "import hf wrote no $f"
done
grep -q '"n_head": 2' "$T/hf/config.json" || fail "config.json lacks n_head 2"
grep -q '"type":"gpt2"' "$T/hf/tokenizer.json" || fail "tokenizer.json is not GPT-2's"
cmp -s "$T/hf/model.safetensors" "$T/llmc/model.safetensors" || fail "the two imports differ"

ok "export llmc" -- "$PESO" gpt export --format llmc --ckpt "$T/hf" --out "$T/back.bin"
cmp -s "$T/back.bin" "$FIX/llmc_tiny.bin" || fail "exported llm.c file differs from the fixture"
ok "export hf" -- "$PESO" gpt export --format hf --ckpt "$T/llmc" --out "$T/back.safetensors"
ok "re-import hf" -- "$PESO" gpt import --format hf "$T/back.safetensors" --n-head 2 --out "$T/again"
cmp -s "$T/again/model.safetensors" "$T/hf/model.safetensors" || fail "hf export -> import is not lossless"

head -c 5000 "$FIX/llmc_tiny.bin" >"$T/cut.bin"
head -c 5000 "$FIX/hf_tiny.safetensors" >"$T/cut.safetensors"
: >"$T/empty.bin"
bad "no --n-head for a non-GPT-2 width" 1 "--n-head" -- "$PESO" gpt import --format hf "$FIX/hf_tiny.safetensors" --out "$T/x"
bad "missing file" 1 "no such file" -- "$PESO" gpt import --format llmc "$T/nope.bin" --out "$T/x"
bad "empty file" 1 "too short" -- "$PESO" gpt import --format llmc "$T/empty.bin" --out "$T/x"
bad "truncated llm.c file" 1 "truncated" -- "$PESO" gpt import --format llmc "$T/cut.bin" --out "$T/x"
bad "truncated safetensors" 1 "cut.safetensors" -- "$PESO" gpt import --format hf "$T/cut.safetensors" --n-head 2 --out "$T/x"
bad "safetensors as llm.c" 1 "magic" -- "$PESO" gpt import --format llmc "$FIX/hf_tiny.safetensors" --out "$T/x"
bad "llm.c as safetensors" 1 "llmc_tiny.bin" -- "$PESO" gpt import --format hf "$FIX/llmc_tiny.bin" --n-head 2 --out "$T/x"
bad "non-empty --out" 1 "not empty" -- "$PESO" gpt import --format llmc "$FIX/llmc_tiny.bin" --out "$T/hf"
bad "unknown format" 2 "format" -- "$PESO" gpt import --format onnx "$FIX/llmc_tiny.bin" --out "$T/x"
bad "no FILE" 2 "FILE" -- "$PESO" gpt import --format llmc --out "$T/x"
bad "no checkpoint" 1 "no checkpoint directory" -- "$PESO" gpt export --format hf --ckpt "$T/nope" --out "$T/x.st"
bad "--out is a directory" 1 "is a directory" -- "$PESO" gpt export --format hf --ckpt "$T/hf" --out "$T"
bad "unwritable --out" 1 "cannot write" -- "$PESO" gpt export --format llmc --ckpt "$T/hf" --out "$T/no/dir/x.bin"
sed -i 's/"n_layer": 2/"n_layer": 3/' "$T/llmc/config.json"
bad "config/weights mismatch" 1 "model.safetensors: no tensor 'transformer.h.2" -- "$PESO" gpt export --format llmc --ckpt "$T/llmc" --out "$T/y.bin"
[ ! -e "$T/x" ] || fail "a failed import left $T/x behind"

# train --device: a bad name, and a CUDA device that this build or machine lacks.
yes "a tiny corpus for the device flag checks." | head -n 60 >"$T/tiny.txt"
bad "--device gpu" 2 "--device: expected cpu, cuda or cuda:N, got 'gpu'" -- "$PESO" gpt train --data "$T/tiny.txt" --device gpu --out "$T/d"
if ! command -v nvidia-smi >/dev/null || ! nvidia-smi >/dev/null 2>&1; then
    bad "--device cuda without a GPU" 1 "cuda" -- "$PESO" gpt train --data "$T/tiny.txt" --device cuda --out "$T/d"
fi

finish

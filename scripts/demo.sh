#!/usr/bin/env bash
# The main job: train a character-level GPT on the fortune cookie databases
# that Debian's fortunes and fortunes-es packages install (English and
# Spanish, about 6 MB of text), for about five minutes on this machine's
# cores, then print the validation loss and a sample.
#   scripts/demo.sh [BUILD_DIR]   (after scripts/setup.sh)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${1:-$ROOT/build}"
PESO="$BUILD/bin/peso"
DATA="$BUILD/data/fortunes.txt"
OUT="$BUILD/demo-gpt"
MINUTES="${PESO_DEMO_MINUTES:-5}"

if [[ ! -s "$DATA" ]]; then
  mkdir -p "$(dirname "$DATA")"
  # Every fortune file (not the .dat indexes or .u8 duplicates), with the
  # '%' separators between fortunes turned into blank lines.
  find /usr/share/games/fortunes -type f ! -name '*.dat' ! -name '*.u8' ! -type l -print0 | sort -z |
    xargs -0 cat | sed 's/^%$//' > "$DATA.tmp"
  mv "$DATA.tmp" "$DATA"
fi
echo "corpus: $DATA ($(wc -c < "$DATA") bytes)"

rm -rf "$OUT"
"$PESO" gpt train --data "$DATA" --out "$OUT" --tokenizer char \
  --n-layer 4 --n-head 4 --n-embd 128 --block-size 128 --batch 16 \
  --steps 6000 --warmup 200 --lr 2e-3 --min-lr 2e-4 --weight-decay 0.1 --beta2 0.99 \
  --eval-every 500 --eval-batches 20 --max-time $((MINUTES * 60))
echo
echo "validation loss over the whole held-out 10%:"
"$PESO" gpt eval --ckpt "$OUT" --data "$DATA" --split val
echo
echo "a sample (temperature 0.8, top-k 40):"
"$PESO" gpt sample --ckpt "$OUT" --prompt $'\n' --tokens 400 --temperature 0.8 --top-k 40 --seed 7

#!/usr/bin/env bash
# Draws the figures of the guide's chapter pages (docs/ch*.md and their
# Spanish versions in docs/es/) by running each chapter program with its
# defaults (seed 1337, one thread), and copies the chosen PNGs to docs/img/
# under stable names.
#
#   scripts/make_doc_figures.sh              # full default runs, about 5 minutes of CPU
#   scripts/make_doc_figures.sh --quick DIR  # a few steps each, figures into DIR/img (the `docs` ctest)
#   options: --bin DIR   the programs (default: $PESO_BUILD_DIR/examples/bin, or build/examples/bin)
#            --work DIR  where the programs write (default: a temporary folder, removed at the end)
#
# Build the programs first, e.g. `cmake --build build --target decoder_lm ...`
# or a plain `cmake --build build`.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${PESO_BUILD_DIR:-build}"
case "$BUILD_DIR" in /*) ;; *) BUILD_DIR="$ROOT/$BUILD_DIR" ;; esac
BIN="$BUILD_DIR/examples/bin"
DEST="$ROOT/docs/img"
QUICK=0
WORK=""
while (($#)); do
  case "$1" in
    --quick) QUICK=1; DEST="$2/img"; shift 2 ;;
    --bin) BIN="$2"; shift 2 ;;
    --work) WORK="$2"; shift 2 ;;
    *) echo "make_doc_figures: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
case "$BIN" in /*) ;; *) BIN="$PWD/$BIN" ;; esac
if [[ -z "$WORK" ]]; then
  WORK="$(mktemp -d)"
  trap 'rm -rf "$WORK"' EXIT
fi
mkdir -p "$DEST" "$WORK"
# Small models: one thread is faster (see docs/ch7_gpt.md), and the figures do
# not depend on how many cores the machine has.
export OMP_NUM_THREADS=1

# One run per line: NAME | PROGRAM AND ARGUMENTS | EXTRA ARGUMENTS OF THE QUICK RUN.
RUNS="
logistic_regression | logistic_regression             | --steps 20
topic_classifier    | topic_classifier                | --steps 20
skip_gram           | skip_gram                       | --steps 20
ffn_lm              | ffn_lm                          | --steps 20
decoder_lm          | decoder_lm                      | --steps 20 --eval-every 10
attention_scaling   | attention_scaling               | --pairs 256
lstm_anbn           | lstm_anbn                       | --steps 20
translate           | translate                       | --steps 20 --warmup 5
reverse             | translate --task reverse        | --steps 20 --warmup 5
encoder_tagger      | encoder_tagger                  | --steps 20
bert_mini           | bert_mini                       | --steps 20 --warmup 5 --tag-steps 10
gpt_sort            | gpt_sort                        | --steps 20
gpt_adder           | gpt_adder                       | --steps 20
chargpt             | chargpt                         | --steps 4 --batch 2 --sample-every 0 --sample-chars 20 --data $ROOT/docs/nn_layers.md
"

# One figure per line: NAME IN docs/img | RUN/FILE IT COMES FROM.
FIGURES="
ch1_decision_boundary.png       | logistic_regression/decision_boundary.png
ch1_logistic_loss.png           | logistic_regression/loss.png
ch1_topic_weights.png           | topic_classifier/top_word_weights.png
ch2_embeddings_negative.png     | skip_gram/negative_sampling/embeddings.png
ch2_embeddings_softmax.png      | skip_gram/softmax/embeddings.png
ch3_embeddings_ffn.png          | ffn_lm/ffn/embeddings.png
ch3_embeddings_bengio.png       | ffn_lm/bengio/embeddings.png
ch4_decoder_attention.png       | decoder_lm/attention.png
ch4_decoder_perplexity.png      | decoder_lm/perplexity.png
ch4_scaling_variance.png        | attention_scaling/variance.png
ch4_scaling_entropy.png         | attention_scaling/softmax_entropy.png
ch4_lstm_states.png             | lstm_anbn/states.png
ch5_attention_encoder_self.png  | translate/attention_encoder_self.png
ch5_attention_decoder_self.png  | translate/attention_decoder_self.png
ch5_attention_cross.png         | translate/attention_cross.png
ch5_reverse_cross.png           | reverse/attention_cross.png
ch6_confusion.png               | encoder_tagger/confusion.png
ch6_pretrain.png                | bert_mini/pretrain.png
ch6_taggers.png                 | bert_mini/taggers.png
ch7_sort_accuracy.png           | gpt_sort/accuracy.png
ch7_adder_accuracy.png          | gpt_adder/accuracy.png
ch7_chargpt_loss.png            | chargpt/loss.png
"

trim() { local s="$1"; s="${s#"${s%%[![:space:]]*}"}"; printf '%s' "${s%"${s##*[![:space:]]}"}"; }

while IFS='|' read -r name command quick; do
  name="$(trim "$name")"
  [[ -z "$name" ]] && continue
  read -r -a args <<<"$(trim "$command")"
  if ((QUICK)); then read -r -a extra <<<"$(trim "$quick")"; args+=("${extra[@]}"); fi
  program="$BIN/${args[0]}"
  [[ -x "$program" ]] || { echo "make_doc_figures: $program is not built" >&2; exit 1; }
  echo "[make_doc_figures] ${args[*]}"
  start=$SECONDS
  "$program" --out "$WORK/$name" "${args[@]:1}" >"$WORK/$name.log" 2>&1 ||
    { echo "make_doc_figures: ${args[*]} failed:" >&2; tail -n 20 "$WORK/$name.log" >&2; exit 1; }
  echo "[make_doc_figures]   $((SECONDS - start)) s"
done <<<"$RUNS"

status=0
while IFS='|' read -r target source; do
  target="$(trim "$target")"
  [[ -z "$target" ]] && continue
  source="$WORK/$(trim "$source")"
  if [[ ! -s "$source" ]]; then
    echo "make_doc_figures: no $source (is gnuplot installed?)" >&2
    status=1
    continue
  fi
  cp "$source" "$DEST/$target"
  echo "[make_doc_figures] $DEST/$target ($(($(stat -c %s "$source") / 1024)) KB)"
done <<<"$FIGURES"
exit $status

#!/usr/bin/env bash
# End-to-end test of `peso gpt train` through the real executable, on tiny
# models (seconds): flag errors in the user's words, --version and suggestions,
# --help, the log format off a terminal, stop reasons and the ETA under
# --max-time, --resume (settings restored, conflicts refused, the same losses
# as an uninterrupted run, nothing to do once finished), Ctrl-C, and --init-from
# (fine-tuning an imported GPT-2-format model).
# Usage: gpt_train.sh PESO_BINARY   (registered with ctest by cli/CMakeLists.txt)
PESO=$1
. "$(dirname "$0")/lib.sh"
export OMP_NUM_THREADS=1

for i in $(seq 1 300); do echo "the quick brown fox $((i % 7)) jumps over the lazy dog $((i % 5))."; done >"$T/text.txt"
TINY=(--data "$T/text.txt" --n-layer 1 --n-head 2 --n-embd 16 --block-size 16 --batch 4 --eval-batches 2)

# --- flags in the user's words --------------------------------------------------------------------
ok "--version" -- "$PESO" --version
grep -Eq '^peso [0-9]+\.[0-9]+\.[0-9]+$' "$T/out" || { fail "--version prints '$(cat "$T/out")'"; }
bad "mistyped command" 2 "unknown command 'trian' for 'peso gpt'; did you mean 'train'?" -- "$PESO" gpt trian
bad "mistyped group" 2 "did you mean 'gpt'?" -- "$PESO" gtp train
bad "mistyped flag" 2 "unknown flag --lrr for 'peso gpt train'; did you mean --lr?" -- "$PESO" gpt train --lrr 1
bad "flag of another command" 2 "unknown flag --top-p for 'peso gpt train'" -- "$PESO" gpt train --top-p 0.9
bad "--n-head/--n-embd" 1 "--n-head 3 must divide --n-embd 16" -- "$PESO" gpt train "${TINY[@]}" --n-head 3
bad "--lr -1" 2 "--lr: must be greater than 0, got -1" -- "$PESO" gpt train "${TINY[@]}" --lr -1
bad "--batch 0" 2 "--batch: must be at least 1, got 0" -- "$PESO" gpt train "${TINY[@]}" --batch 0
bad "--threads -2" 2 "--threads: must be at least 0, got -2" -- "$PESO" gpt train "${TINY[@]}" --threads -2
bad "--dropout 1" 2 "--dropout: must be in [0, 1), got 1" -- "$PESO" gpt train "${TINY[@]}" --dropout 1
bad "--beta1 abc" 2 "--beta1: expected a number, got 'abc'" -- "$PESO" gpt train "${TINY[@]}" --beta1 abc
bad "--device tpu" 2 "--device: expected cpu, cuda or cuda:N, got 'tpu'" -- "$PESO" gpt train "${TINY[@]}" --device tpu
bad "--warmup = --steps" 1 "--warmup 40 must be less than --steps 40" -- "$PESO" gpt train "${TINY[@]}" --steps 40 --warmup 40
bad "--min-lr > --lr" 1 "--min-lr 0.01 must not exceed --lr 0.001" -- "$PESO" gpt train "${TINY[@]}" --min-lr 0.01
bad "no --data" 1 "--data is required" -- "$PESO" gpt train --out "$T/nodata"
bad "missing --data" 1 "--data: no such file: $T/nope.txt" -- "$PESO" gpt train --data "$T/nope.txt" --out "$T/x"
bad "--out under a file" 1 "--out $T/text.txt/run: cannot create the directory (Not a directory)" -- \
    "$PESO" gpt train "${TINY[@]}" --out "$T/text.txt/run"

# --help: every flag has a description, and every flag taking a value shows its default
# (those without one are named here).
ok "train --help" -- "$PESO" gpt train --help
awk -v allowed=" --help --data --init-from --preset " '
    /^  -/ { if (name != "" && !described) print "no description: " name
             name = $1; split(name, parts, ","); name = parts[length(parts)]
             described = ($0 ~ /^  [^ ]+( [^ ]+)?  +[^ ]/)
             if ($2 ~ /^[A-Z]/ && $2 !~ /=/ && index(allowed, " " name " ") == 0) print "no default: " name
             next }
    /^      +[^ ]/ { described = 1 }
    END { if (name != "" && !described) print "no description: " name }' "$T/out" >"$T/help_problems"
[ ! -s "$T/help_problems" ] || { fail "train --help"; cat "$T/help_problems"; }
grep -q -- "--beta1 FLOAT=0.9 " "$T/out" || fail "train --help lacks --beta1 with its default"
grep -q -- "--bias BOOLEAN=true " "$T/out" || fail "train --help shows --bias's default other than true"

# --- logs ---------------------------------------------------------------------------------------
# The default --warmup fits a short run; off a terminal: one line per step (40 steps / 100 < 1).
ok "40 steps" -- "$PESO" gpt train "${TINY[@]}" --steps 40 --eval-every 20 --out "$T/run"
cp "$T/out" "$T/run.out"
cp "$T/err" "$T/run.err"
! grep -q $'\r' "$T/run.err" || fail "progress written with \\r into a file"
[ "$(grep -c '^step [0-9]*/40  loss [0-9.]*  lr ' "$T/run.err")" = 40 ] || { fail "not 40 progress lines"; cat "$T/run.err"; }
grep -q "train loss" "$T/run.err" && fail "evaluation results on stderr"
[ "$(grep -c '^step \(20\|40\): train loss [0-9.]*, val loss [0-9.]*$' "$T/run.out")" = 2 ] || { fail "evaluations"; cat "$T/run.out"; }
grep -q "^done: 40 steps, [0-9]* tokens/s; checkpoint in $T/run$" "$T/run.out" || { fail "summary"; cat "$T/run.out"; }
# loss.png: a PNG drawn from the step log (raw and smoothed) and the evaluations, with a plain-text legend.
[ "$(head -c 8 "$T/run/loss.png" | od -An -c | tr -d ' ')" = '211PNG\r\n032\n' ] || fail "no loss.png"
for want in "noenhanced" "train_log.csv' skip 1 using 1:2 with points" "title 'train loss (smoothed)'" \
            "metrics.csv' skip 1 using 1:3 with linespoints" "set grid"; do
    grep -qF "$want" "$T/run/loss.gp" || fail "loss.gp lacks: $want"
done
grep -q logscale "$T/run/loss.gp" && fail "loss.gp: log scale without --plot-log-scale"
ok "--log-every 10" -- "$PESO" gpt train "${TINY[@]}" --steps 40 --log-every 10 --eval-every 0 --plot-log-scale \
    --out "$T/log10"
grep -q "^set logscale y" "$T/log10/loss.gp" || fail "--plot-log-scale"
[ "$(grep '^step [0-9]*/40 ' "$T/err" | cut -d' ' -f2 | tr '\n' ' ')" = "10/40 20/40 30/40 40/40 " ] ||
    { fail "--log-every 10"; cat "$T/err"; }
ok "--quiet" -- "$PESO" gpt train "${TINY[@]}" --steps 10 --quiet --out "$T/quiet"
grep -q "^step [0-9]*/" "$T/err" && fail "--quiet printed progress"
grep -q "^done: 10 steps" "$T/out" || fail "--quiet dropped the summary"
# --max-time: the ETA counts down the time budget, not the 10^6 steps; the stop says why.
ok "--max-time" -- "$PESO" gpt train "${TINY[@]}" --steps 1000000 --max-time 1 --out "$T/timed"
grep -q "^stopped at step [0-9]* of 1000000: --max-time 1 s reached; .* (continue with --resume)$" "$T/out" ||
    { fail "--max-time stop"; cat "$T/out"; }
sed -n 's/.*ETA //p' "$T/err" | grep -qv '^0m0[01]s$' && { fail "ETA beyond --max-time"; sed -n 's/.*ETA //p' "$T/err" | sort -u | head; }
# ... and the cosine decay ends with the time budget, not at the 10^6 steps: the last step's lr is near --min-lr,
# the middle step's about halfway between (with --steps alone it would stay at the peak, 1e-3).
ok "--max-time schedule" -- "$PESO" gpt train "${TINY[@]}" --steps 1000000 --warmup 5 --lr 1e-3 --min-lr 1e-4 \
    --max-time 3 --eval-every 0 --out "$T/timed_lr"
awk -F, 'NR > 1 { lr[++n] = $3 }
    END { mid = lr[int((n + 5) / 2)]; last = lr[n]
          if (n < 20 || last > 2e-4 || mid < 2e-4 || mid > 9e-4) { print n " steps, middle lr " mid ", last lr " last; exit 1 } }' \
    "$T/timed_lr/train_log.csv" || fail "--max-time: the cosine does not end with the time budget"

# --- resume -------------------------------------------------------------------------------------
ok "nothing to do" -- "$PESO" gpt train --out "$T/run" --resume
grep -q "^nothing to do: the run in $T/run has finished (40 of 40 steps)" "$T/out" || { fail "finished run"; cat "$T/out"; }
# Stopped at 13, resumed with no flags but --out: its settings (not the defaults) and the same losses.
ok "--stop-at 13" -- "$PESO" gpt train "${TINY[@]}" --steps 40 --eval-every 20 --stop-at 13 --out "$T/split"
grep -q "^stopped at step 13 of 40: --stop-at 13 reached" "$T/out" || { fail "--stop-at"; cat "$T/out"; }
bad "conflicting --lr" 1 "--lr 0.01 conflicts with the run being resumed, which has --lr 0.001" -- \
    "$PESO" gpt train --out "$T/split" --resume --lr 0.01
bad "conflicting --n-embd" 1 "--n-embd 32 conflicts with the run being resumed, which has --n-embd 16" -- \
    "$PESO" gpt train --out "$T/split" --resume --n-embd 32
ok "--resume" -- "$PESO" gpt train --out "$T/split" --resume
grep -q "^resuming from step 13" "$T/err" || fail "resume: no 'resuming from step 13'"
cmp -s "$T/run/train_log.csv" "$T/split/train_log.csv" || { fail "resumed losses differ"; diff "$T/run/train_log.csv" "$T/split/train_log.csv" | head; }
[ "$(tail -n 1 "$T/split/metrics.csv")" = "$(tail -n 1 "$T/run/metrics.csv")" ] || fail "resumed evaluation differs"
ok "resume with more --steps" -- "$PESO" gpt train --out "$T/split" --resume --steps 45 --quiet
grep -q "^done: 45 steps" "$T/out" || { fail "--steps raised on resume"; cat "$T/out"; }

# Ctrl-C: the checkpoint is written, exit status 130, and --resume continues.
# (timeout forwards the SIGINT, and ends a run that ignored it; it kills a run
# that has not exited -k seconds after the SIGINT, so that must leave time to
# write the checkpoint and the plot on a loaded machine.)
timeout -k 30 90 "$PESO" gpt train "${TINY[@]}" --steps 1000000 --out "$T/int" >"$T/int.out" 2>"$T/int.err" &
pid=$!
for _ in $(seq 1 300); do
    [ "$(cat "$T/int/train_log.csv" 2>/dev/null | wc -l)" -gt 5 ] && break
    sleep 0.1
done
kill -INT "$pid"
wait "$pid"
rc=$?
[ "$rc" = 130 ] || fail "SIGINT: exit $rc, expected 130"
[ -s "$T/int/loss.png" ] || fail "SIGINT: no loss.png"
at=$(sed -n 's/^interrupted at step \([0-9]*\): checkpoint written.*/\1/p' "$T/int.out")
if [ -z "$at" ]; then
    fail "SIGINT: no 'interrupted at step' line"
    cat "$T/int.out" "$T/int.err"
else
    ok "resume after SIGINT" -- "$PESO" gpt train --out "$T/int" --resume --stop-at $((at + 2)) --quiet
    [ "$(tail -n 1 "$T/int/train_log.csv" | cut -d, -f1)" = $((at + 2)) ] || fail "SIGINT: resume did not continue"
    bad "--stop-at behind" 1 "--stop-at 1 is not after step $((at + 2)), where the run resumes" -- \
        "$PESO" gpt train --out "$T/int" --resume --stop-at 1
fi

# --- fine-tuning: --init-from an imported GPT-2-format model ------------------------------------
# A random GPT-2-vocabulary model (one step at a negligible learning rate), exported to Hugging Face's
# format and imported back: what `peso gpt import` makes of downloaded weights.
ok "random GPT-2 model" -- "$PESO" gpt train --data "$T/text.txt" --tokenizer gpt2 --n-layer 1 --n-head 2 --n-embd 8 \
    --block-size 32 --batch 2 --eval-batches 1 --steps 1 --lr 1e-9 --out "$T/g0"
ok "export" -- "$PESO" gpt export --format hf --ckpt "$T/g0" --out "$T/g0.safetensors"
ok "import" -- "$PESO" gpt import --format hf "$T/g0.safetensors" --n-head 2 --out "$T/imported"
bad "shape flag with --init-from" 1 "--n-layer cannot be used with --init-from" -- \
    "$PESO" gpt train --data "$T/text.txt" --init-from "$T/imported" --n-layer 2 --out "$T/ft"
bad "larger block" 1 "--block-size 64 is larger than the --init-from model's block size 32" -- \
    "$PESO" gpt train --data "$T/text.txt" --init-from "$T/imported" --block-size 64 --out "$T/ft"
ok "eval imported" -- "$PESO" gpt eval --ckpt "$T/imported" --data "$T/text.txt"
before=$(sed -n 's/^loss \([0-9.]*\) .*/\1/p' "$T/out")
ok "fine-tune" -- "$PESO" gpt train --data "$T/text.txt" --init-from "$T/imported" --steps 20 --batch 4 --lr 3e-3 \
    --eval-every 0 --eval-batches 2 --out "$T/ft"
grep -q "from $T/imported" "$T/err" || fail "fine-tune: the start is not named"
ok "eval fine-tuned" -- "$PESO" gpt eval --ckpt "$T/ft" --data "$T/text.txt"
after=$(sed -n 's/^loss \([0-9.]*\) .*/\1/p' "$T/out")
awk -v b="$before" -v a="$after" 'BEGIN { exit !(b > 10 && a < b - 0.2) }' || fail "fine-tuning: loss $before -> $after"
echo "fine-tuning: loss $before -> $after"
cmp -s "$T/imported/tokenizer.json" "$T/ft/tokenizer.json" || fail "fine-tune: not the imported model's tokenizer"
ok "fine-tune, block cropped" -- "$PESO" gpt train --data "$T/text.txt" --init-from "$T/imported" --block-size 16 \
    --dropout 0.1 --steps 2 --batch 2 --eval-batches 1 --out "$T/ft16"
grep -q '"block_size": 16' "$T/ft16/config.json" && grep -q '"dropout": 0.1' "$T/ft16/config.json" ||
    { fail "cropped config"; cat "$T/ft16/config.json"; }

finish

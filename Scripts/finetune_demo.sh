#!/usr/bin/env bash
# The fine-tuning demonstration of docs/training.md: ten classes (ESC-10), fold 4 only (8 clips per class), split per
# class by a seeded hash into 5 training and 3 test clips; then, on the same clips for the same epochs,
#   frozen   --init-from MODEL --freeze-backbone (only fc trains)
#   full     --init-from MODEL (the whole network trains)
#   scratch  no starting model
# each trained with nothing held out (the model is the last epoch) and measured once with `eval` on the
# test clips. Prints one Markdown table row per arm: test accuracy, the training loop's wall time (summary.json),
# the part of it spent computing (metrics.csv; the rest is writing checkpoints), the whole command's wall time.
#
# Usage: Scripts/finetune_demo.sh MODEL [ESC50_DIR] [WORK_DIR]
#   MODEL      a model file or checkpoint trained on folds 1-3 at ESC50_DIR's sample rate
#   ESC50_DIR  an ESC-50 layout (meta/esc50.csv with the fold, category and esc10 columns; audio/), default
#              /var/tmp/esc50-16k
#   WORK_DIR   where the CSVs, runs and evaluations go (default /var/tmp/finetune-demo/run-<time>)
# Environment: EPOCHS (20), SEED (0: the split and the runs), THREADS (1), ARMS ("frozen full scratch"),
#   FROZEN_LR (0.01), FULL_LR (0.001), SCRATCH_LR (0.002: the recipe's), BIN (.build/release/audiospecnet).
set -euo pipefail

MODEL=${1:?usage: Scripts/finetune_demo.sh MODEL [ESC50_DIR] [WORK_DIR]}
ESC=${2:-/var/tmp/esc50-16k}
WORK=${3:-/var/tmp/finetune-demo/run-$(date -u +%Y%m%d-%H%M%S)}
EPOCHS=${EPOCHS:-20}
SEED=${SEED:-0}
THREADS=${THREADS:-1}
ARMS=${ARMS:-frozen full scratch}
FROZEN_LR=${FROZEN_LR:-0.01}
FULL_LR=${FULL_LR:-0.001}
SCRATCH_LR=${SCRATCH_LR:-0.002}
BIN=${BIN:-.build/release/audiospecnet}

[ -f "$MODEL" ] || { echo "finetune_demo: no model file $MODEL" >&2; exit 2; }
[ -f "$ESC/meta/esc50.csv" ] || { echo "finetune_demo: $ESC has no meta/esc50.csv" >&2; exit 2; }
[ -x "$BIN" ] || { echo "finetune_demo: no $BIN (swift build -c release)" >&2; exit 2; }
mkdir -p "$WORK"

# The split: ESC-10 rows of fold 4, ordered within each class by md5("SEED filename"); the first 5 train,
# the other 3 test. The same metadata and seed give the same files on any machine.
ESC_ABS=$(cd "$ESC" && pwd)
printf 'path,label\n' >"$WORK/train.csv"
printf 'path,label\n' >"$WORK/test.csv"
awk -F, 'NR > 1 && $2 == 4 && $5 == "True" { print $4, $1 }' "$ESC/meta/esc50.csv" |
  while read -r category file; do
    printf '%s %s %s\n' "$category" "$(printf '%s %s' "$SEED" "$file" | md5sum | cut -c1-32)" "$file"
  done | sort -k1,1 -k2,2 |
  awk -v dir="$ESC_ABS/audio" -v train="$WORK/train.csv" -v test="$WORK/test.csv" '
    { n[$1]++; print dir "/" $3 "," $1 >> (n[$1] <= 5 ? train : test) }'
echo "split: $(($(wc -l <"$WORK/train.csv") - 1)) training and $(($(wc -l <"$WORK/test.csv") - 1)) test clips → $WORK/{train,test}.csv" >&2

now() { date +%s.%N; }
echo "| run | --max-lr | epochs | test accuracy | training wall time | of which computing | whole command |"
echo "|---|---|---|---|---|---|---|"
for arm in $ARMS; do
  case $arm in
    frozen) flags=(--init-from "$MODEL" --freeze-backbone); lr=$FROZEN_LR ;;
    full) flags=(--init-from "$MODEL"); lr=$FULL_LR ;;
    scratch)
      # the starting model's sample rate, so that all three see the same spectrograms
      rate=$(head -c 65536 "$MODEL" | grep -ao 'sample_rate[^0-9]*[0-9]*' | head -1 | grep -o '[0-9]*$' || true)
      [ -n "$rate" ] || { echo "finetune_demo: cannot read the sample rate from $MODEL's metadata" >&2; exit 2; }
      flags=(--sample-rate "$rate"); lr=$SCRATCH_LR ;;
    *) echo "finetune_demo: unknown arm $arm" >&2; exit 2 ;;
  esac
  out="$WORK/$arm-lr$lr-e$EPOCHS"
  rm -rf "$out"
  start=$(now)
  "$BIN" train --data "$WORK/train.csv" --val-split 0 --test-split 0 "${flags[@]}" --epochs "$EPOCHS" --max-lr "$lr" \
    --seed "$SEED" --threads "$THREADS" --cache "$WORK/cache" --out "$out" --quiet >"$out.log" 2>&1 || {
    echo "finetune_demo: $arm failed, see $out.log" >&2; exit 1; }
  total=$(awk -v a="$start" -v b="$(now)" 'BEGIN { printf "%.0f", b - a }')
  "$BIN" eval --model "$out/model.safetensors" --data "$WORK/test.csv" --threads "$THREADS" --json >"$out.eval.json"
  accuracy=$(grep -o '"accuracy" *: *[0-9.e-]*' "$out.eval.json" | head -1 | grep -o '[0-9.e-]*$')
  trained=$(grep -o '"wall_seconds" *: *[0-9.e-]*' "$out/summary.json" | grep -o '[0-9.e-]*$')
  # the epochs' own seconds (steps, a frozen run's features, evaluation), without writing checkpoints
  computing=$(awk -F, 'NR > 1 { s += $7 } END { printf "%.0f", s }' "$out/metrics.csv")
  printf '| %s | %s | %s | %.1f %% | %.0f s | %s s | %s s |\n' "$arm" "$lr" "$EPOCHS" "$(awk -v a="$accuracy" 'BEGIN { print 100 * a }')" \
    "$trained" "$computing" "$total"
done

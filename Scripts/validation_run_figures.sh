#!/usr/bin/env bash
# The model card's figures from the finished validation run of the default-model recipe (docs/model-card.md):
# trained on folds 1–3 of the 16 kHz copy, validated on fold 4, 100 epochs, seed 0. The shipped model itself
# (trained on folds 1–4) comes from Scripts/ship_default_model.sh.
#
#   Scripts/validation_run_figures.sh VAL_FOLD4_RUN DATA_16K [DEST]
#
# VAL_FOLD4_RUN: the run's --out folder; DATA_16K: the ESC-50 layout it trained on (../shared/esc50/unpack DIR
# 16k). Writes into DEST (default docs/default-model/validation-run, committed: run folders outside the
# repository do not outlive the machine) the run's record (config.json, metrics.csv, summary.json,
# curves.png), `eval` of its last and best epochs on fold 4 (metrics, per-class scores, confusion matrix), the
# float16 export's effect on fold 4's top-1 and the 44.1 vs 16 kHz agreement on fold 4's originals — clips this
# model never trained on. Needs a release build (BIN) and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
. Scripts/run_folder_helpers.sh
val=${1:?VAL_FOLD4_RUN} data=${2:?DATA_16K} dest=${3:-docs/default-model/validation-run}
bin=${BIN:-.build/release/audiospecnet}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
require_finished_run "$val" last.safetensors best.safetensors summary.json metrics.csv config.json
keep_run_record "$val" "$dest"
# Fold 4's clips, for the float16 check.
link_fold "$data" 4 "$work/fold4"
$bin export "$val/last.safetensors" --out "$work/last.safetensors" >/dev/null
$bin export "$val/best.safetensors" --out "$work/best.safetensors" >/dev/null
$bin export "$val/last.safetensors" --out "$work/last-f16.safetensors" --dtype f16 --check "$work/fold4" | tee "$dest/export-last-f16.txt"
# The best epoch, when it is not the last (selected on fold 4 itself: an optimistic figure).
best_epoch=$(grep -o '"best_epoch" *: *[0-9]*' "$val/summary.json" | grep -o '[0-9]*$')
epochs=$(grep -o '"epochs" *: *[0-9]*' "$val/summary.json" | grep -o '[0-9]*$')
which_epochs=last
[ "$best_epoch" = "$epochs" ] || which_epochs="last best"
for which in $which_epochs; do
  $bin eval --model "$work/$which.safetensors" --data "$data" --folds 4 --out "$dest/eval-$which" | tee "$dest/eval-$which.txt"
done
$bin eval --model "$work/last-f16.safetensors" --data "$data" --folds 4 | tee "$dest/eval-last-f16.txt"
# The CI gate, as docs/model-card.md shows it: a threshold below the model's accuracy passes, one above it fails.
: >"$dest/gate.txt"
for gate in 0.70 0.80; do
  $bin eval --model "$work/last.safetensors" --data "$data" --folds 4 --min-accuracy $gate >"$work/gate.out" 2>&1 && status=0 || status=$?
  { echo "\$ audiospecnet eval --model last.safetensors --data DATA --folds 4 --min-accuracy $gate; echo \$?"
    grep -E "FAIL|PASS|min-accuracy" "$work/gate.out" || true; echo "$status"; } | tee -a "$dest/gate.txt"
done
python3 Scripts/rate_agreement.py --binary "$bin" --model "$work/last.safetensors" | tee "$dest/rate-agreement.txt"
echo "wrote the validation run's figures under $dest"

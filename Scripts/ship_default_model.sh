#!/usr/bin/env bash
# Makes the shipped default model from the finished all-folds run of the default-model recipe
# (docs/model-card.md): trained on folds 1–4 of the 16 kHz copy, 100 epochs, seed 0, the last epoch (no fold
# is left to select one on). The card's accuracy figures come from the validation run (Scripts/validation_run_figures.sh).
#
#   Scripts/ship_default_model.sh ALL_FOLDS_RUN DATA_16K [DEST]
#
# Writes the float16 model, named esc50-16k-<date of its last epoch>, into the package's resource folder, the
# float16 check on fold 4's clips, and the 44.1 vs 16 kHz agreement of the shipped model into DEST (default
# docs/default-model/shipped, committed). Needs a release build (BIN) and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
. Scripts/run_folder_helpers.sh
all=${1:?ALL_FOLDS_RUN} data=${2:?DATA_16K} dest=${3:-docs/default-model/shipped}
bin=${BIN:-.build/release/audiospecnet}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
require_finished_run "$all" last.safetensors summary.json metrics.csv config.json
keep_run_record "$all" "$dest"
# Fold 4's clips, for the float16 check.
link_fold "$data" 4 "$work/fold4"
name="esc50-16k-$(date -u -r "$all/last.safetensors" +%Y%m%d)"
target=Sources/AudioSpecNet/Resources/DefaultModel/model.safetensors
$bin export "$all/last.safetensors" --out "$target" --dtype f16 --name "$name" --check "$work/fold4" | tee "$dest/export-f16.txt"
python3 Scripts/rate_agreement.py --binary "$bin" --model "$target" | tee "$dest/rate-agreement.txt"
echo "wrote $target ($name) and its checks under $dest"

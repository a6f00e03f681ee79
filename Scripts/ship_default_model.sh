#!/usr/bin/env bash
# Makes the shipped default model and the model card's figures from the two finished runs of the default-model
# recipe (README "Model card"): the model trained on folds 1–4 (last epoch) and the one trained on folds 1–3
# and validated on fold 4.
#
#   Scripts/ship_default_model.sh ALL_FOLDS_RUN VAL_FOLD4_RUN DATA_16K [OUT]
#
# ALL_FOLDS_RUN / VAL_FOLD4_RUN: the runs' --out folders; DATA_16K: the ESC-50 layout they trained on
# (../shared/esc50/unpack DIR 16k). Writes the float16 model into the package's resource folder and the
# figures (export checks, eval of the validation model on fold 4, 44.1 vs 16 kHz agreement) under OUT
# (default /var/tmp/audiospecnet-ship). Needs a release build and python3 (rate_agreement.py).
set -euo pipefail
cd "$(dirname "$0")/.."
all=${1:?ALL_FOLDS_RUN} val=${2:?VAL_FOLD4_RUN} data=${3:?DATA_16K} out=${4:-/var/tmp/audiospecnet-ship}
bin=.build/release/audiospecnet
mkdir -p "$out/fold4"
for f in "$all/last.safetensors" "$val/last.safetensors" "$val/best.safetensors" "$val/summary.json" "$all/summary.json"; do
  [ -f "$f" ] || { echo "Error: $f is missing: is the run finished?" >&2; exit 2; }
done
# Fold 4's clips, for the float16 checks.
awk -F, 'NR > 1 && $2 == 4 { print $1 }' "$data/meta/esc50.csv" | while read -r name; do
  for ext in wav flac; do [ -f "$data/audio/${name%.wav}.$ext" ] && ln -sf "$(realpath "$data/audio/${name%.wav}.$ext")" "$out/fold4/"; done
done
name="esc50-16k-$(date -u -r "$all/last.safetensors" +%Y%m%d)"
target=Sources/AudioSpecNet/Resources/DefaultModel/model.safetensors
$bin export "$all/last.safetensors" --out "$target" --dtype f16 --name "$name" --check "$out/fold4" | tee "$out/export-shipped.txt"
$bin export "$val/last.safetensors" --out "$out/val-last-f16.safetensors" --dtype f16 --check "$out/fold4" | tee "$out/export-val-last.txt"
$bin export "$val/last.safetensors" --out "$out/val-last.safetensors" | tee -a "$out/export-val-last.txt"
$bin export "$val/best.safetensors" --out "$out/val-best.safetensors" | tee "$out/export-val-best.txt"
for which in last best; do
  $bin eval --model "$out/val-$which.safetensors" --data "$data" --folds 4 --out "$out/eval-val-$which" | tee "$out/eval-val-$which.txt"
done
$bin eval --model "$out/val-last-f16.safetensors" --data "$data" --folds 4 | tee "$out/eval-val-last-f16.txt"
python3 Scripts/rate_agreement.py --model "$target" | tee "$out/rate-agreement.txt"
echo "wrote $target ($name) and the figures under $out"

#!/usr/bin/env bash
# One row of docs/accuracy.md from a finished run: fold-4 top-1/top-5/macro-F1 of its final epoch (last.safetensors:
# model.safetensors is the epoch that scored best on fold 4, a selection the protocol forbids), the same
# clips under the standard perturbations, TTA (5 views over ±1 s, a fixed scheme, not chosen on fold 4), and the
# run's wall time and rate. Keeps the run's record under docs/accuracy/NAME/.
#
#   BIN=/var/tmp/audiospecnet-runs/bin/audiospecnet Scripts/accuracy_row.sh RUN DATA NAME
#   MODEL=model.safetensors …   for --average-last runs, whose model is the average of fixed epochs (no selection)
#   BASELINE=base25n-s0 …   also compares the final epochs clip by clip with that row's (McNemar, compare.txt)
set -euo pipefail
cd "$(dirname "$0")/.."
. Scripts/run_folder_helpers.sh
run=${1:?usage: accuracy_row.sh RUN DATA NAME} data=${2:?DATA} name=${3:?NAME}
bin=${BIN:-.build/release/audiospecnet}
threads=${THREADS:-2}
model=${MODEL:-last.safetensors}
require_finished_run "$run" "$model" summary.json metrics.csv config.json
dest=docs/accuracy/$name
keep_run_record "$run" "$dest"
"$bin" eval --model "$run/$model" --data "$data" --folds 4 --threads "$threads" --out "$dest/eval" \
  --perturb=gain:-20 --perturb=peak:-1 --perturb noise:20 --perturb lowpass:4000 --perturb bandpass:300-3400 --perturb mp3:32 > "$dest/eval.txt"
"$bin" eval --model "$run/$model" --data "$data" --folds 4 --threads "$threads" --tta 5 --tta-shift 1 > "$dest/eval-tta5.txt"
if [ -n "${BASELINE:-}" ]; then
  "$bin" compare "$dest/eval" "docs/accuracy/$BASELINE/eval" > "$dest/compare-$BASELINE.txt"
  cat "$dest/compare-$BASELINE.txt"
fi
python3 - "$dest" "$run" <<'PY'
import csv, json, sys
dest, run = sys.argv[1], sys.argv[2]
rows = {r["input"]: r for r in csv.DictReader(open(f"{dest}/eval/robustness.csv"))}
summary = json.load(open(f"{run}/summary.json"))
tta = [l for l in open(f"{dest}/eval-tta5.txt") if l.startswith("accuracy")][0].split()[1]
pct = lambda x: f"{100 * float(x):.1f} %"
clean = rows["clean"]
wall = summary["wall_seconds"]
print(f"top-1 {pct(clean['accuracy'])} | top-5 {pct(clean['top5_accuracy'])} | macro-F1 {float(clean['macro_f1']):.3f} | "
      f"TTA 5 {pct(tta)} | wall {int(wall // 3600)} h {int(wall % 3600 // 60)} min | {summary['samples_per_s']:.1f} samples/s")
print("robustness: " + ", ".join(f"{k} {pct(v['accuracy'])}" for k, v in rows.items()))
PY

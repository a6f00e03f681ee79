#!/usr/bin/env bash
# Measures the test-time view schemes (`--tta-scheme roll|pad|crop`, K views over ±S seconds) on a validation
# fold, where the choice may be made (docs/accuracy.md, "Test-time views"): one `eval --out` per setting, then
# each paired with the plain model's predictions (`compare`, McNemar). Prints one table row per setting and keeps
# every eval under OUT.
#
#   BIN=…/audiospecnet Scripts/tta_schemes.sh MODEL DATA FOLD OUT
#   VIEWS="3 5" SHIFTS="0.5 1" …   the K and S to try (defaults shown)
set -euo pipefail
model=${1:?usage: tta_schemes.sh MODEL DATA FOLD OUT} data=${2:?DATA} fold=${3:?FOLD} out=${4:?OUT}
bin=${BIN:-.build/release/audiospecnet}
threads=${THREADS:-2}
[ -f "$model" ] || { echo "tta_schemes.sh: $model: no such model file" >&2; exit 2; }
mkdir -p "$out"
evaluate() {  # NAME [flags…]
  local name=$1; shift
  [ -f "$out/$name/predictions.csv" ] || "$bin" eval --model "$model" --data "$data" --folds "$fold" --threads "$threads" --out "$out/$name" "$@" > "$out/$name.txt"
}
accuracy() { awk '$1 == "accuracy" { print $2; exit }' "$out/$1.txt"; }
evaluate none
echo "| scheme | views | shift | top-1 | against none | only TTA / only none | McNemar p |"
echo "|---|---|---|---|---|---|---|"
printf '| none | 1 | – | %.2f %% | | | |\n' "$(awk -v a="$(accuracy none)" 'BEGIN { print 100 * a }')"
for scheme in roll pad crop; do
  for k in ${VIEWS:-3 5}; do
    for s in ${SHIFTS:-0.5 1}; do
      name=$scheme-k$k-s$s
      evaluate "$name" --tta "$k" --tta-shift "$s" --tta-scheme "$scheme"
      "$bin" compare "$out/$name" "$out/none" --json > "$out/$name-vs-none.json"
      python3 - "$out/$name-vs-none.json" "$scheme" "$k" "$s" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
print(f"| {sys.argv[2]} | {sys.argv[3]} | ±{sys.argv[4]} s | {100 * c['accuracy_a']:.2f} % | "
      f"{100 * (c['accuracy_a'] - c['accuracy_b']):+.2f} | {c['only_a']} / {c['only_b']} | {c['mcnemar_exact_p']:.3g} |")
PY
    done
  done
done

# Sourced by validation_run_figures.sh and ship_default_model.sh: what both do with a finished run's folder.

# require_finished_run RUN FILE...: each FILE must exist in RUN, else one line and exit 2.
require_finished_run() {
  local run=$1 f
  shift
  for f in "$@"; do
    [ -f "$run/$f" ] || { echo "Error: $run/$f is missing: is the run finished?" >&2; exit 2; }
  done
}

# keep_run_record RUN DEST: the run's settings, curves and summary, which outlive the run folder in DEST.
keep_run_record() {
  mkdir -p "$2"
  cp "$1/config.json" "$1/metrics.csv" "$1/summary.json" "$1/curves.png" "$2/"
}

# link_fold DATA FOLD DEST: symbolic links in DEST to the clips of an ESC-50 fold (stored as .wav or .flac).
link_fold() {
  local data=$1 fold=$2 dest=$3 name ext
  mkdir -p "$dest"
  awk -F, -v fold="$fold" 'NR > 1 && $2 == fold { print $1 }' "$data/meta/esc50.csv" | while read -r name; do
    for ext in wav flac; do
      if [ -f "$data/audio/${name%.wav}.$ext" ]; then ln -sf "$(realpath "$data/audio/${name%.wav}.$ext")" "$dest/"; fi
    done
  done
}

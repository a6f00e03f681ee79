#!/usr/bin/env bash
# Runs docs/accuracy/queue.txt's accuracy runs, SLOTS at a time, in its order, and returns when all are finished:
# the first thing a session starts (docs/accuracy.md, "The queue"). Per line `NAME BINARY FLAGS…` (# comments):
# a run with summary.json is finished and skipped; one already training (a process with `--out RUNS/NAME`) is
# left alone; a cut one (last.safetensors, no summary.json) continues with --resume, bit for bit; a folder with
# neither (cut before its first checkpoint) is kept as NAME.cut-N and the run starts over. Each run trains with
# `--out RUNS/NAME --threads 1` and logs to RUNS/NAME.log. $R in FLAGS is RUNS.
#
#   nohup Scripts/accuracy_queue.sh [QUEUE] > /var/tmp/audiospecnet-runs/queue.log 2>&1 &
#   RUNS=/var/tmp/audiospecnet-runs SLOTS=2 …    the defaults
set -euo pipefail
queue=$(realpath "${1:-$(dirname "$0")/../docs/accuracy/queue.txt}")
R=${RUNS:-/var/tmp/audiospecnet-runs}
slots=${SLOTS:-2}
[ -f "$queue" ] || { echo "accuracy_queue.sh: $queue: no such queue file" >&2; exit 2; }
cd "$R"

running() { pgrep -f -- "--out $R/$1( |\$)" > /dev/null; }
busy() { pgrep -fc -- "train .*--out $R/" || true; }

# start NAME BINARY FLAGS…: one run in the background, resumed or fresh as its folder says.
start() {
  local name=$1 bin=$2 resume="" n=1
  shift 2
  [ -x "$bin" ] || bin=$R/bin/audiospecnet-$bin
  [ -x "$bin" ] || { echo "$(date +%T) $name: no binary $bin" >&2; return 1; }
  if [ -f "$R/$name/last.safetensors" ]; then
    resume=--resume
  elif [ -d "$R/$name" ]; then
    while [ -e "$R/$name.cut-$n" ]; do n=$((n + 1)); done
    mv "$R/$name" "$R/$name.cut-$n"
    [ ! -f "$R/$name.log" ] || mv "$R/$name.log" "$R/$name.cut-$n.log"
  fi
  echo "$(date +%T) $name: ${resume:-fresh start} ($bin)"
  nohup "$bin" train "$@" --threads 1 --out "$R/$name" $resume >> "$R/$name.log" 2>&1 &
}

declare -A started=()
while true; do
  pending=0
  while read -r name bin flags; do
    case "$name" in ''|'#'*) continue ;; esac
    [ -f "$R/$name/summary.json" ] && continue
    running "$name" && { pending=$((pending + 1)); continue; }
    if [ -n "${started[$name]:-}" ]; then  # started here and gone without a summary: not again
      [ "${started[$name]}" = reported ] || echo "$(date +%T) $name stopped unfinished: see $R/$name.log" >&2
      started[$name]=reported
      continue
    fi
    pending=$((pending + 1))
    [ "$(busy)" -lt "$slots" ] || continue
    # shellcheck disable=SC2086  # FLAGS are words, as the queue writes them
    start "$name" "$bin" ${flags//'$R'/$R} && started[$name]=yes || started[$name]=reported
    sleep 5
  done < "$queue"
  [ "$pending" -gt 0 ] || { echo "$(date +%T) nothing left to run in $queue"; exit 0; }
  sleep 60
done

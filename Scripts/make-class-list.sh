#!/usr/bin/env bash
# Derives esc50-meta/classes.csv (target,category; one row per class, by target) from the canonical
# esc50.csv, so the class list is never typed by hand. usage: Scripts/make-class-list.sh
set -euo pipefail
cd "$(dirname "$0")/.."
{
  echo "target,category"
  tail -n +2 esc50-meta/esc50.csv | awk -F, '{ print $3 "," $4 }' | sort -t, -k1,1n -u
} > esc50-meta/classes.csv
echo "$(($(wc -l < esc50-meta/classes.csv) - 1)) classes written to esc50-meta/classes.csv"

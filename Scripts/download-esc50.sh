#!/usr/bin/env bash
# Downloads ESC-50 (K. J. Piczak, 2015; CC BY-NC 3.0) from its GitHub archive and unpacks it into DIR, giving
# DIR/audio/*.wav (2 000 clips, 44.1 kHz mono) and DIR/meta/esc50.csv, the layout `audiospecnet train` reads.
# usage: Scripts/download-esc50.sh DIR
set -euo pipefail
dest=${1:?usage: Scripts/download-esc50.sh DIR}
url=https://github.com/karolpiczak/ESC-50/archive/refs/heads/master.zip

mkdir -p "$dest"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "downloading $url (about 600 MB)…"
curl -fL --retry 3 -o "$tmp/esc50.zip" "$url"
unzip -q "$tmp/esc50.zip" -d "$tmp"
rm -rf "$dest/audio" "$dest/meta"
mv "$tmp/ESC-50-master/audio" "$tmp/ESC-50-master/meta" "$dest/"

clips=$(find "$dest/audio" -name '*.wav' | wc -l)
rows=$(($(wc -l < "$dest/meta/esc50.csv") - 1))
if [ "$clips" -ne 2000 ] || [ "$rows" -ne 2000 ]; then
  echo "download-esc50: expected 2000 clips and 2000 metadata rows, found $clips and $rows" >&2
  exit 1
fi
echo "ESC-50 ready in $dest: $clips clips, metadata in $dest/meta/esc50.csv (licence: CC BY-NC 3.0)"

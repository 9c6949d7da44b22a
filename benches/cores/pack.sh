#!/usr/bin/env bash
# Packs what benches/cores/scaling.py needs on a many-core machine into one folder that git ignores:
# a stripped release binary and the tables, gzipped (about 13 MB together).
#
#   benches/cores/pack.sh [DIR]        (default: .cores, in the repo root)
#
#   DIR/automl.gz           target/release/automl, built here (--locked), stripped
#   DIR/fit_threads.gz      examples/fit_threads (one fit timed on 1, 2, ... threads), stripped
#   DIR/wage.csv.gz         datasets/wage.csv
#   DIR/synth20000.csv.gz   examples/synth 20000 rows, seed 42
#   DIR/birthdays.csv.gz    ../shared/datasets/birthdays.csv (left out, with a note, without ../shared)
#
# DIR is added to .git/info/exclude, so a tool that copies the working tree (and takes ignored
# paths only when named) carries it when told to. Then, on that machine, from the repo root:
#
#   python3 benches/cores/scaling.py --pack .cores --out "$OUT"
set -euo pipefail

if [[ ${1:-} == -h || ${1:-} == --help ]]; then
  sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "${BASH_SOURCE[0]}"
  exit 0
fi

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
DIR=${1:-.cores}
case $DIR in
  /*) echo "pack.sh: give DIR relative to the repo root, not $DIR" >&2; exit 2 ;;
esac
cd "$ROOT"
command -v strip >/dev/null || { echo "pack.sh: strip (binutils) is needed" >&2; exit 1; }

cargo build --release --locked --bin automl --example synth --example fit_threads >&2
TARGET=$(cargo metadata --format-version 1 --no-deps |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')

mkdir -p "$DIR"
# Written beside, then renamed: a pack is whole or not there.
strip -o "$DIR/automl.part" "$TARGET/release/automl"
gzip -9 -c "$DIR/automl.part" >"$DIR/automl.gz.part" && rm "$DIR/automl.part"
mv "$DIR/automl.gz.part" "$DIR/automl.gz"
strip -o "$DIR/fit_threads.part" "$TARGET/release/examples/fit_threads"
gzip -9 -c "$DIR/fit_threads.part" >"$DIR/fit_threads.gz.part" && rm "$DIR/fit_threads.part"
mv "$DIR/fit_threads.gz.part" "$DIR/fit_threads.gz"
gzip -9 -c datasets/wage.csv >"$DIR/wage.csv.gz.part" && mv "$DIR/wage.csv.gz.part" "$DIR/wage.csv.gz"
SYNTH=$(mktemp --suffix=.csv)
trap 'rm -f "$SYNTH"' EXIT
"$TARGET/release/examples/synth" 20000 "$SYNTH" 42 >/dev/null
gzip -9 -c "$SYNTH" >"$DIR/synth20000.csv.gz.part" && mv "$DIR/synth20000.csv.gz.part" "$DIR/synth20000.csv.gz"
if [[ -f ../shared/datasets/birthdays.csv ]]; then
  gzip -9 -c ../shared/datasets/birthdays.csv >"$DIR/birthdays.csv.gz.part"
  mv "$DIR/birthdays.csv.gz.part" "$DIR/birthdays.csv.gz"
else
  echo "pack.sh: ../shared/datasets/birthdays.csv not found: the pack has no birthdays" >&2
fi

EXCLUDE=$(git rev-parse --git-path info/exclude)
mkdir -p "$(dirname "$EXCLUDE")"
grep -qxF "/$DIR/" "$EXCLUDE" 2>/dev/null || echo "/$DIR/" >>"$EXCLUDE"
du -sh "$DIR" >&2
echo "then, there: python3 benches/cores/scaling.py --pack $DIR --out \"\$OUT\"" >&2

#!/usr/bin/env bash
# Regenerates docs/screenshots/: the Analysis, Layout, Compare and Library views at the
# smallest supported window (900x600), 1366x768 and 1920x1080, each from a real window under
# Xvfb (`platefit --screenshot`). Compare shows two experiments of the sample study; Library
# shows the sample study in a fresh library file with its study summary (and, at 1366x768,
# the Levey-Jennings chart). Look at every picture afterwards: nothing here checks them.
#
#   bash scripts/screenshots.sh [path/to/platefit]   (default: target/debug/platefit)
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${1:-${CARGO_TARGET_DIR:-target}/debug/platefit}"
test -x "$bin" || { echo "build first: cargo build (no $bin)" >&2; exit 1; }
command -v xvfb-run >/dev/null || { echo "install xvfb and xauth" >&2; exit 1; }
out=docs/screenshots
mkdir -p "$out"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
# Own data folder: no recent files, autosave or remembered library of the user's.
export XDG_DATA_HOME="$tmp/data"

sample=sample_plates/flumatinib_K562_72h.csv
study=sample_plates/study
lib="$tmp/lab.sqlite"
add() { "$bin" library --library "$lib" add "$study/$1" --quiet "${@:2}"; }
add flumatinib_exp1_p12.csv --meta date=2026-09-07 --meta passage=12 --meta operator=AK --meta tag=resistance
add flumatinib_exp2_p19.csv --meta date=2026-09-21 --meta passage=19 --meta operator=AK --meta tag=resistance
add flumatinib_exp3_p27.csv --meta date=2026-10-05 --meta passage=27 --meta operator=MB --meta tag=resistance
add flumatinib_ivermectin_reversal_p30.csv --meta date=2026-10-19 --meta passage=30 --meta operator=MB --meta tag=reversal

shot() { # size view file... (PLATEFIT_TAB picks the view)
  local size="$1" view="$2"
  shift 2
  PLATEFIT_WINDOW="$size" PLATEFIT_TAB="$view" xvfb-run -a -s "-screen 0 ${size}x24" \
    "$bin" --screenshot "$out/$view-$size.png" "$@" 2>&1 | grep -v '^$' || true
}
for size in 900x600 1366x768 1920x1080; do
  shot "$size" analysis "$sample"
  shot "$size" layout "$sample"
  shot "$size" compare "$study/flumatinib_exp1_p12.csv" "$study/flumatinib_exp2_p19.csv"
  pane=1
  [ "$size" = 1366x768 ] && pane=control
  PLATEFIT_LIBRARY="$lib" PLATEFIT_STUDY="$pane" shot "$size" library
done
ls -l "$out"

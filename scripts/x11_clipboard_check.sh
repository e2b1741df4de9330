#!/usr/bin/env bash
# The real clipboard, not egui's output: starts platefit on the sample in a real window
# under Xvfb, presses Ctrl+Shift+C with xdotool (the X server's own key events), and reads
# the X11 CLIPBOARD selection with xclip, as another program pasting would. The text must be
# the results table (tab-separated, a header and one row per curve).
# Usage: scripts/x11_clipboard_check.sh [path/to/platefit]
set -euo pipefail
cd "$(dirname "$0")/.."
bin="$(realpath "${1:-${CARGO_TARGET_DIR:-target}/debug/platefit}")"
for tool in xvfb-run xdotool xclip; do
  command -v "$tool" >/dev/null || { echo "x11_clipboard_check: $tool is missing" >&2; exit 1; }
done
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export XDG_DATA_HOME="$work/data"   # no autosave offer from another session
cat > "$work/run.sh" <<'INNER'
set -euo pipefail
bin="$1"; work="$2"
"$bin" sample_plates/flumatinib_K562_72h.csv >"$work/app.log" 2>&1 &
app=$!
trap 'kill $app 2>/dev/null || true' EXIT
window="$(timeout 30 xdotool search --sync --name '^platefit' | head -n 1)"
sleep 3   # the analysis of the sample finishes well within this
xdotool windowfocus --sync "$window"
xdotool mousemove --window "$window" 400 300
xdotool key --clearmodifiers ctrl+shift+c
for _ in $(seq 1 50); do
  if xclip -o -selection clipboard >"$work/clip.txt" 2>/dev/null && [ -s "$work/clip.txt" ]; then
    break
  fi
  sleep 0.2
done
INNER
xvfb-run -a -s "-screen 0 1400x900x24" bash "$work/run.sh" "$bin" "$work"
clip="$work/clip.txt"
test -s "$clip" || { echo "the X11 clipboard is empty after Ctrl+Shift+C" >&2; cat "$work/app.log" >&2; exit 1; }
head -n 1 "$clip" | grep -q $'\t' || { echo "the clipboard text is not tab-separated:" >&2; cat "$clip" >&2; exit 1; }
head -n 1 "$clip" | grep -q 'IC50' || { echo "no IC50 column in the clipboard text:" >&2; cat "$clip" >&2; exit 1; }
grep -q $'\tK562 · flumatinib\t' "$clip" || { echo "no K562 row in the clipboard text:" >&2; cat "$clip" >&2; exit 1; }
grep -q $'\tK562/FLM · flumatinib\t' "$clip" || { echo "no K562/FLM row in the clipboard text:" >&2; cat "$clip" >&2; exit 1; }
echo "X11 clipboard holds the results table ($(wc -l <"$clip") lines) after Ctrl+Shift+C"

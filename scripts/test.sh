#!/usr/bin/env bash
# Runs platefit's whole test suite. On a fresh Debian machine it first installs the few
# system tools the tests call (pdftotext/pdftoppm for the report tests, Xvfb for the GUI
# window check); everything else is built by cargo.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v pdftotext >/dev/null 2>&1 || need+=(poppler-utils)
command -v xvfb-run >/dev/null 2>&1 || need+=(xvfb xauth)
command -v xdotool >/dev/null 2>&1 || need+=(xdotool)
command -v xclip >/dev/null 2>&1 || need+=(xclip)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >/dev/null
    apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null
  else
    echo "scripts/test.sh: please install: ${need[*]} (Debian/Ubuntu package names)" >&2
    exit 1
  fi
fi

source scripts/dev_null.sh
ensure_dev_null
cargo test --locked
ensure_dev_null
# The real window: start the app under Xvfb on the sample, let it settle, save a screenshot.
# The binary is the one `cargo test` just built for the CLI tests (a `cargo run` would
# compile the crate once more in another profile).
bin="${CARGO_TARGET_DIR:-target}/debug/platefit"
test -x "$bin"
shot="$(mktemp -d)/platefit-window.png"
xvfb-run -a -s "-screen 0 1400x900x24" "$bin" --screenshot "$shot" sample_plates/flumatinib_K562_72h.csv
test -s "$shot"
echo "window screenshot: $shot"
# The real X11 clipboard: Ctrl+Shift+C in the window, read back with xclip.
bash scripts/x11_clipboard_check.sh "$bin"

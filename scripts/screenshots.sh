#!/usr/bin/env bash
# Render the HTML reports (model card, drift report, quality report) in headless Chromium and keep the
# PNGs in docs/screenshots/. Not part of `make test`: run it by hand after changing a report's HTML.
#
#   scripts/screenshots.sh                  # runs `lightship demo` (a few minutes), then renders what it wrote
#   REPORTS=DIR scripts/screenshots.sh      # renders DIR/{model-card,drift-report,quality-report}.html instead
#                                           # (a demo workspace's reports/ folder: lightship demo --workspace W)
#
# Chromium: Debian's package (`sudo apt-get install -y chromium`), or set CHROMIUM to a binary. Without
# root, `apt-get download` chromium and the dependencies this machine lacks, `dpkg -x` each into a folder,
# and point CHROMIUM at a wrapper that sets LD_LIBRARY_PATH to the folder's library directories
# (docs/checklist.md has the steps).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=docs/screenshots
CHROMIUM=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
if [ -z "$CHROMIUM" ]; then
  echo "error: no chromium on PATH: sudo apt-get install -y chromium, or set CHROMIUM=/path/to/chromium" >&2
  exit 1
fi
if [ -z "${REPORTS:-}" ]; then
  WORK=$(mktemp -d)
  echo "running lightship demo in $WORK (log: $WORK/demo.log)"
  .venv/bin/lightship demo --workspace "$WORK/demo" > "$WORK/demo.log" 2>&1
  REPORTS="$WORK/demo/reports"
fi
mkdir -p "$OUT"
# page:height — tall enough for the whole page at 1200 px wide (the drift report has a card per feature).
for spec in model-card:2200 drift-report:3600 quality-report:800; do
  page=${spec%%:*}; height=${spec##*:}
  "$CHROMIUM" --headless --no-sandbox --disable-gpu --hide-scrollbars --force-device-scale-factor=1 \
    --window-size=1200,"$height" --screenshot="$OUT/$page.png" "file://$(realpath "$REPORTS/$page.html")" 2>/dev/null
  echo "$OUT/$page.png"
done

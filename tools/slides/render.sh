#!/usr/bin/env bash
# Renders the workshop decks (slides/NN-*.md) with Marp into slides/out/:
#   NAME.html  one self-contained file; press P in a browser for the presenter view
#   NAME.pdf   with the speaker notes as PDF notes
#   png/NAME.001.png ...  one image per slide, with --png
#
# usage: tools/slides/render.sh [--png] [--no-pdf] [slides/NN-deck.md ...]
#        (make slides runs it with no arguments: every deck, HTML and PDF)
#
# Needs Node.js 18+ with npm (the first run installs tools/slides/node_modules from
# package-lock.json; after that it works offline) and Chrome, Chromium or Edge:
# found on the usual paths, or named by CHROME_PATH=/path/to/chrome.
# Mermaid diagrams are drawn once with the mermaid bundle in node_modules and kept
# in slides/out/.mermaid/: no CDN is needed, at render time or when presenting.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"

png=0
pdf=1
decks=()
for arg in "$@"; do
  case "$arg" in
    --png) png=1 ;;
    --no-pdf) pdf=0 ;;
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    -*) echo "render.sh: unknown option $arg (try --help)" >&2; exit 2 ;;
    *) decks+=("$arg") ;;
  esac
done
if [ ${#decks[@]} -eq 0 ]; then
  shopt -s nullglob
  decks=(slides/[0-9][0-9]-*.md)
  shopt -u nullglob
fi
if [ ${#decks[@]} -eq 0 ]; then
  echo "render.sh: no decks in slides/" >&2
  exit 1
fi

fail() { echo "render.sh: $*" >&2; exit 1; }

# Node.js and the pinned tools.
command -v node >/dev/null 2>&1 || fail "Node.js 18 or newer is needed (https://nodejs.org, or your package manager)"
major="$(node -p 'process.versions.node.split(".")[0]')"
[ "$major" -ge 18 ] || fail "Node.js 18 or newer is needed, this is $(node --version)"
if [ ! -f "$here/node_modules/.package-lock.json" ] || [ "$here/package-lock.json" -nt "$here/node_modules/.package-lock.json" ]; then
  command -v npm >/dev/null 2>&1 || fail "npm is needed to install Marp once (it comes with Node.js)"
  echo "render.sh: installing Marp and Mermaid into tools/slides/node_modules (once)"
  (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
fi

# A Chrome-family browser, which Marp drives for PDF and PNG and Mermaid draws in.
if [ -z "${CHROME_PATH:-}" ]; then
  for candidate in chromium chromium-browser google-chrome google-chrome-stable microsoft-edge \
    "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome" \
    "/Applications/Chromium.app/Contents/MacOS/Chromium" \
    "/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge"; do
    if found="$(command -v "$candidate" 2>/dev/null)"; then
      export CHROME_PATH="$found"
      break
    fi
  done
fi
[ -n "${CHROME_PATH:-}" ] || fail "no Chrome, Chromium or Edge found: install one (Debian: apt-get install chromium; under WSL, a Linux build inside WSL) or set CHROME_PATH"
[ -x "$CHROME_PATH" ] || fail "CHROME_PATH=$CHROME_PATH is not an executable"

mkdir -p slides/out
node "$here/mermaid.js" "${decks[@]}"

marp=("$here/node_modules/.bin/marp" --config-file "$here/marp.config.js" --no-stdin)
for deck in "${decks[@]}"; do
  name="$(basename "$deck" .md)"
  "${marp[@]}" "$deck" -o "slides/out/$name.html"
  if [ "$pdf" = 1 ]; then
    "${marp[@]}" --pdf "$deck" -o "slides/out/$name.pdf"
  fi
  if [ "$png" = 1 ]; then
    mkdir -p slides/out/png
    rm -f "slides/out/png/$name".*.png
    "${marp[@]}" --images png "$deck" -o "slides/out/png/$name.png"
  fi
  echo "render.sh: $deck -> slides/out/$name.html$([ "$pdf" = 1 ] && echo " .pdf")$([ "$png" = 1 ] && echo " png/$name.*.png")"
done

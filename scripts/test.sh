#!/usr/bin/env bash
# The project's one test command (`npm test`): format + lint, type-check, unit and integration
# tests. System tools the tests drive (Mosquitto, ffmpeg, Chromium, ...) are checked first, with the
# exact apt-get line to install what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
need() { command -v "$1" >/dev/null 2>&1 || missing+=("$2"); }
# Read the cache once: `ldconfig -p | grep -q` under pipefail fails at random (grep exits early, ldconfig gets SIGPIPE).
libs=$(ldconfig -p 2>/dev/null || true)
needlib() { grep -q "$1" <<<"$libs" || missing+=("$2"); }
need ffprobe ffmpeg
need mosquitto mosquitto
need chromium chromium
need cc gcc
need dtc device-tree-compiler
need edid-decode edid-decode
need openssl openssl
need systemd-analyze systemd
# Screenshots and the panel tests render text: one known font, whatever else the machine has.
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || missing+=(fonts-dejavu-core)
needlib libturbojpeg.so.0 libturbojpeg0
needlib libyuv.so.0 libyuv0
needlib libxkbcommon.so.0 libxkbcommon0
[ -d /usr/share/X11/xkb/symbols ] || missing+=(xkb-data)
# Dead keys in the layout proof go through the en_US.UTF-8 Compose table.
[ -f /usr/share/X11/locale/en_US.UTF-8/Compose ] || missing+=(libx11-data)
[ -f /usr/include/linux/videodev2.h ] || missing+=(linux-libc-dev)
if [ ${#missing[@]} -gt 0 ]; then
  mkdir -p .cache
  pkgs=$(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')
  # A fresh machine (CI, a new contributor) has none of them: install them when we may (root, or
  # sudo that needs no password), saying what; otherwise stop with the exact command.
  as=()
  [ "$(id -u)" -eq 0 ] || as=(sudo -n)
  if command -v apt-get >/dev/null 2>&1 && "${as[@]}" true 2>/dev/null; then
    echo "npm test: installing the system packages the tests drive: $pkgs"
    export DEBIAN_FRONTEND=noninteractive
    if ! { "${as[@]}" apt-get update -q && "${as[@]}" apt-get install -y -q --no-install-recommends $pkgs; } >.cache/apt.log 2>&1; then
      tail -20 .cache/apt.log >&2
      echo "npm test: installing failed (log above). Install them with:" >&2
      echo "  sudo apt-get update && sudo apt-get install -y $pkgs" >&2
      exit 1
    fi
  else
    echo "npm test: missing system packages. Install them with:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y $pkgs" >&2
    exit 1
  fi
fi

t0=$(date +%s)
echo "== lint (biome)"
npx biome check .
echo "== type-check (tsc)"
npx tsc --noEmit
echo "== build"
npm run build --silent
echo "== tests (vitest)"
status=0
# Daemons started by tests keep their output here; with vitest's own output it is scanned for the
# canary secrets (test/helpers/secrets.ts) below.
export KVMR0CK_TEST_OUTPUT=.cache/test-output
rm -rf "$KVMR0CK_TEST_OUTPUT" && mkdir -p .cache
set +e
npx vitest run --reporter=default --reporter=json --outputFile.json=.cache/vitest.json "$@" 2>&1 | tee .cache/vitest.out
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1
set -e
echo "== secrets in test output"
node scripts/scan-secrets.mjs .cache/vitest.out .cache/vitest.json "$KVMR0CK_TEST_OUTPUT" || status=1
echo "== npm test took $(( $(date +%s) - t0 )) s"
# One plain closing line CI can read, whatever the reporter prints above it.
node -e 'const r=JSON.parse(require("fs").readFileSync(".cache/vitest.json","utf8"));console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed`+(r.numPendingTests?`, ${r.numPendingTests} skipped`:""))' || true
exit "$status"

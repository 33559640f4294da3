#!/usr/bin/env bash
# Installs kvmr0ck on Debian, Armbian or Raspberry Pi OS: system packages, the built daemon in
# /opt/kvmr0ck, the config (never overwritten), a dedicated user, systemd units (gadget first), the
# udev rule for /dev/hidg*, and the overlay for the detected board. Run it again at will: it
# changes only what differs.
#   scripts/install.sh [--dry-run] [--root DIR] [--board auto|radxa-zero3|rpi|none]
# --root installs into a directory tree instead of / (packages, users and services are then only
# reported); --dry-run prints what it would do and changes nothing.
set -euo pipefail
ROOT=/
DRY=0
BOARD=auto
while [ $# -gt 0 ]; do
  case "$1" in
    --dry-run) DRY=1 ;;
    --root) ROOT=$2; shift ;;
    --board) BOARD=$2; shift ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
SRC=$(cd "$(dirname "$0")/.." && pwd)
R=${ROOT%/}
changes=0
say() { echo "$*"; }
act() { # act "description" command...
  changes=$((changes + 1))
  if [ "$DRY" = 1 ]; then say "would: $1"; else say "$1"; shift; "$@"; fi
}
system() { [ "$R" = "" ] && [ "$DRY" = 0 ]; }

[ -f "$SRC/dist/src/cli.js" ] || { echo "install.sh: build first: npm ci && npm run build" >&2; exit 1; }

# 1. System packages (the native libraries of the hot paths; Node if missing).
missing=()
for p in libturbojpeg0 libyuv0 xkb-data; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
command -v node >/dev/null 2>&1 || missing+=(nodejs)
if [ ${#missing[@]} -gt 0 ]; then
  if system; then act "install packages: ${missing[*]}" apt-get install -y "${missing[@]}"; else say "would install packages: ${missing[*]}"; fi
fi

# 2. The daemon, copied only when it differs. The gadget unit runs it as root, so the code is
#    root's and nobody else may write it (cp -a would keep the building user as its owner).
as_root() { [ "$(id -u)" = 0 ]; }
install_tree() { # src dst
  if [ -e "$2" ] && diff -rq "$1" "$2" >/dev/null 2>&1; then
    if as_root && [ -n "$(find "$2" ! -user 0 -print -quit 2>/dev/null)" ]; then
      act "give $2 to root" chown -R 0:0 "$2"
    fi
    return
  fi
  act "copy $1 -> $2" bash -c "mkdir -p '$(dirname "$2")' && rm -rf '$2' && cp -R '$1' '$2' && chmod -R u+rwX,go+rX,go-w '$2' && { [ \$(id -u) != 0 ] || chown -R 0:0 '$2'; }"
}
for d in dist config overlays; do install_tree "$SRC/$d" "$R/opt/kvmr0ck/$d"; done
install_tree "$SRC/src/web" "$R/opt/kvmr0ck/src/web"
for f in package.json package-lock.json; do
  cmp -s "$SRC/$f" "$R/opt/kvmr0ck/$f" 2>/dev/null || act "copy $f" install -D -m 0644 "$SRC/$f" "$R/opt/kvmr0ck/$f"
done

# Runtime dependencies from the npm registry, into /opt/kvmr0ck (not copied from a dev tree).
if [ ! -d "$R/opt/kvmr0ck/node_modules" ] || ! cmp -s "$SRC/package-lock.json" "$R/opt/kvmr0ck/node_modules/.package-lock.json.installed" 2>/dev/null; then
  if system; then
    act "npm ci --omit=dev in /opt/kvmr0ck" bash -c "cd /opt/kvmr0ck && npm ci --omit=dev && cp package-lock.json node_modules/.package-lock.json.installed"
  else
    say "would run: npm ci --omit=dev in /opt/kvmr0ck"
  fi
fi

# 3. The user, then the config: the user's from the first install on. It may hold tokens and the
#    broker password: root writes it, the kvmr0ck group reads it, nobody else (0640).
if system; then
  id kvmr0ck >/dev/null 2>&1 || act "create user kvmr0ck" useradd --system --user-group --groups video --home-dir /var/lib/kvmr0ck kvmr0ck
else
  id kvmr0ck >/dev/null 2>&1 || say "would create user kvmr0ck (groups: video)"
fi
conf="$R/etc/kvmr0ck/kvmr0ck.yaml"
[ -f "$conf" ] || act "create /etc/kvmr0ck/kvmr0ck.yaml" install -D -m 0640 "$SRC/config/kvmr0ck.yaml" "$conf"
if [ -f "$conf" ] && [ "$(stat -c %a "$conf")" != 640 ]; then act "make $conf mode 0640" chmod 0640 "$conf"; fi
if [ -f "$conf" ] && getent group kvmr0ck >/dev/null 2>&1 && [ "$(stat -c %G "$conf")" != kvmr0ck ]; then
  act "give $conf to group kvmr0ck" chgrp kvmr0ck "$conf"
fi

# 4. Units and the udev rule.
for f in kvmr0ck.service kvmr0ck-gadget.service; do
  cmp -s "$SRC/packaging/$f" "$R/etc/systemd/system/$f" 2>/dev/null || act "install unit $f" install -D -m 0644 "$SRC/packaging/$f" "$R/etc/systemd/system/$f"
done
cmp -s "$SRC/packaging/99-kvmr0ck-hidg.rules" "$R/etc/udev/rules.d/99-kvmr0ck-hidg.rules" 2>/dev/null ||
  act "install udev rule" install -D -m 0644 "$SRC/packaging/99-kvmr0ck-hidg.rules" "$R/etc/udev/rules.d/99-kvmr0ck-hidg.rules"

# 5. The board's overlay.
if [ "$BOARD" = auto ]; then
  # Braces: the redirection's own error (no device tree on a PC) must go to /dev/null too.
  model=$( { tr -d '\0' < "$R/proc/device-tree/model"; } 2>/dev/null || true)
  case "$model" in
    *"Radxa ZERO 3"*) BOARD=radxa-zero3 ;;
    *"Raspberry Pi"*) BOARD=rpi ;;
    *) BOARD=none ;;
  esac
  say "board: ${model:-unknown} ($BOARD)"
fi
case "$BOARD" in
  rpi)
    cfg="$R/boot/firmware/config.txt"
    [ -f "$cfg" ] || cfg="$R/boot/config.txt"
    if ! grep -q 'dtoverlay=dwc2,dr_mode=peripheral' "$cfg" 2>/dev/null; then
      act "add the kvmr0ck lines to $cfg" bash -c "mkdir -p '$(dirname "$cfg")' && { echo; grep -v '^#' '$SRC/overlays/raspberrypi/config.txt' | grep .; } >> '$cfg'"
    fi ;;
  radxa-zero3)
    ov="$SRC/overlays/radxa-zero3/rk3566-usb-otg-peripheral.dts"
    case "$(uname -r)" in *vendor*|*rockchip*|*rk35*) ov="$SRC/overlays/radxa-zero3/rk3566-usb-otg-peripheral-vendor.dts" ;; esac
    if system && command -v armbian-add-overlay >/dev/null; then act "add overlay $(basename "$ov")" armbian-add-overlay "$ov"
    else say "then add the overlay: sudo armbian-add-overlay $ov (see overlays/README.md)"; fi ;;
esac

# 6. Services (on the real system only).
if system; then
  systemctl is-enabled --quiet kvmr0ck kvmr0ck-gadget 2>/dev/null ||
    act "enable services" bash -c 'systemctl daemon-reload && udevadm control --reload && systemctl enable --now kvmr0ck-gadget kvmr0ck'
fi

if [ "$changes" = 0 ]; then say "nothing to change"; else say "$changes change(s)$([ "$DRY" = 1 ] && echo ' (dry run: none made)')"; fi

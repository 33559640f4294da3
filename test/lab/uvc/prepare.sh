#!/usr/bin/env bash
# Host side of the UVC scenario, run by boot.sh before the guest starts (the guest is ~16x slower:
# gcc took 53 s there, sharp's six JPEGs 58 s). Writes into $1, the guest's /lab-results:
# - uvc-dongle: the emulated dongle (uvc-dongle.c), built with the host's gcc (or for arm64);
# - 720-N.jpg, 1080-N.jpg: the frames it plays as MJPEG, made from the repository's desktop
#   frame at three JPEG qualities (one flipped), so that every frame sent has its own hash.
set -euo pipefail
out=$1
cd "$(dirname "$0")/../../.."
# In the arm64 guest (run.sh arm64:uvc) the dongle is an arm64 program: Debian's cross compiler
# (gcc-aarch64-linux-gnu, which .ci/run installs for the arm64 lab's ABI check).
cc=gcc
[ "${LAB_ARCH:-amd64}" != arm64 ] || cc=aarch64-linux-gnu-gcc
"$cc" -O2 -Wall -o "$out/uvc-dongle" test/lab/uvc/uvc-dongle.c
node -e "
const sharp = require('sharp');
(async () => {
  for (const [w, h] of [[1280, 720], [1920, 1080]])
    for (const [i, q] of [[0, 60], [1, 70], [2, 80]])
      await sharp('test/fixtures/frames/desktop_1280x720.png').resize(w, h).flop(i === 1)
        .jpeg({ quality: q }).toFile('$out/' + h + '-' + i + '.jpg');
})().catch((e) => { console.error(e); process.exit(1); });
"

#!/usr/bin/env bash
# The arm64 smoke (in the arm64 guest, from run.sh): Node and the native modules load on arm64, the
# V4L2/evdev layouts match the arm64 headers, the daemon captures from vivid and serves JPEGs, and
# typing through the gadget arrives exactly. The first part of each x86 scenario (LAB_SMOKE=1);
# LAB_ARM64_FULL=1 runs them whole instead. Prints one ok/not ok line per check.
set -u
fail=0
echo "# $(uname -m), kernel $(uname -r), node $(node -v), $(nproc) vCPUs"
# Emulated CPU: every wait of the scenarios may take up to 5x its x86 ceiling (checks.mjs TIME_SCALE).
export LAB_TIME_SCALE=${LAB_TIME_SCALE:-5}
node test/lab/arm64/abi.mjs --check /opt/kvmr0ck-lab/v4l2-abi || fail=1
LAB_SMOKE=1 node test/lab/video/scenario.mjs || fail=1
LAB_SMOKE=1 node test/lab/hid/scenario.mjs || fail=1
exit "$fail"

#!/usr/bin/env bash
# `npm run test:lab`: every lab scenario, each in its own fresh guest (test/lab/boot.sh), with the
# total time and a closing `N passed, M failed` line. Needs root, qemu-system-x86, busybox-static,
# kmod, cpio, v4l-utils (see test/lab/README.md). One scenario: test/lab/run.sh video
set -uo pipefail
cd "$(dirname "$0")/../.."
t0=$(date +%s)
npm run build --silent || exit 1
# Logs go beside the guest's work folder, so two checkouts (worktrees) can run the lab at once.
logs=${LAB_DIR:-/tmp/kvmr0ck-lab}
mkdir -p "$logs"
# uvc: the emulated USB HDMI dongle (test/lab/uvc, ~105 s quiet, ~180 s beside another guest).
# arm64: the arm64 smoke (test/lab/arm64/smoke.sh); arm64:<name> runs scenario <name> in the arm64
# guest. LAB_ARM64_FULL=1 runs the whole set there instead of the smoke.
default="hid video cost uvc arm64"
[ -z "${LAB_ARM64_FULL:-}" ] || default="hid video cost uvc arm64:video arm64:hid arm64:uvc arm64:install"
scenarios=("${@:-$default}")
# shellcheck disable=SC2206
scenarios=(${scenarios[*]})
passed=0
failed=0
for s in "${scenarios[@]}"; do
  st=$(date +%s)
  echo "== lab scenario: $s"
  arch=amd64
  name=$s
  case "$s" in arm64 | arm64:*) arch=arm64 name=${s#arm64:} ;; esac
  cmd="node test/lab/$name/scenario.mjs"
  net=
  case "$name" in arm64) cmd="bash test/lab/arm64/smoke.sh" ;; install) cmd="bash test/lab/arm64/install.sh" net=1 ;; esac
  # The arm64 guest is emulated instruction by instruction (no KVM for another architecture).
  limit=${LAB_TIMEOUT:-420}
  [ "$arch" = amd64 ] || limit=${LAB_TIMEOUT:-1500}
  prep=""
  [ ! -f "test/lab/$name/prepare.sh" ] || prep="test/lab/$name/prepare.sh"
  if LAB_PREPARE="$prep" LAB_NET=$net LAB_ARCH=$arch LAB_NO_BUILD=1 LAB_TIMEOUT="$limit" bash test/lab/boot.sh "$cmd" > "$logs/scenario-$s.log" 2>&1; then
    passed=$((passed + 1))
    result=passed
  else
    failed=$((failed + 1))
    result=FAILED
    # The console tail says where a hung or failing guest stopped.
    tail -40 "$logs/scenario-$s.log"
    # What a scenario cut by LAB_TIMEOUT had checked (its output reaches the console only at its end).
    [ ! -f "$logs/results/progress.txt" ] || { echo "-- progress:"; cat "$logs/results/progress.txt"; }
  fi
  grep -E '^(ok|not ok) ' "$logs/scenario-$s.log" || true
  echo "== $s: $result in $(($(date +%s) - st)) s"
done
echo "lab took $(($(date +%s) - t0)) s"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

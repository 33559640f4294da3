#!/usr/bin/env bash
# `npm run test:lab`: every lab scenario, each in its own fresh guest (test/lab/boot.sh), with the
# total time and a closing `N passed, M failed` line. Needs root, qemu-system-x86, busybox-static,
# kmod, cpio, v4l-utils (see test/lab/README.md). One scenario: test/lab/run.sh video
set -uo pipefail
cd "$(dirname "$0")/../.."
t0=$(date +%s)
npx tsc -p tsconfig.build.json || exit 1
# Logs go beside the guest's work folder, so two checkouts (worktrees) can run the lab at once.
logs=${LAB_DIR:-/tmp/kvmr0ck-lab}
mkdir -p "$logs"
scenarios=("${@:-hid video cost}")
# shellcheck disable=SC2206
scenarios=(${scenarios[*]})
passed=0
failed=0
for s in "${scenarios[@]}"; do
  st=$(date +%s)
  echo "== lab scenario: $s"
  if LAB_NO_BUILD=1 LAB_TIMEOUT="${LAB_TIMEOUT:-420}" bash test/lab/boot.sh "node test/lab/$s/scenario.mjs" > "$logs/scenario-$s.log" 2>&1; then
    passed=$((passed + 1))
    result=passed
  else
    failed=$((failed + 1))
    result=FAILED
    # The console tail says where a hung or failing guest stopped.
    tail -40 "$logs/scenario-$s.log"
  fi
  grep -E '^(ok|not ok) ' "$logs/scenario-$s.log" || true
  echo "== $s: $result in $(($(date +%s) - st)) s"
done
echo "lab took $(($(date +%s) - t0)) s"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

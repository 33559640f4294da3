#!/usr/bin/env bash
# Runs one of the separate vitest suites, then scans its output and every daemon's it started for
# the canary secrets of test/helpers/secrets.json.
#   scripts/run-suite.sh NAME VITEST_CONFIG [vitest args...]
# `npm run test:reliability` (load, faults, fuzzing; figures table at the end) and
# `npm run test:security` (the security review's attacks; needs root for network namespaces).
set -euo pipefail
cd "$(dirname "$0")/.."
name=$1 config=$2
shift 2
export KVMR0CK_TEST_OUTPUT=".cache/$name-output"
rm -rf "$KVMR0CK_TEST_OUTPUT" && mkdir -p .cache
set +e
npx vitest run --config "$config" "$@" 2>&1 | tee ".cache/$name.out"
status=${PIPESTATUS[0]}
set -e
node scripts/scan-secrets.mjs ".cache/$name.out" "$KVMR0CK_TEST_OUTPUT" || status=1
exit "$status"

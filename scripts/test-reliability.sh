#!/usr/bin/env bash
# `npm run test:reliability`: the load, fault and fuzz suites (one file at a time, figures table at
# the end), then the output of the run and of every daemon it started is scanned for the canary
# secrets of test/helpers/secrets.ts.
set -euo pipefail
cd "$(dirname "$0")/.."
export KVMR0CK_TEST_OUTPUT=.cache/reliability-output
rm -rf "$KVMR0CK_TEST_OUTPUT" && mkdir -p .cache
set +e
npx vitest run --config vitest.reliability.config.ts "$@" 2>&1 | tee .cache/reliability.out
status=${PIPESTATUS[0]}
set -e
node scripts/scan-secrets.mjs .cache/reliability.out "$KVMR0CK_TEST_OUTPUT" || status=1
exit "$status"

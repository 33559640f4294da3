#!/usr/bin/env bash
# `npm run test:security`: every attack of the security review (issue 14), reproduced and now
# refused, with a table at the end; then the run's output and every daemon's are scanned for the
# canary secrets. Needs root for the network-namespace cases (CI runs as root) and iproute2.
set -euo pipefail
cd "$(dirname "$0")/.."
export KVMR0CK_TEST_OUTPUT=.cache/security-output
rm -rf "$KVMR0CK_TEST_OUTPUT" && mkdir -p .cache
set +e
npx vitest run --config vitest.security.config.ts "$@" 2>&1 | tee .cache/security.out
status=${PIPESTATUS[0]}
set -e
node scripts/scan-secrets.mjs .cache/security.out "$KVMR0CK_TEST_OUTPUT" || status=1
exit "$status"

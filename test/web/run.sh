#!/usr/bin/env bash
# Unit tests of the web client (Vitest): its pure rules in web/src/logic (merging by id, ordering by
# seq, unread counts, receipts, catch-up paging, sends) and its stores (slices, sessions). Needs no server.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../../web"
if [ ! -f node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
# Plain text: scripts/test.sh reads the "Tests N passed" line (CI=true would turn colours on).
export NO_COLOR=1
exec npx --no-install vitest run --reporter=default

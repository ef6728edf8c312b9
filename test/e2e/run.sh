#!/usr/bin/env bash
# End-to-end tests: Debian's Chromium (playwright-core, never a downloaded browser) against the
# real bridge at $PGCHAT_URL (default http://127.0.0.1:$PGCHAT_PORT), which must be serving the
# web build. Prints node's test runner summary.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
url=${PGCHAT_URL:-http://127.0.0.1:${PGCHAT_PORT:-5000}}
export PGCHAT_URL=$url

if [ ! -x /usr/bin/chromium ]; then
  echo "e2e: /usr/bin/chromium is missing (make deps installs Debian's chromium)" >&2
  exit 1
fi
if [ ! -f node_modules/.package-lock.json ]; then
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
fi
# The bridge may still be starting: give it a few seconds to answer.
for _ in $(seq 50); do
  curl -fsS -o /dev/null "$url/health" 2>/dev/null && break
  sleep 0.2
done
if ! curl -fsS -o /dev/null "$url/health"; then
  echo "e2e: no bridge answers at $url/health" >&2
  exit 1
fi
exec node --test --test-concurrency=1 --test-reporter=tap chat.test.mjs messenger.test.mjs forward_info.test.mjs attachments.test.mjs

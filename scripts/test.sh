#!/usr/bin/env bash
# Every test of pgchat, against a fresh private "test" instance (its own cluster, Redis and
# ports, wiped at the start), so a running `make run` is never disturbed.
# Suites: test/sql (pgTAP through pg_prove), then each test/<suite>/run.sh that exists, in the
# order below. Each suite prints TAP or node's test runner summary; the last line adds them up.
# The containers suite builds the images and runs the compose stack (test/containers/run.sh);
# PGCHAT_TEST_CONTAINERS=0 skips it.
set -uo pipefail
export PGCHAT_INSTANCE=${PGCHAT_TEST_INSTANCE:-test}
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$PGCHAT_ROOT"

SERVICES=scripts/services.sh
# Bridges started for the tests notice a vanished client within 9 s instead of 45 s, so the
# presence tests (a browser put offline keeps its websocket open) don't wait on the defaults.
export PGCHAT_PING_INTERVAL_MS=${PGCHAT_PING_INTERVAL_MS:-5000}
# The suites register hundreds of users from one address, counted in the instance's Redis: the
# credential limits are lifted for the bridges they start (test/bridge/limits.test.mjs tests them
# on a bridge of its own).
export PGCHAT_REGISTER_ADDRESS_LIMIT=${PGCHAT_REGISTER_ADDRESS_LIMIT:-1000000}
export PGCHAT_LOGIN_ADDRESS_LIMIT=${PGCHAT_LOGIN_ADDRESS_LIMIT:-1000000}
# The same for the connections and sessions a client address may hold (abuse.test.mjs tests them).
export PGCHAT_MAX_ADDRESS_CONNECTIONS=${PGCHAT_MAX_ADDRESS_CONNECTIONS:-0}
export PGCHAT_MAX_ADDRESS_SESSIONS=${PGCHAT_MAX_ADDRESS_SESSIONS:-0}
export PGCHAT_PING_TIMEOUT_MS=${PGCHAT_PING_TIMEOUT_MS:-4000}
$SERVICES reset >/dev/null
trap '$SERVICES stop >/dev/null 2>&1' EXIT
$SERVICES start || { echo "test: the private services did not start"; exit 1; }
eval "$($SERVICES env)"
export PGCHAT_TEST_ARTIFACTS="$PGCHAT_ROOT/test/artifacts"
mkdir -p "$PGCHAT_TEST_ARTIFACTS"

total_pass=0
total_fail=0
failed_suites=()

# Adds up what a suite printed: pg_prove's "Tests=N" and "Failed N/M", node's "# pass N" and
# "# fail N", vitest's "Tests  N passed | M failed".
tally() {
  local log=$1 status=$2 name=$3 pass=0 fail=0 n
  n=$(grep -aoE '^Files=[0-9]+, Tests=[0-9]+' "$log" | sed -E 's/.*Tests=//' | awk '{s+=$1} END {print s+0}')
  fail=$(grep -aoE 'Failed [0-9]+/[0-9]+ subtests' "$log" | sed -E 's/Failed ([0-9]+).*/\1/' | awk '{s+=$1} END {print s+0}')
  pass=$((n - fail))
  n=$(grep -aE '^# pass [0-9]+' "$log" | awk '{s+=$3} END {print s+0}')
  pass=$((pass + n))
  n=$(grep -aE '^# fail [0-9]+' "$log" | awk '{s+=$3} END {print s+0}')
  fail=$((fail + n))
  n=$(grep -aE '^ *Tests +[0-9]+ passed' "$log" | sed -E 's/^ *Tests +([0-9]+) passed.*/\1/' | awk '{s+=$1} END {print s+0}')
  pass=$((pass + n))
  n=$(grep -aE '^ *Tests +.*[0-9]+ failed' "$log" | sed -E 's/.* ([0-9]+) failed.*/\1/' | awk '{s+=$1} END {print s+0}')
  fail=$((fail + n))
  if [ "$status" -ne 0 ] && [ "$fail" -eq 0 ]; then
    fail=1 # a suite that failed without saying how many still counts
  fi
  total_pass=$((total_pass + pass))
  total_fail=$((total_fail + fail))
  if [ "$status" -ne 0 ]; then failed_suites+=("$name"); fi
}

run_suite() {
  local name=$1; shift
  local log
  log=$(mktemp)
  echo "== $name"
  "$@" 2>&1 | tee "$log"
  tally "$log" "${PIPESTATUS[0]}" "$name"
  rm -f "$log"
}

run_suite sql pg_prove --ext .sql -h "$PGHOST" -p "$PGPORT" -d "$PGDATABASE" -U "$PGUSER" -r test/sql
for suite in extension protocol conformance fuzz bridge web e2e deploy containers; do
  if [ -x "test/$suite/run.sh" ]; then
    run_suite "$suite" "test/$suite/run.sh"
  fi
done

echo
if [ ${#failed_suites[@]} -gt 0 ]; then
  echo "test: failing suites: ${failed_suites[*]}"
fi
echo "tests: $total_pass passed, $total_fail failed"
[ ${#failed_suites[@]} -eq 0 ] && [ "$total_fail" -eq 0 ] && [ "$total_pass" -gt 0 ]
